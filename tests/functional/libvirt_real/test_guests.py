"""Real guests under libvirtd and QEMU (TCG): the tiny guest of
scripts/build-test-guest.sh defined and started by `LibvirtDriver`, and what the
hypervisor then enforces — pins, huge pages, Hyper-V flags on QEMU's command line, and
snapshots frozen and thawed through the real qemu-ga inside the guest."""

from __future__ import annotations

import re
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Callable

import pytest

from tessera.compute.virt.driver import Quiesce, QuiesceFailed
from tessera.compute.virt.libvirt.driver import LibvirtDriver
from tessera.compute.virt.libvirt.guest import guest_request
from tessera.numa.fit import fit
from tessera.numa.placement import CellPlacement, Placement
from tessera.objects import PowerState
from tests.functional.libvirt_real.conftest import SERIAL, RealLibvirt

pytestmark = SERIAL


def _virsh(*args: str) -> str:
    return subprocess.run(["virsh", "-c", "qemu:///system", *args], check=True,
                          capture_output=True, text=True, timeout=30).stdout


def _qemu_cmdline(dom: Any) -> list[str]:
    pid = int(Path("/run/libvirt/qemu/%s.pid" % dom.name()).read_text())
    return Path("/proc/%d/cmdline" % pid).read_bytes().decode().split("\0")


def _ticks(real: RealLibvirt, uuid: str) -> list[int]:
    text = real.log(uuid).read_text(errors="replace")
    return [int(n) for n in re.findall(r"^TESSERA-TICK (\d+)", text, re.M)]


def _wait_tick_after(real: RealLibvirt, uuid: str, last: int, timeout: float = 20) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ticks = _ticks(real, uuid)
        if ticks and ticks[-1] > last:
            return ticks[-1]
        time.sleep(0.2)
    raise AssertionError("the guest wrote no tick to its disk after tick %d (frozen?)"
                         % last)


def _disk_sources(dom: Any, flags: int = 0) -> list[str]:
    root = ET.fromstring(dom.XMLDesc(flags))
    return [s.get("file", "") for s in root.findall("devices/disk/source")]


def test_two_pinned_vcpus_on_two_guest_numa_cells(real: RealLibvirt,
                                                  driver: LibvirtDriver) -> None:
    # This machine has one NUMA node and two CPUs: both guest cells take their memory
    # from host node 0, each with one vCPU pinned to its own host CPU.
    inst = real.guest(2, 256, {"hw:cpu_policy": "dedicated"})
    placement = Placement(host=driver.name, cells=(
        CellPlacement(guest_cell=0, host_cell=0, memory_mb=128, page_size_kb=4,
                      pins={0: 0}),
        CellPlacement(guest_cell=1, host_cell=0, memory_mb=128, page_size_kb=4,
                      pins={1: 1})))
    driver.spawn(inst, placement)
    dom = driver.domain(inst)
    real.wait_ready(inst)
    infos, cpumaps = dom.vcpus()
    assert [cpus for cpus in cpumaps] == [(True, False), (False, True)]
    assert [(info[0], info[3]) for info in infos] == [(0, 0), (1, 1)]   # running there
    pins = dict(re.findall(r"^\s*(\d+)\s+(\S+)\s*$", _virsh("vcpupin", dom.name()), re.M))
    assert pins == {"0": "0", "1": "1"}
    cells = ET.fromstring(dom.XMLDesc(0)).findall("cpu/numa/cell")
    assert [(c.get("cpus"), c.get("memory")) for c in cells] == [("0", "131072"),
                                                                 ("1", "131072")]
    cmdline = " ".join(_qemu_cmdline(dom))
    assert cmdline.count("-numa node,") == 2
    assert driver.power_state(inst) is PowerState.RUNNING


def test_huge_page_guest_takes_its_memory_in_2m_pages(real: RealLibvirt,
                                                      driver: LibvirtDriver) -> None:
    if real.daemon.hugepages < 128:
        pytest.fail("only %d free 2M pages were set up" % real.daemon.hugepages)
    inst = real.guest(1, 256, {"hw:cpu_policy": "dedicated", "hw:mem_page_size": "2MB"})
    host = driver.host_topology()            # from the real libvirtd's capabilities
    placement = fit(host, guest_request(inst))
    assert isinstance(placement, Placement), placement
    assert placement.cells[0].page_size_kb == 2048
    conn = driver.conn()
    [before] = conn.getFreePages([2048], 0, 1).values()
    driver.spawn(inst, placement)            # QEMU takes the pages when it starts
    [after] = conn.getFreePages([2048], 0, 1).values()
    assert before[2048] - after[2048] == 256 // 2
    assert any("hugepages" in arg for arg in _qemu_cmdline(driver.domain(inst)))
    driver.destroy(inst)
    [back] = conn.getFreePages([2048], 0, 1).values()
    assert back[2048] == before[2048]


def test_windows_guest_gets_hyperv_enlightenments(real: RealLibvirt,
                                                  driver: LibvirtDriver) -> None:
    inst = real.guest(1, 256, props={"os_type": "windows"})
    driver.spawn(inst, None)
    dom = driver.domain(inst)
    cpu = next(a for a in _qemu_cmdline(dom) if "hv-" in a)
    for flag in ("hv-relaxed=on", "hv-vapic=on", "hv-spinlocks=0x1fff"):
        assert flag in cpu.split(","), cpu
    assert ET.fromstring(dom.XMLDesc(0)).find("clock").get("offset") == "localtime"
    time.sleep(2)
    assert driver.power_state(inst) is PowerState.RUNNING   # QEMU accepted them


def test_quiesced_snapshot_freezes_and_thaws_the_guest_filesystem(
        real: RealLibvirt, driver: LibvirtDriver, tmp_path: Path,
        agent_command: Callable[[Any, str], Any]) -> None:
    inst = real.guest(1, 256, props={"hw_qemu_guest_agent": "yes",
                                     "os_require_quiesce": "yes"}, disk_mb=64)
    driver.spawn(inst, None)
    dom = driver.domain(inst)
    assert real.wait_ready(inst).endswith("agent=yes disk=yes")
    disk = _disk_sources(dom)[0]
    tick = _wait_tick_after(real, inst.uuid, 0)
    assert agent_command(dom, "guest-fsfreeze-status") == "thawed"

    image = driver.snapshot(inst, tmp_path, quiesce=Quiesce.REQUIRE)

    assert image.quiesced and image.disk_format == "qcow2"
    log = real.log(inst.uuid).read_text(errors="replace")
    frozen = log.index("disabling logging due to filesystem freeze")
    assert log.index("logging re-enabled due to filesystem unfreeze") > frozen
    assert agent_command(dom, "guest-fsfreeze-status") == "thawed"
    _wait_tick_after(real, inst.uuid, _ticks(real, inst.uuid)[-1])   # writes again
    # The guest is back on its own disk, live and in its definition; no overlay left.
    assert _disk_sources(dom) == [disk]
    assert _disk_sources(dom, 2) == [disk]      # VIR_DOMAIN_XML_INACTIVE
    assert sorted(p.name for p in Path(disk).parent.glob(Path(disk).name + "*")) \
        == [Path(disk).name]
    # The image is the guest's filesystem at the snapshot: the ticks written before it.
    raw = tmp_path / "image.raw"
    subprocess.run(["qemu-img", "convert", "-O", "raw", str(image.path), str(raw)],
                   check=True)
    ticks = subprocess.run(["debugfs", "-R", "cat /ticks", str(raw)], check=True,
                           capture_output=True, text=True).stdout.split()
    assert int(ticks[-1]) >= tick and "booted" in subprocess.run(
        ["debugfs", "-R", "cat /boot.log", str(raw)], capture_output=True,
        text=True).stdout
    assert driver.power_state(inst) is PowerState.RUNNING

    # A stopped guest's disk is copied as it is (nothing to freeze).
    driver.power_off(inst)
    cold = driver.snapshot(inst, tmp_path, quiesce=Quiesce.REQUIRE)
    assert not cold.quiesced and cold.path != image.path
    info = subprocess.run(["qemu-img", "info", "--output=json", str(cold.path)],
                          check=True, capture_output=True, text=True).stdout
    assert '"format": "qcow2"' in info and '"virtual-size": %d' % (64 << 20) in info


def test_required_quiesce_without_a_working_agent_fails_and_the_guest_runs_on(
        real: RealLibvirt, driver: LibvirtDriver, tmp_path: Path) -> None:
    # The channel is there, qemu-ga is not running behind it. (A guest without the
    # channel fails before libvirt is asked: tests/functional/libvirt.)
    props = {"os_require_quiesce": "yes", "hw_qemu_guest_agent": "yes"}
    inst = real.guest(1, 256, props=props, disk_mb=32, run_agent=False)
    driver.spawn(inst, None)
    dom = driver.domain(inst)
    assert real.wait_ready(inst).endswith("agent=no disk=yes")
    disk = _disk_sources(dom)[0]
    tick = _wait_tick_after(real, inst.uuid, 0)

    with pytest.raises(QuiesceFailed, match="guest agent"):
        driver.snapshot(inst, tmp_path / "work", quiesce=Quiesce.REQUIRE)

    assert not any((tmp_path / "work").glob("*"))
    assert driver.power_state(inst) is PowerState.RUNNING
    assert _disk_sources(dom) == [disk]
    _wait_tick_after(real, inst.uuid, tick)      # its filesystem is not frozen
