"""PciPassthroughFilter: the host has enough free matching devices at all.

A cheap, host-wide count that runs before the NUMA filter: requests are served in
order, each from the devices the earlier ones left, so two requests never count one
device twice. Which devices suit the guest's NUMA cells (the affinity policy) is the
NUMA filter's question.
"""

from __future__ import annotations

from tessera.numa.pci import describe, matches
from tessera.objects import HostState, RequestSpec
from tessera.scheduler.filters.base import FilterContext, HostFilter


def _check(host: HostState, spec: RequestSpec, ctx: FilterContext) -> str | None:
    requests = spec.numa_topology.pci_requests
    if not requests:
        return None
    devices = host.compute_node.numa.pci
    taken: set[str] = set()
    for request in requests:
        free: list[str] = []
        for d in devices:
            if d.address not in taken and matches(d, request):
                free.append(d.address)
                if len(free) == request.count:
                    break
        if len(free) < request.count:
            total = sum(1 for d in devices if matches(d, request))
            extra = " (%d left after the earlier requests)" % len(free) if taken else ""
            return "%d free %s device(s) on the host%s, the request needs %d" % (
                total, describe(request), extra, request.count)
        taken.update(free)
    return None


FILTER = HostFilter("PciPassthroughFilter", _check)
