"""Volumes in a libvirt guest: the instance's block devices as `<disk>` elements, and
attaching/detaching them through the driver's public API.

`volume_disks` is pure: one file-backed raw disk per connected volume, on its device
name, with the volume id as serial; a multi-attach volume is `<shareable/>` with
cache `none` (the `Disk` builder enforces both), so QEMU neither caches nor locks a
disk other guests write too.

Attaching to a guest: a running guest gets the disk hot-plugged into its live and
persistent definitions (`attachDeviceFlags` with AFFECT_LIVE|AFFECT_CONFIG). A
hypervisor that cannot hot-plug (libvirt's test driver answers VIR_ERR_NO_SUPPORT)
and a guest that is shut off get the persistent definition redefined from the
instance's block devices instead: the guest sees the disk from its next start. A
detach mirrors this.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from tessera.compute.virt.driver import VirtError
from tessera.compute.virt.libvirt.xml import Disk
from tessera.objects import BlockDevice, BlockDeviceStatus, Instance


def _target(device_name: str) -> str:
    """`/dev/vdb` -> `vdb`."""
    return device_name.rsplit("/", 1)[-1]


def volume_disk(bdm: BlockDevice) -> Disk | None:
    """The disk of one block device, or None while it has no connection (path)."""
    if bdm.path is None or not bdm.device_name:
        return None
    return Disk(path=bdm.path, target=_target(bdm.device_name), source_type="file",
                format="raw", bus="virtio", cache="none", serial=bdm.volume_id,
                multiattach=bdm.multiattach)


def volume_disks(instance: Instance) -> tuple[Disk, ...]:
    """The disks of the instance's volumes (those being detached left out)."""
    disks = (volume_disk(b) for b in instance.block_devices
             if b.status is not BlockDeviceStatus.DETACHING)
    return tuple(d for d in disks if d is not None)


def _lv() -> Any:
    import libvirt
    return libvirt


def _device_xml(disk: Disk) -> str:
    return ET.tostring(disk.element(), encoding="unicode")


def _hotplug(driver: Any, instance: Instance, disk: Disk, attach: bool) -> bool:
    """Hot-plug (or unplug) the disk of a running guest; False when the guest is
    not running or the hypervisor cannot."""
    lv = _lv()
    dom = driver.domain(instance)
    if not dom.isActive():
        return False
    flags = lv.VIR_DOMAIN_AFFECT_LIVE | lv.VIR_DOMAIN_AFFECT_CONFIG
    try:
        if attach:
            dom.attachDeviceFlags(_device_xml(disk), flags)
        else:
            dom.detachDeviceFlags(_device_xml(disk), flags)
    except lv.libvirtError as exc:
        if exc.get_error_code() == lv.VIR_ERR_NO_SUPPORT:
            return False
        raise VirtError("%s: cannot %s %s: %s" % (dom.name(), "attach" if attach
                                                   else "detach", disk.target, exc)) \
            from None
    return True


def _redefine(driver: Any, instance: Instance) -> None:
    """Define the guest again from the instance (its block devices included)."""
    lv = _lv()
    driver.domain(instance)  # GuestNotFound when the host has no such guest
    xml = driver.domain_xml(instance, instance.placement)
    try:
        driver.conn().defineXMLFlags(xml, lv.VIR_DOMAIN_DEFINE_VALIDATE)
    except lv.libvirtError as exc:
        raise VirtError("libvirt refused the new definition of %s: %s"
                        % (instance.uuid, exc)) from None


def attach_volume(driver: Any, instance: Instance, bdm: BlockDevice) -> None:
    """Give the guest the disk of `bdm` (`instance.block_devices` includes it)."""
    disk = volume_disk(bdm)
    if disk is None:
        raise VirtError("volume %s has no connection to attach" % bdm.volume_id)
    if not _hotplug(driver, instance, disk, attach=True):
        _redefine(driver, instance)


def detach_volume(driver: Any, instance: Instance, bdm: BlockDevice) -> None:
    """Take the disk of `bdm` away (`instance.block_devices` no longer has it)."""
    disk = volume_disk(bdm)
    if disk is None or not _hotplug(driver, instance, disk, attach=False):
        _redefine(driver, instance)
