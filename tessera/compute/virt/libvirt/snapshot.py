"""Snapshots of a guest's root disk, quiesced through the QEMU guest agent.

`freeze(...)` is the quiesce policy as a context manager: `Quiesce.NO` never freezes,
`TRY` freezes when the guest has an agent that answers, `REQUIRE` freezes or raises
`QuiesceFailed` before anything is taken. Whenever a freeze was attempted the guest is
thawed on the way out, also when the snapshot failed.

`take(...)` writes the image. On QEMU a running guest gets an external disk-only
overlay while frozen (so the base file stops changing), is thawed at once, the base is
converted to a qcow2 file in the work directory, and the overlay is committed back and
pivoted away, leaving the guest on its original disk. A guest that is not running is
converted directly. libvirt's test driver has no disks at all: there the snapshot is
recorded with `snapshotCreateXML` (and deleted) and the image is a sparse raw file of
the flavor's root disk size with no content, so callers above the driver can be
exercised without a hypervisor.
"""

from __future__ import annotations

import logging
import subprocess
import time
import uuid as uuidlib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tessera.compute.virt.driver import (Quiesce, QuiesceFailed, SnapshotImage,
                                         VirtError)
from tessera.compute.virt.libvirt.xml.channels import AGENT_NAME
from tessera.objects import Instance

LOG = logging.getLogger(__name__)
COMMIT_TIMEOUT = 600.0
THAW_ATTEMPTS = 3


@dataclass(frozen=True)
class RootDisk:
    path: str
    target: str
    format: str


def root_disk(xml: str) -> RootDisk | None:
    """The guest's first file-backed disk (its root disk), or None."""
    root = ET.fromstring(xml)
    for disk in root.findall("devices/disk"):
        source, target = disk.find("source"), disk.find("target")
        if disk.get("device", "disk") != "disk" or source is None or target is None:
            continue
        if source.get("file"):
            driver = disk.find("driver")
            fmt = driver.get("type", "raw") if driver is not None else "raw"
            return RootDisk(path=source.get("file", ""), target=target.get("dev", ""),
                            format=fmt)
    return None


def has_agent(xml: str) -> bool:
    root = ET.fromstring(xml)
    return any(t.get("name") == AGENT_NAME for t in root.findall("devices/channel/target"))


@contextmanager
def freeze(lv: Any, dom: Any, quiesce: Quiesce) -> Iterator[bool]:
    """Freeze the guest's filesystems as `quiesce` says; yields whether they are
    frozen. Thaws on exit whenever a freeze was attempted."""
    if quiesce is Quiesce.NO:
        yield False
        return
    if not has_agent(dom.XMLDesc(0)):
        if quiesce is Quiesce.REQUIRE:
            raise QuiesceFailed("%s has no guest agent channel (hw_qemu_guest_agent) and "
                                "the image requires a quiesced snapshot" % dom.name())
        yield False
        return
    try:
        count = dom.fsFreeze()
    except lv.libvirtError as exc:
        _thaw(lv, dom, strict=False)  # a freeze may fail half-way through
        if quiesce is Quiesce.REQUIRE:
            raise QuiesceFailed("cannot freeze the filesystems of %s through its guest "
                                "agent: %s" % (dom.name(), exc)) from None
        LOG.warning("snapshot of %s is not quiesced: %s", dom.name(), exc)
        yield False
        return
    LOG.info("froze %s filesystem(s) of %s", count, dom.name())
    try:
        yield True
    finally:
        _thaw(lv, dom, strict=True)


def _thaw(lv: Any, dom: Any, strict: bool) -> None:
    for attempt in range(THAW_ATTEMPTS):
        try:
            dom.fsThaw()
            return
        except lv.libvirtError as exc:
            last = exc
            if not strict:
                return
            time.sleep(0.2 * (attempt + 1))
    raise VirtError("cannot thaw the filesystems of %s: %s" % (dom.name(), last))


def take(lv: Any, dom: Any, instance: Instance, workdir: Path, quiesce: Quiesce
         ) -> SnapshotImage:
    """Write `dom`'s root disk into a new file under `workdir` (see the module doc)."""
    workdir.mkdir(parents=True, exist_ok=True)
    stem = "%s-%s" % (instance.uuid, uuidlib.uuid4().hex[:8])
    if dom.connect().getType().lower() == "test":
        return _take_on_test_driver(lv, dom, instance, workdir / (stem + ".raw"), quiesce)
    disk = root_disk(dom.XMLDesc(0))
    if disk is None:
        raise VirtError("%s has no file-backed root disk to snapshot" % dom.name())
    out = workdir / (stem + ".qcow2")
    if not dom.isActive():
        _convert(disk.path, disk.format, out)
        return SnapshotImage(path=out, disk_format="qcow2", quiesced=False)
    overlay = "%s.snap-%s" % (disk.path, stem[-8:])
    with freeze(lv, dom, quiesce) as quiesced:
        _overlay(lv, dom, disk, overlay)
    try:
        _convert(disk.path, disk.format, out)
    except VirtError:
        out.unlink(missing_ok=True)
        raise
    finally:
        _commit(lv, dom, disk, overlay)
    return SnapshotImage(path=out, disk_format="qcow2", quiesced=quiesced)


def _take_on_test_driver(lv: Any, dom: Any, instance: Instance, out: Path,
                         quiesce: Quiesce) -> SnapshotImage:
    """The test driver records snapshots but holds no disk data: the image is a sparse
    raw file of the flavor's root disk size (1 MiB for a flavor without one)."""
    xml = "<domainsnapshot><name>%s</name></domainsnapshot>" % out.stem
    with freeze(lv, dom, quiesce) as quiesced:
        try:
            snap = dom.snapshotCreateXML(xml, 0)
        except lv.libvirtError as exc:
            raise VirtError("snapshot of %s failed: %s" % (dom.name(), exc)) from None
    snap.delete(0)
    with out.open("wb") as f:
        f.truncate(instance.flavor.root_gb * 1024 ** 3 or 1024 ** 2)
    return SnapshotImage(path=out, disk_format="raw", quiesced=quiesced)


def _overlay(lv: Any, dom: Any, disk: RootDisk, overlay: str) -> None:
    xml = ("<domainsnapshot><disks><disk name='%s' snapshot='external'>"
           "<source file='%s'/></disk></disks></domainsnapshot>" % (disk.target, overlay))
    # Other disks (volumes) are left out of the snapshot, not given overlays.
    root = ET.fromstring(dom.XMLDesc(0))
    extra = "".join("<disk name='%s' snapshot='no'/>" % t.get("dev")
                    for t in root.findall("devices/disk/target")
                    if t.get("dev") != disk.target)
    xml = xml.replace("</disks>", extra + "</disks>")
    flags = (lv.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY | lv.VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC
             | lv.VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA)
    try:
        dom.snapshotCreateXML(xml, flags)
    except lv.libvirtError as exc:
        raise VirtError("cannot snapshot the disk of %s: %s" % (dom.name(), exc)) from None


def _commit(lv: Any, dom: Any, disk: RootDisk, overlay: str) -> None:
    """Merge the overlay back into the base and move the guest onto the base again."""
    try:
        dom.blockCommit(disk.target, None, None, 0, lv.VIR_DOMAIN_BLOCK_COMMIT_ACTIVE)
        deadline = time.monotonic() + COMMIT_TIMEOUT
        while True:
            info = dom.blockJobInfo(disk.target, 0)
            if not info or info.get("cur") == info.get("end"):
                try:
                    dom.blockJobAbort(disk.target, lv.VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT)
                    break
                except lv.libvirtError:
                    if time.monotonic() > deadline:
                        raise
            elif time.monotonic() > deadline:
                raise VirtError("committing %s back into %s timed out"
                                % (overlay, disk.path))
            time.sleep(0.05)
    except lv.libvirtError as exc:
        raise VirtError("%s keeps running on the overlay %s: committing it back failed: "
                        "%s" % (dom.name(), overlay, exc)) from None
    Path(overlay).unlink(missing_ok=True)


def _convert(src: str, fmt: str, out: Path) -> None:
    done = subprocess.run(["qemu-img", "convert", "-f", fmt, "-O", "qcow2", src, str(out)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise VirtError("qemu-img convert of %s failed: %s" % (src, done.stderr.strip()))
