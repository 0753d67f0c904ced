"""VcpuFilter: room for the request's floating vCPUs, with the CPU allocation ratio.

Only floating vCPUs are counted here (all of a shared guest's, the unpinned ones of a
mixed guest): usable is `vcpus * cpu_allocation_ratio - vcpus_used`, where `vcpus` and
`vcpus_used` are the host's floating (VCPU) capacity and usage, as Nova's VCPU
inventory since Train. Pinned vCPUs take whole dedicated pCPUs without over-commit;
the NUMA filter judges them, cell by cell.
"""

from __future__ import annotations

from tessera.objects import ComputeNode, HostState, RequestSpec
from tessera.scheduler.filters.base import FilterContext, HostFilter, floating_vcpus


def free_vcpus(cn: ComputeNode) -> float:
    """Floating vCPUs the node can still give, over-commit included."""
    return cn.vcpus * cn.cpu_allocation_ratio - cn.vcpus_used


def _check(host: HostState, spec: RequestSpec, ctx: FilterContext) -> str | None:
    need = floating_vcpus(spec)
    if not need:
        return None
    cn = host.compute_node
    free = free_vcpus(cn)
    if free < need:
        return ("room for %d more floating vCPUs (%d x ratio %g, %d used), the request "
                "has %d" % (max(0, int(free)), cn.vcpus, cn.cpu_allocation_ratio,
                            cn.vcpus_used, need))
    return None


FILTER = HostFilter("VcpuFilter", _check)
