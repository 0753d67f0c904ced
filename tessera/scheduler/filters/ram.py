"""RamFilter: enough RAM on the host as a whole, with the RAM allocation ratio.

Usable RAM is `memory_mb * ram_allocation_ratio - memory_mb_used`. Huge-page and
per-cell memory is the NUMA filter's to judge; this is the host-wide check every
guest takes, the same as Nova's (Placement's MEMORY_MB inventory).
"""

from __future__ import annotations

from tessera.objects import ComputeNode, HostState, RequestSpec
from tessera.scheduler.filters.base import FilterContext, HostFilter


def free_mb(cn: ComputeNode) -> float:
    """RAM the node can still give, in MiB, over-commit included."""
    return cn.memory_mb * cn.ram_allocation_ratio - cn.memory_mb_used


def _check(host: HostState, spec: RequestSpec, ctx: FilterContext) -> str | None:
    cn = host.compute_node
    free = free_mb(cn)
    if free < spec.memory_mb:
        return ("%d MiB of RAM free (%d MiB x ratio %g, %d MiB used), the flavor needs "
                "%d MiB" % (max(0, int(free)), cn.memory_mb, cn.ram_allocation_ratio,
                            cn.memory_mb_used, spec.memory_mb))
    return None


FILTER = HostFilter("RamFilter", _check)
