"""Why not here: every filter on every host, with the NUMA fitter's reasons cell by cell.

A dry run over host states, like `tessera.scheduler.select.explain`, but structured:
each refusal is a `Blocker` naming the filter, the host cell (for the NUMA filter) and
the *resource* that stands in the way (cpu, siblings, pages, memory, pci, ...), so an
operator reads "cell 1: 6 free whole thread-sibling sets, needs 8 under isolate" and a
tool can count what blocks. Hosts that pass every filter carry the placement the
scheduler would choose. Pure over objects: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tessera.numa.fit import Strategy
from tessera.numa.placement import NoFit, Placement
from tessera.objects import HostState, Rejection, RequestSpec
from tessera.scheduler.filters import Filter, FilterContext, load_filters, placement_for

NUMA_FILTER = "NUMATopologyFilter"

# The resource each non-NUMA filter guards (the NUMA filter's come from the fitter).
FILTER_RESOURCE: dict[str, str] = {
    "VcpuFilter": "cpu", "RamFilter": "memory", "DiskFilter": "disk",
    "PciPassthroughFilter": "pci", "ComputeFilter": "service",
    "AvailabilityZoneFilter": "zone", "ImagePropertiesFilter": "image",
    "SameHostFilter": "affinity", "DifferentHostFilter": "affinity",
    "IgnoreHostsFilter": "host", "ForcedHostsFilter": "host",
}
_CELL = re.compile(r"^cell (\d+): (.*)$", re.S)


@dataclass(frozen=True)
class Blocker:
    """One thing that keeps a guest off a host: `filter` refused it because of
    `resource` (on `host_cell`, when the NUMA fitter names one)."""

    filter: str
    resource: str
    reason: str
    host_cell: int | None = None

    def __str__(self) -> str:
        where = "cell %d: " % self.host_cell if self.host_cell is not None else ""
        return "%s: %s%s" % (self.filter, where, self.reason)

    def to_dict(self) -> dict:
        return {"filter": self.filter, "resource": self.resource,
                "host_cell": self.host_cell, "reason": self.reason}


@dataclass(frozen=True)
class HostVerdict:
    """A host's answer to one request: the blockers, or the placement it would get."""

    host: str
    blockers: tuple[Blocker, ...] = ()
    placement: Placement | None = None

    @property
    def fits(self) -> bool:
        return not self.blockers

    @property
    def resources(self) -> frozenset[str]:
        return frozenset(b.resource for b in self.blockers)

    def to_dict(self) -> dict:
        out: dict = {"host": self.host, "fits": self.fits,
                     "blockers": [b.to_dict() for b in self.blockers]}
        if self.placement is not None:
            out["placement"] = self.placement.to_dict()
        return out


def dry_run(spec: RequestSpec, hosts: Sequence[HostState],
            filters: Sequence[Filter] | None = None, *,
            strategy: Strategy | str = Strategy.SPREAD) -> list[HostVerdict]:
    """Every enabled filter on every host (not only up to the first refusal), so each
    thing that stands in the way shows; one verdict per host, in the hosts' order."""
    filters = load_filters() if filters is None else list(filters)
    ctx = FilterContext.for_request(spec, hosts, Strategy(strategy))
    return [_verdict(host, spec, filters, ctx) for host in hosts]


def _verdict(host: HostState, spec: RequestSpec, filters: Sequence[Filter],
             ctx: FilterContext) -> HostVerdict:
    blockers: list[Blocker] = []
    for f in filters:
        if f.name == NUMA_FILTER:
            answer = placement_for(host, spec, ctx)
            if isinstance(answer, NoFit):
                blockers.extend(numa_blockers(answer))
            continue
        reason = f.check(host, spec, ctx)
        if reason is not None:
            blockers.append(Blocker(f.name, FILTER_RESOURCE.get(f.name, "other"), reason))
    placement = None
    if not blockers:
        answer = placement_for(host, spec, ctx)
        placement = answer if isinstance(answer, Placement) else None
    return HostVerdict(host.host, tuple(blockers), placement)


def numa_blockers(answer: NoFit) -> list[Blocker]:
    """The fitter's reasons as blockers: one per host cell (or per host-wide rule)."""
    return [Blocker(NUMA_FILTER, r.resource, r.message, r.host_cell)
            for r in answer.reasons] or [Blocker(NUMA_FILTER, "topology", answer.reason)]


def recorded(rejections: Iterable[Rejection]) -> list[dict]:
    """A persisted spec's rejections (what the scheduler said when it gave up), per
    host; NUMA reasons split back into their host cells ("cell 1: ...; cell 0: ...")."""
    by_host: dict[str, list[dict]] = {}
    for r in rejections:
        parts = r.reason.split("; ") if r.filter == NUMA_FILTER else [r.reason]
        for part in parts:
            m = _CELL.match(part)
            by_host.setdefault(r.host, []).append({
                "filter": r.filter, "host_cell": int(m.group(1)) if m else None,
                "reason": m.group(2) if m else part})
    return [{"host": h, "blockers": b} for h, b in by_host.items()]


def summary(verdicts: Sequence[HostVerdict]) -> str:
    """One line per host: where it would go, or each blocker."""
    lines = []
    for v in verdicts:
        if v.fits:
            cells = ",".join(str(c.host_cell) for c in v.placement.cells) \
                if v.placement and v.placement.cells else "-"
            lines.append("%s: fits (host cells %s)" % (v.host, cells))
        else:
            lines.append("%s: %s" % (v.host, "; ".join(
                "%s [%s]" % (b, b.resource) for b in v.blockers)))
    return "\n".join(lines)
