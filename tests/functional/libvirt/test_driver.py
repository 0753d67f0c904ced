"""`LibvirtDriver` on libvirt's test driver: a node file per test (private state), the
host taken from the 2-cell fixture (the test driver's custom nodes report no NUMA
cells), every lifecycle call through real libvirt."""

from __future__ import annotations

from dataclasses import replace
from types import ModuleType
from typing import Any

import pytest

from tessera.compute.virt.driver import BuildFailed, GuestNotFound
from tessera.compute.virt.libvirt.discovery import HostConfig
from tessera.compute.virt.libvirt.driver import GuestDevices, LibvirtDriver, LibvirtSettings
from tessera.compute.virt.libvirt.errors import PlacementMismatch
from tessera.compute.virt.libvirt.nodedev import parse_device_spec
from tessera.compute.virt.libvirt.readback import observe
from tessera.compute.virt.libvirt.xml import Vif, VifType
from tessera.objects import PowerState
from tests.unit.virt.fixtures import caps, nodedevs
from tests.unit.virt.scenarios import DEDICATED, SHARED, instance, place

PINNED_NUMA = {"hw:cpu_policy": "dedicated", "hw:numa_nodes": "2",
               "hw:mem_page_size": "2MB"}


@pytest.fixture
def driver(libvirt: ModuleType, test_uri: str) -> Any:
    conf = HostConfig.from_strings(DEDICATED, SHARED, ["node:0,size:2M,count:16"],
                                   device_specs=(parse_device_spec(
                                       {"vendor_id": "8086", "product_id": "154c",
                                        "physical_network": "physnet1"}),))
    d = LibvirtDriver(LibvirtSettings(uri=test_uri, host_name="nfv-2cell", host_config=conf,
                                      capabilities=caps("2cell"), nodedevs=nodedevs("2cell"),
                                      local_gb=100))
    yield d
    d.close()


def test_host_and_resources(driver: LibvirtDriver) -> None:
    host = driver.host_topology()
    assert host.name == "nfv-2cell" and len(host.cells) == 2
    assert len(host.pci) == 4 and {d.numa_node for d in host.pci} == {0}
    assert host.cells[0].pages_by_size[2048].reserved == 16
    res = driver.node_resources()
    assert (res.vcpus, res.memory_mb, res.local_gb) == (8, 131072, 100)
    assert res.hypervisor_type == "QEMU" and res.hypervisor_version > 0


def test_host_from_the_test_driver_itself(libvirt: ModuleType) -> None:
    d = LibvirtDriver(LibvirtSettings(uri="test:///default", host_name="t"))
    try:
        assert [len(c.cpus) for c in d.host_topology().cells] == [8, 8]
    finally:
        d.close()


def test_lifecycle(driver: LibvirtDriver) -> None:
    inst = instance(1, 4, 2048, PINNED_NUMA)
    placement = place(driver.host_topology(), inst)
    assert driver.list_instances() == []
    assert driver.power_state(inst) is PowerState.NOSTATE
    driver.spawn(inst, placement)
    assert driver.list_instances() == [inst.uuid]
    assert driver.power_state(inst) is PowerState.RUNNING
    got = observe(driver.domain(inst).XMLDesc(0))
    assert got.pins == {v: {p} for c in placement.cells for v, p in c.pins.items()}
    assert got.pages == {0: 2048, 1: 2048}
    driver.power_off(inst)
    assert driver.power_state(inst) is PowerState.SHUTDOWN
    driver.power_off(inst)                                    # already off: no error
    driver.power_on(inst)
    assert driver.power_state(inst) is PowerState.RUNNING
    driver.reboot(inst)
    driver.reboot(inst, hard=True)
    assert driver.power_state(inst) is PowerState.RUNNING
    driver.destroy(inst)
    driver.destroy(inst)                                      # gone: no error
    assert driver.list_instances() == []
    with pytest.raises(GuestNotFound):
        driver.power_on(inst)


def test_spawn_again_replaces_the_guest_with_the_new_placement(driver: LibvirtDriver) -> None:
    host = driver.host_topology()
    small = instance(2, 2, 1024, {"hw:cpu_policy": "dedicated"})
    driver.spawn(small, place(host, small))
    bigger = small.model_copy(update={"flavor": instance(2, 4, 2048, PINNED_NUMA).flavor})
    placement = place(host, bigger)
    driver.spawn(bigger, placement)
    got = observe(driver.domain(bigger).XMLDesc(0))
    assert got.vcpus == 4 and len(got.cells) == 2
    assert driver.list_instances() == [small.uuid]


def test_an_inconsistent_placement_fails_the_build(driver: LibvirtDriver) -> None:
    inst = instance(3, 2, 1024, {"hw:cpu_policy": "dedicated"})
    placement = place(driver.host_topology(), inst)
    cell = placement.cells[0]
    bad = replace(placement, cells=(replace(cell, pins={0: cell.pins[0], 7: 5}),))
    with pytest.raises(BuildFailed, match="exceed the <vcpu> count"):
        driver.spawn(inst, bad)
    assert driver.list_instances() == []


class _DroppingDriver(LibvirtDriver):
    """Writes a pin for a vCPU the guest lacks in place of vCPU 1's, which libvirt
    accepts and silently drops: what the read-back check is there to catch."""

    def domain_xml(self, instance: Any, placement: Any) -> str:
        return super().domain_xml(instance, placement).replace(
            '<vcpupin vcpu="1"', '<vcpupin vcpu="9"')


def test_a_pin_libvirt_drops_fails_the_build_and_leaves_nothing(
        driver: LibvirtDriver) -> None:
    d = _DroppingDriver(driver.settings)
    inst = instance(3, 2, 1024, {"hw:cpu_policy": "dedicated"})
    with pytest.raises(PlacementMismatch, match="vCPU 1 pinned to"):
        d.spawn(inst, place(d.host_topology(), inst))
    assert d.list_instances() == []
    d.close()


def test_bad_devices_fail_the_build(libvirt: ModuleType, test_uri: str) -> None:
    vif = Vif(id="p1", mac="fa:16:3e:00:00:01", type=VifType.VHOSTUSER)
    d = LibvirtDriver(LibvirtSettings(uri=test_uri, capabilities=caps("1cell"),
                                      nodedevs=[],
                                      devices=lambda _: GuestDevices(vifs=(vif,))))
    with pytest.raises(BuildFailed, match="vhostuser_socket"):
        d.spawn(instance(4, 1, 512), None)
    d.close()


def test_a_floating_guest_without_placement(driver: LibvirtDriver) -> None:
    inst = instance(5, 2, 1024, props={"os_type": "windows", "hw_qemu_guest_agent": "yes"})
    driver.spawn(inst, None)
    got = observe(driver.domain(inst).XMLDesc(0))
    assert got.hyperv == {"relaxed", "vapic", "spinlocks"} and got.agent
    assert got.pins == {} and got.cells == {}
