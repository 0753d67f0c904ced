"""DiskFilter: enough local disk for root, ephemeral and swap, with the disk ratio.

Usable disk is `local_gb * disk_allocation_ratio - local_gb_used`; the request takes
root (none when booted from volume) + ephemeral GiB + swap MiB, compared in MiB as
Nova does.
"""

from __future__ import annotations

from tessera.objects import ComputeNode, HostState, RequestSpec
from tessera.scheduler.filters.base import FilterContext, HostFilter, disk_mb


def free_disk_mb(cn: ComputeNode) -> float:
    """Local disk the node can still give, in MiB, over-commit included."""
    return (cn.local_gb * cn.disk_allocation_ratio - cn.local_gb_used) * 1024


def _check(host: HostState, spec: RequestSpec, ctx: FilterContext) -> str | None:
    need = disk_mb(spec)
    if not need:
        return None
    cn = host.compute_node
    free_mb = free_disk_mb(cn)
    if free_mb < need:
        return ("%.1f GiB of local disk free (%d GiB x ratio %g, %d GiB used), the request "
                "needs %.1f GiB (root %d%s, ephemeral %d, swap %d MiB)"
                % (max(0.0, free_mb / 1024), cn.local_gb, cn.disk_allocation_ratio,
                   cn.local_gb_used, need / 1024, spec.flavor.root_gb,
                   " not counted: boot from volume" if spec.is_bfv else "",
                   spec.flavor.ephemeral_gb, spec.flavor.swap))
    return None


FILTER = HostFilter("DiskFilter", _check)
