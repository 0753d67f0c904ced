"""Each filter, passing and rejecting, with the reason it gives. One table, one loop."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tessera.numa import Placement
from tessera.numa.request import PciRequest
from tessera.objects import Destination, HostState, RequestSpec
from tessera.scheduler import UnknownFilter, load_filters
from tessera.scheduler.filters import ALWAYS_ENABLED, REGISTRY, FilterContext

from .helpers import VF, flavor, pinned, small, spec

OTHER = small("other", instance_uuids=frozenset({"vm-b"}))


@dataclass(frozen=True)
class Case:
    id: str
    filter: str
    host: Callable[[], HostState]
    spec: Callable[[], RequestSpec]
    reason: str | None  # None: passes; else a substring of the reason


def _cn(**kw: object) -> Callable[[], HostState]:
    return lambda: small(**kw)  # type: ignore[arg-type]


FLOAT = lambda **kw: spec(flavor(4, 4096), **kw)  # noqa: E731
WIN = {"os_type": "windows"}

CASES = [
    Case("compute up", "ComputeFilter", _cn(), spec, None),
    Case("compute down", "ComputeFilter", _cn(service_up=False), spec, "is down"),
    Case("compute disabled", "ComputeFilter",
         _cn(service_disabled=True, disabled_reason="maintenance"), spec,
         "is disabled (maintenance)"),
    Case("az any", "AvailabilityZoneFilter", _cn(az="az1"), spec, None),
    Case("az same", "AvailabilityZoneFilter", _cn(az="az1"),
         lambda: spec(availability_zone="az1"), None),
    Case("az default is nova", "AvailabilityZoneFilter", _cn(),
         lambda: spec(availability_zone="nova"), None),
    Case("az other", "AvailabilityZoneFilter", _cn(az="az1"),
         lambda: spec(availability_zone="az2"), "zone 'az1', the request asks for 'az2'"),
    Case("ram fits", "RamFilter", _cn(memory_mb_used=14336), spec, None),
    Case("ram short", "RamFilter", _cn(memory_mb_used=15360), spec,
         "1024 MiB of RAM free (16384 MiB x ratio 1, 15360 MiB used), the flavor needs 2048"),
    Case("ram over-commit", "RamFilter", _cn(memory_mb_used=15360, ram_allocation_ratio=1.5),
         spec, None),
    Case("disk fits", "DiskFilter", _cn(local_gb=10), spec, None),
    Case("disk short", "DiskFilter", _cn(local_gb=100, local_gb_used=95), spec,
         "5.0 GiB of local disk free (100 GiB x ratio 1, 95 GiB used), the request needs 10.0"),
    Case("disk boot from volume", "DiskFilter", _cn(local_gb=1),
         lambda: spec(is_bfv=True), None),
    Case("vcpu floating fits", "VcpuFilter", _cn(vcpus_used=12), FLOAT, None),
    Case("vcpu floating short", "VcpuFilter", _cn(vcpus_used=14), FLOAT,
         "room for 2 more floating vCPUs (4 x ratio 4, 14 used), the request has 4"),
    Case("vcpu pinned not counted", "VcpuFilter", _cn(vcpus_used=16), spec, None),
    Case("numa pinned fits", "NUMATopologyFilter", _cn(), lambda: spec(pinned(6)), None),
    Case("numa pinned too big", "NUMATopologyFilter", _cn(), lambda: spec(pinned(8)),
         "cell 0: 6 free dedicated pCPUs, needs 8; cell 1: 6 free"),
    Case("numa isolate on busy cell", "NUMATopologyFilter", _cn(pinned="1-3,9-11"),
         lambda: spec(pinned(4, hw__cpu_thread_policy="isolate")), "cell 0:"),
    Case("numa pages short", "NUMATopologyFilter", _cn(),
         lambda: spec(pinned(2, 6144, hw__mem_page_size="1GB")), "1G pages"),
    Case("numa floating guest passes", "NUMATopologyFilter", _cn(vcpus_used=16), FLOAT, None),
    Case("pci none asked", "PciPassthroughFilter", _cn(vfs=0), spec, None),
    Case("pci enough", "PciPassthroughFilter", _cn(vfs=2), lambda: spec(pci=(VF, VF)), None),
    Case("pci short", "PciPassthroughFilter", _cn(vfs=2),
         lambda: spec(pci=(PciRequest(count=3, vendor_id="8086", physnet="physnet1"),)),
         "2 free 8086:* on physnet1 device(s) on the host, the request needs 3"),
    Case("pci wrong physnet", "PciPassthroughFilter", _cn(vfs=2),
         lambda: spec(pci=(PciRequest(count=1, physnet="physnet2"),)),
         "0 free *:* on physnet2 device(s)"),
    Case("image none", "ImagePropertiesFilter", _cn(), spec, None),
    Case("image hv fake", "ImagePropertiesFilter", _cn(),
         lambda: spec(image={"img_hv_type": "fake", "hw_architecture": "amd64"}), None),
    Case("image hv qemu on fake", "ImagePropertiesFilter", _cn(),
         lambda: spec(image={"img_hv_type": "qemu"}), "hypervisor_type=qemu; host small runs"),
    Case("image kvm host runs qemu", "ImagePropertiesFilter", _cn(hypervisor_type="kvm"),
         lambda: spec(image={"hypervisor_type": "qemu"}), None),
    Case("image arch", "ImagePropertiesFilter", _cn(),
         lambda: spec(image={"architecture": "aarch64"}), "architecture=aarch64"),
    Case("image vm_mode", "ImagePropertiesFilter", _cn(),
         lambda: spec(image={"vm_mode": "pv"}), "vm_mode=xen"),
    Case("image version ok", "ImagePropertiesFilter", _cn(hypervisor_version=8002000),
         lambda: spec(image={"img_hv_requested_version": ">=6.0"}), None),
    Case("image version old", "ImagePropertiesFilter", _cn(hypervisor_version=5000000),
         lambda: spec(image={"img_hv_requested_version": ">=6.0"}),
         "hypervisor version >=6.0, host has fake (5000000)"),
    Case("windows on fake", "ImagePropertiesFilter", _cn(), lambda: spec(image=WIN), None),
    Case("windows on qemu", "ImagePropertiesFilter", _cn(hypervisor_type="qemu"),
         lambda: spec(image=WIN), None),
    Case("windows on lxc", "ImagePropertiesFilter", _cn(hypervisor_type="lxc"),
         lambda: spec(image={**WIN, "img_hv_type": "lxc"}), "does not run Windows guests"),
    Case("same_host here", "SameHostFilter", _cn(instance_uuids=frozenset({"vm-a"})),
         lambda: spec(scheduler_hints={"same_host": ["vm-a", "vm-b"]}), None),
    Case("same_host elsewhere", "SameHostFilter", _cn(),
         lambda: spec(scheduler_hints={"same_host": ["vm-b"]}),
         "none of instances vm-b runs here (they run on other)"),
    Case("same_host unknown", "SameHostFilter", _cn(),
         lambda: spec(scheduler_hints={"same_host": ["vm-x"]}), "run on no known host"),
    Case("different_host elsewhere", "DifferentHostFilter", _cn(),
         lambda: spec(scheduler_hints={"different_host": ["vm-b"]}), None),
    Case("different_host here", "DifferentHostFilter", _cn(instance_uuids=frozenset({"vm-b"})),
         lambda: spec(scheduler_hints={"different_host": ["vm-b"]}),
         "instance vm-b runs here"),
    Case("ignore none", "IgnoreHostsFilter", _cn(), spec, None),
    Case("ignore_hosts", "IgnoreHostsFilter", _cn(), lambda: spec(ignore_hosts=["small"]),
         "ignore_hosts"),
    Case("retry host", "IgnoreHostsFilter", _cn(),
         lambda: spec().with_retry("small", "small", "claim failed: pCPU 3 taken"),
         "failed here: claim failed: pCPU 3 taken"),
    Case("retry other host", "IgnoreHostsFilter", _cn(),
         lambda: spec().with_retry("other", None, "boom"), None),
    Case("forced here", "ForcedHostsFilter", _cn(), lambda: spec(force_hosts=["small"]), None),
    Case("forced elsewhere", "ForcedHostsFilter", _cn(), lambda: spec(force_hosts=["other"]),
         "forced to host other"),
    Case("forced node", "ForcedHostsFilter", _cn(), lambda: spec(force_nodes=["n9"]),
         "forced to node n9"),
    Case("destination host", "ForcedHostsFilter", _cn(),
         lambda: spec(requested_destination=Destination(host="other")),
         "destination host other"),
    Case("destination cell", "ForcedHostsFilter", _cn(),
         lambda: spec(requested_destination=Destination(cell_uuid="cell2")),
         "kept to cell cell2"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_filter(case: Case) -> None:
    host, request = case.host(), case.spec()
    before = request.model_dump()
    ctx = FilterContext.for_request(request, [host, OTHER])
    reason = REGISTRY[case.filter].check(host, request, ctx)
    if case.reason is None:
        assert reason is None
    else:
        assert reason is not None and case.reason in reason, reason
    assert request.model_dump() == before


def test_every_registered_filter_has_a_passing_and_a_rejecting_case() -> None:
    verdicts = {(c.filter, c.reason is None) for c in CASES}
    for name in REGISTRY:
        assert (name, True) in verdicts and (name, False) in verdicts, name


def test_numa_filter_keeps_its_placement_in_the_context() -> None:
    host, request = small(), spec(pinned(4))
    ctx = FilterContext.for_request(request, [host])
    assert REGISTRY["NUMATopologyFilter"].check(host, request, ctx) is None
    placement = ctx.placements[host.compute_node.uuid]
    assert isinstance(placement, Placement)
    assert sorted(placement.cells[0].pins) == [0, 1, 2, 3]


def test_load_filters_keeps_the_cost_order_and_the_mandatory_ones() -> None:
    names = [f.name for f in load_filters(["NUMATopologyFilter", "RamFilter"])]
    assert names == list(ALWAYS_ENABLED) + ["RamFilter", "NUMATopologyFilter"]
    assert [f.name for f in load_filters()][-1] == "NUMATopologyFilter"
    with pytest.raises(UnknownFilter, match="NoSuchFilter"):
        load_filters(["RamFilter", "NoSuchFilter"])
