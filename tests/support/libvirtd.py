"""A real libvirtd with QEMU for tests: started by hand (no systemd here), stopped by
PID, with the host prepared the way /work/shared/reference/libvirt.md measured:

- `/dev/kvm` made usable by the `libvirt-qemu` user (group kvm, 0660), or libvirtd
  re-probes QEMU for a minute on the first start;
- 2M huge pages reserved and hugetlbfs mounted on /dev/hugepages BEFORE libvirtd
  starts (libvirtd only offers huge pages from mounts it sees at start-up);
- virtlogd, then libvirtd, each with its own pid file under a runtime dir of ours.

Everything else is put back by `stop()`: the daemons are stopped by their PIDs,
`nr_hugepages` restored, hugetlbfs unmounted if we mounted it. /dev/kvm keeps group kvm
and mode 0660 (what udev gives it elsewhere): libvirt caches its QEMU probe against
/dev/kvm's ctime, so changing it back would cost a slow re-probe on every run. A
libvirtd that was already running is used as it is and left alone.

One test process at a time may hold the daemon: `LOCK` is an flock taken for as long as
the daemon is used (pytest-xdist puts every real-libvirt test in one worker with
`--dist loadgroup`; a second pytest run waits for the first).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import stat
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

URI = "qemu:///system"
RUN_DIR = Path("/run/tessera-test-libvirtd")
LOCK = Path("/run/lock/tessera-test-libvirtd.lock")
HUGETLBFS = Path("/dev/hugepages")
NR_HUGEPAGES = Path("/proc/sys/vm/nr_hugepages")
KVM = Path("/dev/kvm")
BINARIES = ("libvirtd", "virtlogd", "qemu-system-x86_64", "qemu-img")


class Unavailable(Exception):
    """The real libvirtd cannot run here; the message says why."""


def _which(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _read_pid(path: Path) -> int | None:
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _alive(pid) else None


def _socket_answers(path: str = "/run/libvirt/libvirt-sock") -> bool:
    import socket
    with socket.socket(socket.AF_UNIX) as s:
        try:
            s.connect(path)
            return True
        except OSError:
            return False


def _mounted(path: Path) -> bool:
    return any(line.split()[1] == str(path) and line.split()[2] == "hugetlbfs"
               for line in Path("/proc/mounts").read_text().splitlines())


@dataclass
class LibvirtDaemon:
    """Start with `start(hugepages=N)`, use `uri`, end with `stop()`."""

    uri: str = URI
    started: list[tuple[str, int]] = field(default_factory=list)
    hugepages: int = 0
    _lock: TextIO | None = None
    _nr_before: int | None = None
    _mounted_here: bool = False

    def start(self, hugepages: int = 0, lock_timeout: float = 900.0) -> None:
        missing = [b for b in BINARIES if _which(b) is None]
        if missing:
            raise Unavailable("%s not installed (scripts/install-libvirt.sh --daemon)"
                              % ", ".join(missing))
        if os.geteuid() != 0:
            raise Unavailable("starting libvirtd needs root")
        try:
            import libvirt  # noqa: F401
        except ImportError as exc:
            raise Unavailable("libvirt-python: %s" % exc) from None
        self._take_lock(lock_timeout)
        try:
            RUN_DIR.mkdir(parents=True, exist_ok=True)
            self._prepare_kvm()
            if not _socket_answers():
                self._prepare_hugepages(hugepages)
                self._spawn("virtlogd")
                self._spawn("libvirtd")
            else:
                self.hugepages = self._free_hugepages()
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _take_lock(self, timeout: float) -> None:
        LOCK.parent.mkdir(parents=True, exist_ok=True)
        self._lock = LOCK.open("a+")
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._lock.truncate(0)
                self._lock.write("%d\n" % os.getpid())
                self._lock.flush()
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    holder = LOCK.read_text().strip() or "?"
                    self._lock.close()
                    self._lock = None
                    raise Unavailable("test process %s has held %s for over %.0f s"
                                      % (holder, LOCK, timeout)) from None
                time.sleep(1)

    def _prepare_kvm(self) -> None:
        if not KVM.exists():
            return  # TCG only: nothing to fix
        st = KVM.stat()
        import grp
        try:
            kvm_gid = grp.getgrnam("kvm").gr_gid
        except KeyError:
            return
        if st.st_gid != kvm_gid or not st.st_mode & stat.S_IRGRP:
            os.chown(KVM, -1, kvm_gid)
            os.chmod(KVM, 0o660)

    def _prepare_hugepages(self, count: int) -> None:
        if count <= 0:
            return
        try:
            self._nr_before = int(NR_HUGEPAGES.read_text())
            if self._nr_before < count:
                NR_HUGEPAGES.write_text(str(count))
            if not _mounted(HUGETLBFS):
                HUGETLBFS.mkdir(exist_ok=True)
                subprocess.run(["mount", "-t", "hugetlbfs", "hugetlbfs", str(HUGETLBFS)],
                               check=True, capture_output=True)
                self._mounted_here = True
        except (OSError, subprocess.CalledProcessError) as exc:
            raise Unavailable("cannot prepare huge pages: %s" % exc) from None
        self.hugepages = self._free_hugepages()

    @staticmethod
    def _free_hugepages() -> int:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("HugePages_Free:"):
                return int(line.split()[1])
        return 0

    def _spawn(self, name: str) -> None:
        pidfile = RUN_DIR / ("%s.pid" % name)
        pidfile.unlink(missing_ok=True)
        done = subprocess.run([_which(name) or name, "-d", "-p", str(pidfile)],
                              capture_output=True, text=True, timeout=30)
        deadline = time.monotonic() + 10
        while (pid := _read_pid(pidfile)) is None:
            if time.monotonic() > deadline:
                raise Unavailable("%s did not start (exit %d): %s"
                                  % (name, done.returncode, done.stderr.strip()))
            time.sleep(0.05)
        self.started.append((name, pid))

    def _wait_ready(self, timeout: float = 90.0) -> None:
        import libvirt
        deadline = time.monotonic() + timeout
        while True:
            try:
                conn = libvirt.open(self.uri)
                try:
                    conn.getCapabilities()   # the first call probes QEMU (~10 s)
                finally:
                    conn.close()
                return
            except libvirt.libvirtError as exc:
                if time.monotonic() > deadline:
                    raise Unavailable("libvirtd does not answer on %s: %s"
                                      % (self.uri, exc)) from None
                time.sleep(0.2)

    def connect(self) -> Any:
        import libvirt
        return libvirt.open(self.uri)

    def remove_domains(self, uuids: set[str]) -> None:
        """Destroy and undefine the domains of `uuids` that are still there."""
        import libvirt
        try:
            conn = libvirt.open(self.uri)
        except libvirt.libvirtError:
            return
        try:
            for dom in conn.listAllDomains(0):
                if dom.UUIDString() in uuids:
                    if dom.isActive():
                        dom.destroy()
                    dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)
        finally:
            conn.close()

    def stop(self) -> None:
        for name, pid in reversed(self.started):
            self._kill(pid)
            (RUN_DIR / ("%s.pid" % name)).unlink(missing_ok=True)
        self.started.clear()
        if self._mounted_here:
            subprocess.run(["umount", str(HUGETLBFS)], capture_output=True)
            self._mounted_here = False
        if self._nr_before is not None:
            NR_HUGEPAGES.write_text(str(self._nr_before))
            self._nr_before = None
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    @staticmethod
    def _kill(pid: int, timeout: float = 15.0) -> None:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
