"""Choosing hosts for a request: filter, weigh, pick, consume. Pure over objects.

`select_destinations` places each instance of a request in turn. Every host goes
through the enabled filters, cheapest first, and stops at its first rejection (which
is recorded: host, filter, reason). The hosts that pass are weighed, the best one
chosen, and up to `max_attempts - 1` others of the same cell become its alternates
(a reschedule cannot cross cells), each with its own NUMA placement. The chosen host
is then *consumed* in a local copy of the host states (pins, pages, devices, memory,
vCPUs, disk and the instance uuid), so the next instance sees that usage and two
instances of one request never share a pCPU. Inputs are never changed.

The NUMA fit, by far the costliest check, runs after the weighing and only on the
hosts taken in rank order until the chosen one and its alternates are found: on a
thousand hosts a decision fits a handful, not a thousand. Its answer is computed once
per host state (and shared between hosts of the same shape, see
`filters.base.numa_answer`), kept in the `FilterContext`, and becomes the Selection's
placement; only the consumed host is fitted again for the next instance.

By default the cheap filters and the weighers take the fast path (`prefilter`,
`ranking`): numbers derived once per host state, filters that cannot reject anything
for the request skipped, and only as many hosts ranked as the decision reads. Its
outcome (hosts, placements, rejections and their order) is the straightforward path's,
which `fast=False` runs: every filter on every host, one call each, then a full sort.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from math import ceil

from tessera.numa.fit import Strategy
from tessera.numa.placement import NoFit, Placement
from tessera.numa.usage import apply
from tessera.objects import HostState, Rejection, RequestSpec, Selection
from tessera.scheduler.errors import NoValidHost
from tessera.scheduler.facts import MEMO_LIMIT, FactsCache, HostFacts, token
from tessera.scheduler.filters import (Filter, FilterContext, floating_vcpus, load_filters,
                                       placement_for)
from tessera.scheduler.prefilter import prefilter
from tessera.scheduler.ranking import ranked
from tessera.scheduler.weighers import Weigher, load_weighers

NUMA_FILTER = "NUMATopologyFilter"
FACTS = FactsCache()


@dataclass(frozen=True)
class SchedulingResult:
    """One list per instance, `[chosen, alternate, ...]`, and every rejection seen
    (host, filter, reason; each distinct one once)."""

    selections: list[list[Selection]]
    rejections: list[Rejection] = field(default_factory=list)
    final_states: list[HostState] = field(default_factory=list)


def select_destinations(spec: RequestSpec, hosts: Sequence[HostState],
                        instance_uuids: Sequence[str] = (), *,
                        filters: Sequence[Filter] | None = None,
                        weighers: Sequence[Weigher] | None = None,
                        strategy: Strategy | str = Strategy.SPREAD,
                        max_attempts: int = 3, fast: bool = True) -> SchedulingResult:
    """Hosts for every instance of `spec`, or NoValidHost saying why not.

    `instance_uuids` default to the spec's own uuid, `num_instances` times.
    `filters` / `weighers` default to the built-in defaults. `strategy` `pack` flips
    every weigher multiplier and makes the fitter fill the fullest cell first.
    `fast=False` takes the straightforward path (same outcome, much slower).
    """
    strategy = Strategy(strategy)
    filters = load_filters() if filters is None else list(filters)
    weighers = load_weighers() if weighers is None else list(weighers)
    uuids = list(instance_uuids) or [spec.instance_uuid] * max(1, spec.num_instances)
    state = list(hosts)
    ctx = FilterContext.for_request(spec, state, strategy)
    seen: dict[tuple[str, str, str], Rejection] = {}
    selections: list[list[Selection]] = []
    # The NUMA fit is the one costly check: it runs last, lazily, on the best-ranked
    # hosts only (`_with_placements`), until the chosen host and its alternates are
    # found; a no-valid-host answer has still fitted, and explained, every host.
    eager = [f for f in filters if f.name != NUMA_FILTER]
    for i, uuid in enumerate(uuids):
        order: Iterable[int]
        if fast:
            facts = FACTS.facts(state)
            passed, rejected = prefilter(state, facts, spec, eager, ctx)
            order = ranked(passed, facts, spec, weighers, strategy)
        else:
            passed, rejected = _filter(state, spec, eager, ctx)
            order = [passed[k] for k in _rank([state[j] for j in passed], spec, weighers,
                                              strategy)]
        _record(seen, rejected)
        picked, rejected = _with_placements(order, state, spec, ctx, max(1, max_attempts),
                                            facts if fast else None)
        _record(seen, rejected)
        if not picked:
            raise NoValidHost(list(seen.values()), i, len(uuids), len(state))
        selections.append([_selection(state[j], p) for j, p in picked])
        chosen, placement = picked[0]
        host = state[chosen]
        state[chosen] = consume(host, spec, placement, uuid)
        ctx.placements.pop(host.compute_node.uuid, None)
        ctx.chosen_hosts.append(host.host)
    return SchedulingResult(selections, list(seen.values()), state)


def explain(spec: RequestSpec, hosts: Sequence[HostState],
            filters: Sequence[Filter] | None = None, *,
            strategy: Strategy | str = Strategy.SPREAD) -> list[Rejection]:
    """A dry run: every filter on every host (not only up to the first rejection), so
    an operator sees each thing that stands in the way. Hosts with no rejection fit."""
    filters = load_filters() if filters is None else list(filters)
    ctx = FilterContext.for_request(spec, hosts, Strategy(strategy))
    out = []
    for host in hosts:
        for f in filters:
            reason = f.check(host, spec, ctx)
            if reason is not None:
                out.append(Rejection(host=host.host, filter=f.name, reason=reason))
    return out


def consume(host: HostState, spec: RequestSpec, placement: Placement,
            instance_uuid: str) -> HostState:
    """`host` with one instance of `spec` placed by `placement` counted in its usage.

    Raises `tessera.numa.UsageConflict` if the placement takes a pCPU, page or device
    already in use: the check that no resource is ever handed out twice.
    """
    cn = host.compute_node
    flavor = spec.flavor
    disk_gb = (0 if spec.is_bfv else flavor.root_gb) + flavor.ephemeral_gb \
        + ceil(flavor.swap / 1024)
    node = cn.model_copy(update={
        "numa": apply(cn.numa, placement),
        "vcpus_used": cn.vcpus_used + floating_vcpus(spec),
        "memory_mb_used": cn.memory_mb_used + flavor.memory_mb,
        "local_gb_used": cn.local_gb_used + disk_gb,
        "running_vms": cn.running_vms + 1})
    return host.model_copy(update={"compute_node": node,
                                   "instance_uuids": host.instance_uuids | {instance_uuid}})


def _filter(state: list[HostState], spec: RequestSpec, filters: Sequence[Filter],
            ctx: FilterContext) -> tuple[list[int], list[Rejection]]:
    """Indices of the hosts that pass every filter, and the first rejection of others."""
    checks = [(f.name, f.check) for f in filters]
    passed: list[int] = []
    rejected: list[Rejection] = []
    for j, host in enumerate(state):
        for name, check in checks:
            reason = check(host, spec, ctx)
            if reason is not None:
                rejected.append(Rejection.model_construct(
                    host=host.host, filter=name, reason=reason))
                break
        else:
            passed.append(j)
    return passed, rejected


def _rank(hosts: list[HostState], spec: RequestSpec, weighers: Sequence[Weigher],
          strategy: Strategy) -> list[int]:
    """Positions in `hosts`, best first: the sum over weighers of multiplier times the
    weigher's value normalised to [0, 1] over these hosts; ties by host, node name."""
    sign = -1.0 if strategy is Strategy.PACK else 1.0
    totals = [0.0] * len(hosts)
    if len(hosts) > 1:
        for w in weighers:
            m = w.multiplier * sign
            if not m:
                continue
            raw = [w.weigh(h, spec) for h in hosts]
            lo, hi = min(raw), max(raw)
            if hi == lo:
                continue
            scale = m / (hi - lo)
            totals = [t + (v - lo) * scale for t, v in zip(totals, raw)]
    return sorted(range(len(hosts)),
                  key=lambda k: (-totals[k], hosts[k].host, hosts[k].nodename))


def _with_placements(order: Iterable[int], state: list[HostState],
                     spec: RequestSpec, ctx: FilterContext, wanted: int,
                     facts: list[HostFacts] | None = None
                     ) -> tuple[list[tuple[int, Placement]], list[Rejection]]:
    """The best host and its same-cell alternates, each with its NUMA placement,
    reading the host indices of `order` (best first) only as far as needed.

    A host that does not fit is passed over (and recorded) rather than chosen without
    a placement. With `facts`, each host state's fitter answer is also kept for later
    decisions asking the same guest topology (the fitter is pure: same host state,
    request and strategy, same answer), so hosts that did not fit are not fitted again
    until their state changes.
    """
    picked: list[tuple[int, Placement]] = []
    rejected: list[Rejection] = []
    cell: str | None = None
    key = token((NUMA_FILTER, spec.numa_topology, ctx.strategy)) if facts else 0
    for j in order:
        host = state[j]
        if cell is not None and host.cell_uuid != cell:
            continue
        if facts is None:
            answer = placement_for(host, spec, ctx)
        else:
            answer = _remembered_placement(facts[j], key, spec, ctx)
        if isinstance(answer, NoFit):
            rejected.append(Rejection.model_construct(
                host=host.host, filter=NUMA_FILTER, reason=answer.reason))
            continue
        picked.append((j, answer))
        cell = host.cell_uuid
        if len(picked) == wanted:
            break
    return picked, rejected


def _remembered_placement(facts: HostFacts, key: int, spec: RequestSpec,
                          ctx: FilterContext) -> Placement | NoFit:
    host = facts.state
    memo = facts.memo
    known = memo.get(key)
    if known is not None:
        ctx.placements.setdefault(host.compute_node.uuid, known)
    answer = placement_for(host, spec, ctx)
    if known is None:
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        memo[key] = answer
    return answer


def _selection(host: HostState, placement: Placement) -> Selection:
    return Selection.model_construct(
        service_host=host.host, nodename=host.nodename,
        compute_node_uuid=host.compute_node.uuid, cell_uuid=host.cell_uuid,
        availability_zone=host.availability_zone, placement=placement)


def _record(seen: dict[tuple[str, str, str], Rejection], rejected: list[Rejection]) -> None:
    for r in rejected:
        seen.setdefault((r.host, r.filter, r.reason), r)
