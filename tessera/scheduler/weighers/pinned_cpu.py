"""PinnedCpuWeigher: free dedicated pCPUs, summed over the host's NUMA cells.

With a multiplier > 0 the host with the most free pCPUs wins: pinned guests spread
over the hosts (even load, fewer guests lost with one host). With a multiplier < 0
the host with the fewest free pCPUs that still fits wins: pinned guests pack, and
whole hosts stay free for the largest flavors. The `pack` placement strategy flips the sign of every multiplier
and also makes the NUMA fitter fill the fullest cell of the chosen host first.
"""

from __future__ import annotations

from tessera.objects import HostState, RequestSpec
from tessera.scheduler.weighers.base import HostWeigher


def _weigh(host: HostState, spec: RequestSpec) -> float:
    return float(sum(len(c.free_pcpus) for c in host.compute_node.numa.cells))


WEIGHER = HostWeigher("PinnedCpuWeigher", "pinned_cpu_weight_multiplier", _weigh)
