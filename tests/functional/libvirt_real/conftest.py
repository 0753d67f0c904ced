"""Fixtures for tests on a real libvirtd with QEMU (TCG): the daemon for the session
(tests/support/libvirtd.py), the tiny guest of scripts/build-test-guest.sh, a work
directory QEMU (user libvirt-qemu) can reach, and `LibvirtDriver`s on qemu:///system
that boot the tiny guest by direct kernel boot with a serial log to read.

Every module here sets `pytestmark = SERIAL` (the xdist group `libvirtd`): with `--dist loadgroup` (the
Makefile's default) they all run in one worker, one guest after another.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import uuid as uuidlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tessera.compute.virt.libvirt.discovery import HostConfig
from tessera.compute.virt.libvirt.driver import (GuestDevices, LibvirtDriver,
                                                 LibvirtSettings)
from tessera.compute.virt.libvirt.guest import GuestOptions
from tessera.compute.virt.libvirt.xml import Disk, KernelBoot
from tessera.objects import Flavor, ImageMeta, Instance
from tests.conftest import _require_service
from tests.support.libvirtd import LibvirtDaemon, Unavailable

ROOT = Path(__file__).resolve().parents[3]
GUEST_DIR = ROOT / "build" / "test-guest"
HUGEPAGES = 192          # 384 MiB of 2M pages: one 256 MiB guest and some room
READY = "TESSERA-GUEST-READY"
BOOT_TIMEOUT = 90.0
SERIAL = pytest.mark.xdist_group("libvirtd")


@dataclass
class RealLibvirt:
    daemon: LibvirtDaemon
    kernel: Path
    initrd: Path
    work: Path
    devices: dict[str, GuestDevices] = field(default_factory=dict)

    def driver(self, dedicated: str | None = "0-1", shared: str | None = None,
               host_name: str = "real-libvirt") -> LibvirtDriver:
        """A driver on the real libvirtd; guests boot the tiny guest (see `guest`)."""
        return LibvirtDriver(LibvirtSettings(
            uri=self.daemon.uri, host_name=host_name,
            host_config=HostConfig.from_strings(dedicated, shared),
            guest=GuestOptions(virt_type="qemu"),
            devices=lambda inst: self.devices.get(inst.uuid, GuestDevices())))

    def guest(self, vcpus: int, memory_mb: int, specs: dict[str, str] | None = None,
              props: dict[str, str] | None = None, disk_mb: int = 0,
              run_agent: bool = True, name: str = "vm") -> Instance:
        """An instance whose domain boots the tiny guest, logging to `log(inst)`, with
        an ext4 disk of `disk_mb` MiB (mounted on /mnt in the guest) when asked;
        `run_agent=False` keeps qemu-ga from starting even where the channel is."""
        uuid = str(uuidlib.uuid4())
        disks: tuple[Disk, ...] = ()
        if disk_mb:
            path = self.work / ("%s.raw" % uuid)
            subprocess.run(["truncate", "-s", "%dM" % disk_mb, str(path)], check=True)
            subprocess.run(["mkfs.ext4", "-q", "-F", str(path)], check=True)
            disks = (Disk(path=str(path), format="raw"),)
        self.devices[uuid] = GuestDevices(
            boot=KernelBoot(kernel=str(self.kernel), initrd=str(self.initrd),
                            cmdline="console=ttyS0 quiet panic=-1"
                            + ("" if run_agent else " tessera.agent=off")),
            serial_log=str(self.log(uuid)), disks=disks)
        return Instance(uuid=uuid, display_name=name, project_id="p", user_id="u",
                        flavor=Flavor(flavorid=name, name=name, vcpus=vcpus,
                                      memory_mb=memory_mb, root_gb=0,
                                      extra_specs=specs or {}),
                        image=ImageMeta(id="tiny", name="tiny", properties=props or {}))

    def log(self, uuid: str) -> Path:
        return self.work / ("%s.log" % uuid)

    def wait_ready(self, inst: Instance, timeout: float = BOOT_TIMEOUT) -> str:
        """The guest's ready line (`TESSERA-GUEST-READY agent=... disk=...`)."""
        log = self.log(inst.uuid)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if log.exists():
                for line in log.read_text(errors="replace").splitlines():
                    if line.startswith(READY):
                        return line
            time.sleep(0.2)
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
        raise AssertionError("guest %s not ready after %.0f s:\n%s"
                             % (inst.uuid, timeout, tail))


@pytest.fixture(scope="session")
def _real_libvirt() -> Iterator[RealLibvirt | str]:
    """The daemon and the guest for the session, or why they are not available."""
    build = subprocess.run([str(ROOT / "scripts/build-test-guest.sh"), str(GUEST_DIR)],
                           capture_output=True, text=True)
    if build.returncode != 0:
        yield "the tiny test guest cannot be built: " + build.stderr.strip()[-500:]
        return
    daemon = LibvirtDaemon()
    try:
        daemon.start(hugepages=HUGEPAGES)
    except Unavailable as exc:
        yield "libvirtd cannot start: %s" % exc
        return
    work = Path(tempfile.mkdtemp(prefix="tessera-libvirt-"))
    work.chmod(0o755)   # QEMU runs as libvirt-qemu and must reach the disks
    # The checkout may sit under a directory QEMU cannot enter (a 0700 mktemp dir,
    # say): boot the guest from copies in the work dir.
    boot = work / "boot"
    boot.mkdir()
    boot.chmod(0o755)
    for name in ("vmlinuz", "initrd.img"):
        shutil.copyfile(GUEST_DIR / name, boot / name)
        (boot / name).chmod(0o644)
    real = RealLibvirt(daemon=daemon, kernel=boot / "vmlinuz",
                       initrd=boot / "initrd.img", work=work)
    try:
        yield real
    finally:
        daemon.remove_domains(set(real.devices))   # any guest a failed test left
        daemon.stop()
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture
def real(_real_libvirt: RealLibvirt | str) -> RealLibvirt:
    if isinstance(_real_libvirt, str):
        _require_service("a real libvirtd with QEMU", False, _real_libvirt)
    assert isinstance(_real_libvirt, RealLibvirt)
    return _real_libvirt


@pytest.fixture
def driver(real: RealLibvirt) -> Iterator[LibvirtDriver]:
    d = real.driver()
    yield d
    for uuid in d.list_instances():
        d.destroy(Instance(uuid=uuid, project_id="p", user_id="u",
                           flavor=Flavor(flavorid="x", name="x", vcpus=1, memory_mb=1)))
    d.close()


@pytest.fixture
def agent_command() -> Callable[[Any, str], Any]:
    """Run a raw guest-agent command through libvirt (libvirt_qemu) and decode it."""
    import json

    import libvirt_qemu

    def run(dom: Any, command: str) -> Any:
        reply = libvirt_qemu.qemuAgentCommand(dom, json.dumps({"execute": command}), 10, 0)
        return json.loads(reply)["return"]
    return run
