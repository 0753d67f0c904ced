"""What fits: how many more guests of a flavor a cloud takes, where, and what blocks more.

Each host is packed on its own copy: the scheduler's filters check it, the fitter the
scheduler uses places one guest (`placement_for`, same strategy), and the scheduler's
`consume` counts that guest's usage (pins, pages, devices, memory, vCPUs, disk), until
some filter refuses. Because a host's next placement depends only on that host's own
state, this equals what `select_destinations` reaches booting one guest after another
over all hosts, in any order, without its cost over the whole cloud per guest. What
blocks more is the dry run (`why.dry_run`) on the packed copies, counted per resource.
Pure over objects: no I/O.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from tessera.explain.why import HostVerdict, dry_run
from tessera.numa.fit import Strategy
from tessera.numa.placement import Placement
from tessera.objects import HostState, RequestSpec
from tessera.scheduler.filters import Filter, FilterContext, load_filters, placement_for
from tessera.scheduler.select import NUMA_FILTER, consume

PER_HOST_LIMIT = 4096


@dataclass(frozen=True)
class HostCapacity:
    """`count` more guests fit on `host`; `cells` counts the guest cells each host
    cell would take; `blockers` is why not one more (the dry run on the packed host)."""

    host: str
    count: int
    cells: dict[int, int] = field(default_factory=dict)
    verdict: HostVerdict | None = None
    limited: bool = False

    def to_dict(self) -> dict:
        return {"host": self.host, "count": self.count,
                "cells": [{"host_cell": c, "guest_cells": n}
                          for c, n in sorted(self.cells.items())],
                "limited": self.limited,
                "blockers": [b.to_dict() for b in self.verdict.blockers]
                if self.verdict else []}


@dataclass(frozen=True)
class FlavorCapacity:
    """How many more guests of `flavor` fit in all, host by host, and what blocks more:
    `blocked_by` counts, per resource, the hosts where it stands in the way."""

    flavor: str
    hosts: tuple[HostCapacity, ...]

    @property
    def count(self) -> int:
        return sum(h.count for h in self.hosts)

    @property
    def blocked_by(self) -> dict[str, int]:
        seen: Counter[str] = Counter()
        for h in self.hosts:
            if h.verdict is not None:
                seen.update(h.verdict.resources)
        return dict(seen.most_common())

    def to_dict(self) -> dict:
        return {"flavor": self.flavor, "count": self.count, "blocked_by": self.blocked_by,
                "hosts": [h.to_dict() for h in self.hosts]}


def capacity(spec: RequestSpec, hosts: Sequence[HostState],
             filters: Sequence[Filter] | None = None, *,
             strategy: Strategy | str = Strategy.SPREAD,
             per_host_limit: int = PER_HOST_LIMIT) -> FlavorCapacity:
    """How many more guests of `spec` fit on `hosts` (never changed)."""
    filters = load_filters() if filters is None else list(filters)
    strategy = Strategy(strategy)
    out = [_pack(spec, host, filters, strategy, per_host_limit) for host in hosts]
    return FlavorCapacity(spec.flavor.name, tuple(out))


def _pack(spec: RequestSpec, host: HostState, filters: Sequence[Filter],
          strategy: Strategy, limit: int) -> HostCapacity:
    cheap = [f for f in filters if f.name != NUMA_FILTER]
    cells: Counter[int] = Counter()
    count = 0
    while count < limit:
        placement = _one(spec, host, cheap, strategy)
        if placement is None:
            break
        cells.update(c.host_cell for c in placement.cells)
        host = consume(host, spec, placement, "capacity-%s-%d" % (host.host, count))
        count += 1
    [verdict] = dry_run(spec, [host], filters, strategy=strategy)
    return HostCapacity(host.host, count, dict(cells),
                        None if verdict.fits else verdict, limited=count >= limit)


def _one(spec: RequestSpec, host: HostState, cheap: Sequence[Filter],
         strategy: Strategy) -> Placement | None:
    """The placement of one more guest on `host`, as the scheduler would choose it."""
    ctx = FilterContext.for_request(spec, [host], strategy)
    if any(f.check(host, spec, ctx) is not None for f in cheap):
        return None
    answer = placement_for(host, spec, ctx)
    return answer if isinstance(answer, Placement) else None
