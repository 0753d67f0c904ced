"""The cheap filters over all hosts at once, with the same outcome as host by host.

The straightforward path (`select_destinations(..., fast=False)`) runs every enabled filter on every host, one Python call per
host and filter. This module gets the very same answer (which hosts pass, and for each
other host its first rejecting filter and that filter's reason) with far less work:

- a filter that cannot reject anything for this request is skipped (no zone asked, no
  disk, no floating vCPUs, no devices, no image properties, no hints, nothing forced
  or ignored): its check would return None on every host;
- the capacity and state filters (compute up, zone, RAM, disk, vCPU) compare one
  precomputed number per host (`facts.HostFacts`) with the request's need, filter by
  filter over the hosts still standing;
- the device and image filters keep each host state's answer per request key, so the
  next request with the same devices or image asks only the hosts that changed;
- any other filter (the hint filters, plugins) runs its own check on each host.

A rejected host's reason always comes from the filter's own check, so it reads
exactly as on the host-by-host path; a fast answer the check contradicts is dropped in
favour of the check. Filters are run filter by filter instead of host by host, so a
plugin filter must not depend on the order hosts are checked in (none of the built-in
ones does).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from operator import itemgetter

from tessera.objects import HostState, Rejection, RequestSpec
from tessera.scheduler.facts import MEMO_LIMIT, HostFacts, token
from tessera.scheduler.filters import (Filter, FilterContext, availability_zone, compute,
                                       different_host, disk, disk_mb, floating_vcpus,
                                       forced_hosts, ignore_hosts, image_properties,
                                       pci_passthrough, ram, same_host, vcpu)

Rejected = list[tuple[int, str]]
Runner = Callable[[list[int], list[HostFacts]], tuple[list[int], Rejected]]
Factory = Callable[[Filter, RequestSpec, FilterContext], "Runner | None"]

_MISSING = object()


def prefilter(state: Sequence[HostState], facts: list[HostFacts], spec: RequestSpec,
              filters: Sequence[Filter], ctx: FilterContext
              ) -> tuple[list[int], list[Rejection]]:
    """Indices of the hosts that pass every filter, and the first rejection of each
    other host, in host order: the same as checking host by host."""
    standing = list(range(len(state)))
    out: list[tuple[int, Rejection]] = []
    for f in filters:
        if not standing:
            break
        run = _runner(f, spec, ctx)
        if run is None:
            continue
        standing, rejected = run(standing, facts)
        for j, reason in rejected:
            out.append((j, Rejection.model_construct(host=facts[j].host, filter=f.name,
                                                     reason=reason)))
    out.sort(key=itemgetter(0))
    return standing, [r for _, r in out]


def _runner(f: Filter, spec: RequestSpec, ctx: FilterContext) -> Runner | None:
    check = f.check
    for builtin, factory in _FAST:
        if check is builtin:
            return factory(f, spec, ctx)
    return _each(f, spec, ctx)


def _each(f: Filter, spec: RequestSpec, ctx: FilterContext) -> Runner:
    """The filter's own check on every standing host."""
    check = f.check

    def run(standing: list[int], facts: list[HostFacts]) -> tuple[list[int], Rejected]:
        kept: list[int] = []
        rejected: Rejected = []
        for j in standing:
            reason = check(facts[j].state, spec, ctx)
            if reason is None:
                kept.append(j)
            else:
                rejected.append((j, reason))
        return kept, rejected
    return run


def _compared(f: Filter, spec: RequestSpec, ctx: FilterContext,
              keep: Callable[[list[int], list[HostFacts]], list[int]]) -> Runner:
    """`keep` picks the standing hosts that pass; the others' reasons come from the
    filter's check (a host it passes after all stays)."""
    check = f.check

    def run(standing: list[int], facts: list[HostFacts]) -> tuple[list[int], Rejected]:
        kept = keep(standing, facts)
        if len(kept) == len(standing):
            return kept, []
        passed = set(kept)
        rejected: Rejected = []
        back = []
        for j in standing:
            if j not in passed:
                reason = check(facts[j].state, spec, ctx)
                if reason is None:
                    back.append(j)
                else:
                    rejected.append((j, reason))
        return (sorted(kept + back) if back else kept), rejected
    return run


def _memoised(f: Filter, spec: RequestSpec, ctx: FilterContext, key: Hashable) -> Runner:
    """The filter's check, its answer kept per host state for requests of the same
    `key` (for checks that read only the host state and what `key` stands for)."""
    check = f.check
    memo_key = token((f.name, key))

    def run(standing: list[int], facts: list[HostFacts]) -> tuple[list[int], Rejected]:
        kept: list[int] = []
        rejected: Rejected = []
        for j in standing:
            fj = facts[j]
            memo = fj.memo
            reason = memo.get(memo_key, _MISSING)
            if reason is _MISSING:
                if len(memo) >= MEMO_LIMIT:
                    memo.clear()
                reason = memo[memo_key] = check(fj.state, spec, ctx)
            if reason is None:
                kept.append(j)
            else:
                rejected.append((j, reason))  # type: ignore[arg-type]
        return kept, rejected
    return run


# Per built-in filter: None when its check passes every host for this request, else
# how to run it. Each condition below mirrors the early `return None` of its check.

def _ignore(f: Filter, spec: RequestSpec, ctx: FilterContext) -> Runner | None:
    return _each(f, spec, ctx) if spec.ignore_hosts or spec.retry.attempts else None


def _forced(f: Filter, spec: RequestSpec, ctx: FilterContext) -> Runner | None:
    if spec.force_hosts or spec.force_nodes or spec.requested_destination is not None:
        return _each(f, spec, ctx)
    return None


def _compute(f: Filter, spec: RequestSpec, ctx: FilterContext) -> Runner | None:
    return _compared(f, spec, ctx, lambda s, fs: [j for j in s if fs[j].usable])


def _zone(f: Filter, spec: RequestSpec, ctx: FilterContext) -> Runner | None:
    wanted = spec.availability_zone
    if not wanted:
        return None
    return _compared(f, spec, ctx, lambda s, fs: [j for j in s if fs[j].zone == wanted])


def _ram(f: Filter, spec: RequestSpec, ctx: FilterContext) -> Runner | None:
    need = spec.memory_mb
    return _compared(f, spec, ctx,
                     lambda s, fs: [j for j in s if not fs[j].ram_free < need])


def _disk(f: Filter, spec: RequestSpec, ctx: FilterContext) -> Runner | None:
    need = disk_mb(spec)
    if not need:
        return None
    return _compared(f, spec, ctx,
                     lambda s, fs: [j for j in s if not fs[j].disk_free_mb < need])


def _vcpu(f: Filter, spec: RequestSpec, ctx: FilterContext) -> Runner | None:
    need = floating_vcpus(spec)
    if not need:
        return None
    return _compared(f, spec, ctx,
                     lambda s, fs: [j for j in s if not fs[j].vcpu_free < need])


def _hint(name: str) -> Factory:
    def factory(f: Filter, spec: RequestSpec, ctx: FilterContext) -> Runner | None:
        return _each(f, spec, ctx) if spec.scheduler_hints.get(name) else None
    return factory


def _image(f: Filter, spec: RequestSpec, ctx: FilterContext) -> Runner | None:
    props = spec.image.properties
    if not props:
        return None
    try:
        # repr, not the value: True, 1 and 1.0 are equal keys but read differently.
        key = tuple(sorted((k, repr(v)) for k, v in props.items()))
    except TypeError:  # names that do not sort: ask every host
        return _each(f, spec, ctx)
    return _memoised(f, spec, ctx, key)


def _pci(f: Filter, spec: RequestSpec, ctx: FilterContext) -> Runner | None:
    requests = spec.numa_topology.pci_requests
    if not requests:
        return None
    return _memoised(f, spec, ctx, tuple(requests))


_FAST: tuple[tuple[Callable, Factory], ...] = (
    (ignore_hosts.FILTER.check, _ignore),
    (forced_hosts.FILTER.check, _forced),
    (compute.FILTER.check, _compute),
    (availability_zone.FILTER.check, _zone),
    (ram.FILTER.check, _ram),
    (disk.FILTER.check, _disk),
    (vcpu.FILTER.check, _vcpu),
    (same_host.FILTER.check, _hint("same_host")),
    (different_host.FILTER.check, _hint("different_host")),
    (image_properties.FILTER.check, _image),
    (pci_passthrough.FILTER.check, _pci),
)
