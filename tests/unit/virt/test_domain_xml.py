"""Domain XML per seed feature: the generated document equals its golden file, and
the builders' rules hold case by case (table tests)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tessera.compute.virt.libvirt.errors import InvalidDevice, PlacementMismatch
from tessera.compute.virt.libvirt.guest import GuestOptions, build_domain
from tessera.compute.virt.libvirt.readback import check_placement, observe
from tessera.compute.virt.libvirt.xml import Disk, Vif, VifType
from tests.unit.virt.fixtures import FIXTURES
from tests.unit.virt.scenarios import SCENARIOS, Scenario, instance, nfv_host, place

GOLDEN = FIXTURES / "golden"
REGEN = os.environ.get("TESSERA_REGEN_GOLDEN") == "1"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_golden(scenario: Scenario) -> None:
    host = nfv_host()
    inst, placement, spec = scenario.build(host, SCENARIOS.index(scenario) + 1)
    xml = spec.to_xml()
    path = GOLDEN / ("%s.xml" % scenario.name)
    if REGEN:
        path.parent.mkdir(exist_ok=True)
        path.write_text(xml)
    assert xml == path.read_text()
    check_placement(xml, placement, host, inst.flavor.vcpus)


def _observed(name: str):
    scenario = next(s for s in SCENARIOS if s.name == name)
    host = nfv_host()
    inst, placement, spec = scenario.build(host, 1)
    return host, placement, observe(spec.to_xml())


def test_pinned_vcpus_get_one_cpu_each_and_emulator_their_union() -> None:
    host, placement, got = _observed("pinned")
    pins = {v: p for c in placement.cells for v, p in c.pins.items()}
    assert got.pins == {v: frozenset({p}) for v, p in pins.items()}
    assert got.emulatorpin == set(pins.values())


def test_require_gives_the_guest_smt_threads() -> None:
    host = nfv_host()
    scenario = next(s for s in SCENARIOS if s.name == "pinned-require")
    _, _, spec = scenario.build(host, 1)
    assert spec.cpu.topology is not None and spec.cpu.topology.threads == 2
    isolate = next(s for s in SCENARIOS if s.name == "pinned-isolate")
    _, _, spec = isolate.build(host, 1)
    assert spec.cpu.topology is not None and spec.cpu.topology.threads == 1


def test_emulator_policies() -> None:
    _, placement, got = _observed("emulator-isolate")
    assert got.emulatorpin == placement.emulator_pins and len(got.emulatorpin) == 1
    assert not got.emulatorpin & {p for c in placement.cells for p in c.pins.values()}
    _, _, got = _observed("emulator-share")
    assert got.emulatorpin == {0, 1, 16, 17, 8, 9, 24, 25}


def test_floating_guest_floats_over_the_shared_set() -> None:
    host = nfv_host()
    inst = instance(1, 2, 1024)
    spec = build_domain(inst, place(host, inst), host)
    assert spec.vcpu_cpuset == {0, 1, 16, 17, 8, 9, 24, 25}
    assert "<cputune" not in spec.to_xml() and "<numatune" not in spec.to_xml()


def test_floating_vcpus_of_a_numa_guest_use_their_cells_shared_cpus() -> None:
    _, placement, got = _observed("numa-asymmetric")
    for i, c in enumerate(placement.cells):
        shared = {0, 1, 16, 17} if c.host_cell == 0 else {8, 9, 24, 25}
        assert all(got.pins[v] == shared for v in c.vcpus)
        assert got.memnodes[i] == {c.host_cell}
    assert [len(got.cells[i][0]) for i in (0, 1)] == [2, 4]


def test_huge_pages_make_every_cell_shared() -> None:
    _, placement, got = _observed("hugepages-1g-2cells")
    assert got.pages == {0: 1048576, 1: 1048576}
    assert all(shared for _, _, shared in got.cells.values())
    _, _, got = _observed("pinned")
    assert got.pages == {} and not any(s for _, _, s in got.cells.values())


def test_realtime_vcpus_get_fifo_and_locked_memory() -> None:
    host = nfv_host()
    scenario = next(s for s in SCENARIOS if s.name == "realtime")
    _, placement, spec = scenario.build(host, 1)
    xml = spec.to_xml()
    assert '<vcpusched vcpus="1-3" scheduler="fifo" priority="1" />' in xml
    assert "<locked />" in xml and "<nosharepages />" in xml
    pin0 = placement.cells[0].pins[0]
    assert observe(xml).emulatorpin == {pin0}


@pytest.mark.parametrize("name,hyperv,offset", [
    ("windows", {"relaxed", "vapic", "spinlocks"}, "localtime"),
    ("floating", set(), "utc"),
])
def test_windows_enlightenments(name: str, hyperv: set[str], offset: str) -> None:
    scenario = next(s for s in SCENARIOS if s.name == name)
    _, _, spec = scenario.build(nfv_host(), 1)
    assert observe(spec.to_xml()).hyperv == hyperv
    assert spec.clock.offset == offset


def test_guest_agent_channel_names_the_domain() -> None:
    scenario = next(s for s in SCENARIOS if s.name == "guest-agent")
    inst, _, spec = scenario.build(nfv_host(), 1)
    assert spec.agent is not None
    assert spec.agent.path == ("/var/lib/libvirt/qemu/org.qemu.guest_agent.0.instance-%s"
                               ".sock" % inst.uuid)
    assert observe(spec.to_xml()).agent


@pytest.mark.parametrize("vif,message", [
    (Vif(id="a", mac="fa:16:3e:00:00:01", type=VifType.VHOSTUSER), "vhostuser_socket"),
    (Vif(id="a", mac="fa:16:3e:00:00:01", type=VifType.VHOSTUSER,
         details={"vhostuser_socket": "/s", "vhostuser_mode": "peer"}), "client or server"),
    (Vif(id="a", mac="fa:16:3e:00:00:01"), "no bridge"),
])
def test_bad_vifs(vif: Vif, message: str) -> None:
    with pytest.raises(InvalidDevice, match=message):
        vif.element()


def test_tap_name_is_cut_to_fourteen_characters() -> None:
    vif = Vif(id="3f2a1b4c-5d6e-4f70", mac="fa:16:3e:00:00:01", type=VifType.TAP)
    assert vif.tap_name == "tap3f2a1b4c-5d"


def test_multiattach_forces_cache_none() -> None:
    disk = Disk(path="/dev/sdb", target="vdb", source_type="block", format="raw",
                cache="writeback", multiattach=True)
    assert disk.element().find("driver").get("cache") == "none"
    assert disk.element().find("shareable") is not None


@pytest.mark.parametrize("tamper,message", [
    (lambda x: x.replace('<vcpupin vcpu="1"', '<vcpupin vcpu="9"'), "vCPU 1 pinned to"),
    (lambda x: x.replace('nodeset="1" />', 'nodeset="0" />'), "host nodes 0"),
    (lambda x: x.replace('<page size="2048"', '<page size="1048576"'), "1048576 KiB pages"),
    (lambda x: x.replace('memory="1048576"', 'memory="524288"'), "524288 KiB"),
])
def test_check_placement_names_what_differs(tamper, message: str) -> None:
    host = nfv_host()
    inst = instance(1, 4, 2048, {"hw:cpu_policy": "dedicated", "hw:numa_nodes": "2",
                                 "hw:mem_page_size": "2MB"})
    placement = place(host, inst)
    xml = build_domain(inst, placement, host, GuestOptions()).to_xml()
    check_placement(xml, placement, host, 4)
    with pytest.raises(PlacementMismatch, match=message):
        check_placement(tamper(xml), placement, host, 4)
