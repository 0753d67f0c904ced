"""CpuWeigher: free floating vCPU capacity (`vcpus * cpu_allocation_ratio -
vcpus_used`, as Nova's CPUWeigher). Positive multiplier: the emptiest host wins."""

from __future__ import annotations

from tessera.objects import HostState, RequestSpec
from tessera.scheduler.weighers.base import HostWeigher


def _weigh(host: HostState, spec: RequestSpec) -> float:
    cn = host.compute_node
    return cn.vcpus * cn.cpu_allocation_ratio - cn.vcpus_used


WEIGHER = HostWeigher("CpuWeigher", "cpu_weight_multiplier", _weigh)
