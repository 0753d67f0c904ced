"""RamWeigher: free RAM (`memory_mb - memory_mb_used`, MiB, without over-commit, as
Nova's). Positive multiplier: the host with the most free RAM wins (spread)."""

from __future__ import annotations

from tessera.objects import HostState, RequestSpec
from tessera.scheduler.weighers.base import HostWeigher


def _weigh(host: HostState, spec: RequestSpec) -> float:
    cn = host.compute_node
    return float(cn.memory_mb - cn.memory_mb_used)


WEIGHER = HostWeigher("RamWeigher", "ram_weight_multiplier", _weigh)
