"""Attaching and detaching volumes on a compute host.

The API has already reserved the volume (an attachment in `reserved`) and written
the instance's block device mapping (`attaching`). Here, on the instance's host:

    attach: connect the attachment with this host's connector (-> connection info)
            -> the driver gives the guest the disk -> complete the attachment
    detach: mark it detaching -> the driver takes the disk away -> delete exactly
            this attachment (others of a multi-attach volume stay)

An attach that fails anywhere is rolled back: the attachment is deleted (the volume
is available again, or still in use by its other servers), the mapping removed, and
the instance gets a fault saying why. A detach the driver refuses leaves the volume
attached as it was.
"""

from __future__ import annotations

import logging
import platform
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol

from sqlalchemy.orm import Session

from tessera.compute.virt.driver import VirtError
from tessera.db.cell import block_devices as bdm_q
from tessera.objects import BlockDevice, BlockDeviceStatus, Instance

LOG = logging.getLogger(__name__)


class Volumes(Protocol):
    """What the host asks of the block storage service (`tessera.volume.client`)."""

    def connect(self, attachment_id: str, connector: dict[str, Any]) -> Any: ...

    def complete(self, attachment_id: str) -> Any: ...

    def begin_detaching(self, attachment_id: str) -> None: ...

    def abort_detaching(self, attachment_id: str) -> None: ...

    def delete(self, attachment_id: str) -> None: ...


def connector(host: str, device_name: str | None) -> dict[str, Any]:
    """This host as the block storage service sees it (Cinder's connector keys)."""
    return {"host": host, "platform": platform.machine(), "os_type": "linux",
            "multipath": False, "initiator": None, "ip": None,
            "mountpoint": device_name}


def driver_op(driver: Any, name: str) -> Callable[[Instance, BlockDevice], None]:
    """The driver's `attach_volume`/`detach_volume`; for the libvirt driver, the
    functions of `virt.libvirt.volume_disks` (they work through its public API)."""
    op = getattr(driver, name, None)
    if op is not None:
        return op  # type: ignore[no-any-return]
    if hasattr(driver, "domain_xml") and hasattr(driver, "conn"):
        from tessera.compute.virt.libvirt import volume_disks
        fn = getattr(volume_disks, name)
        return lambda instance, bdm: fn(driver, instance, bdm)

    def unsupported(instance: Instance, bdm: BlockDevice) -> None:
        raise VirtError("the %s driver cannot attach volumes" % type(driver).__name__)
    return unsupported


class VolumeAttacher:
    """The attach/detach steps of one compute host. `db()` opens a unit of work on
    the cell database; `fault(inst, message)` records an instance fault."""

    def __init__(self, host: str, driver: Any, volumes: Volumes | None,
                 db: Callable[[], AbstractContextManager[Session]],
                 fault: Callable[[Instance, str], None]) -> None:
        self.host = host
        self.driver = driver
        self.volumes = volumes
        self.db = db
        self.fault = fault

    def _bdm(self, inst: Instance, attachment_id: str) -> BlockDevice | None:
        return next((b for b in inst.block_devices if b.attachment_id == attachment_id),
                    None)

    def attach(self, inst: Instance, attachment_id: str) -> None:
        bdm = self._bdm(inst, attachment_id)
        if bdm is None:  # the server went (or the API gave up) meanwhile
            self.forget(attachment_id)
            return
        if bdm.status is not BlockDeviceStatus.ATTACHING:
            return  # a repeated message: this attach was done already
        try:
            if self.volumes is None:
                raise VirtError("host %s has no block storage service configured"
                                % self.host)
            att = self.volumes.connect(attachment_id,
                                       connector(self.host, bdm.device_name))
            with self.db() as s:
                bdm = bdm_q.update_bdm(s, attachment_id,
                                       connection_info=att.connection_info)
            devices = [bdm if b.attachment_id == attachment_id else b
                       for b in inst.block_devices]
            driver_op(self.driver, "attach_volume")(
                inst.model_copy(update={"block_devices": devices}), bdm)
            self.volumes.complete(attachment_id)
            with self.db() as s:
                bdm_q.update_bdm(s, attachment_id, status=BlockDeviceStatus.ATTACHED)
        except Exception as exc:
            LOG.warning("attaching volume %s to %s on %s failed: %s", bdm.volume_id,
                        inst.uuid, self.host, exc, exc_info=not isinstance(exc, VirtError))
            self.forget(attachment_id)
            self.fault(inst, "attaching volume %s failed: %s" % (bdm.volume_id, exc))

    def detach(self, inst: Instance, attachment_id: str) -> None:
        bdm = self._bdm(inst, attachment_id)
        if bdm is None:
            self.forget(attachment_id)
            return
        if bdm.status is not BlockDeviceStatus.DETACHING:
            return  # not asked for (or a repeated message)
        rest = [b for b in inst.block_devices if b.attachment_id != attachment_id]
        try:
            driver_op(self.driver, "detach_volume")(
                inst.model_copy(update={"block_devices": rest}), bdm)
        except Exception as exc:
            LOG.warning("detaching volume %s from %s on %s failed: %s", bdm.volume_id,
                        inst.uuid, self.host, exc, exc_info=not isinstance(exc, VirtError))
            self._restore(attachment_id)
            self.fault(inst, "detaching volume %s failed: %s" % (bdm.volume_id, exc))
            return
        self.forget(attachment_id)

    def release_all(self, inst: Instance) -> None:
        """The server is going: delete each of its attachments (the guest is gone,
        so the driver has nothing to detach)."""
        for bdm in inst.block_devices:
            if bdm.attachment_id:
                self.forget(bdm.attachment_id)

    def forget(self, attachment_id: str) -> None:
        """Delete the attachment (if the service is reachable) and the mapping."""
        if self.volumes is not None:
            self.volumes.delete(attachment_id)
        with self.db() as s:
            bdm_q.delete_bdm(s, attachment_id)

    def _restore(self, attachment_id: str) -> None:
        """A detach that did not happen: attached again on both sides."""
        if self.volumes is not None:
            try:
                self.volumes.abort_detaching(attachment_id)
            except Exception:  # noqa: BLE001 - best effort, the fault says what failed
                LOG.exception("could not mark attachment %s attached again",
                              attachment_id)
        with self.db() as s:
            bdm_q.update_bdm(s, attachment_id, status=BlockDeviceStatus.ATTACHED)
