"""NUMATopologyFilter: the guest fits the host's NUMA cells (pinning, thread policy,
pages, per-cell memory, PCI affinity), as decided by `tessera.numa.fit`.

The fitter is pure and is called on the host's topology with its current usage; its
`Placement` is kept in the context, so the Selection carries exactly the pins the
filter approved and the compute claim can re-check them. Guests without a NUMA
topology pass when the fitter places them (only their devices can fail); their CPU
and RAM are the VcpuFilter's and RamFilter's. The reason is the fitter's, host cell by
host cell ("cell 1: 6 free thread-sibling pairs, isolate needs 8").
"""

from __future__ import annotations

from tessera.numa.placement import NoFit
from tessera.objects import HostState, RequestSpec
from tessera.scheduler.filters.base import FilterContext, HostFilter, numa_answer


def _check(host: HostState, spec: RequestSpec, ctx: FilterContext) -> str | None:
    answer = numa_answer(host, spec, ctx)
    if isinstance(answer, NoFit):
        return answer.reason
    return None


FILTER = HostFilter("NUMATopologyFilter", _check)
