"""A multi-attach volume hot-plugged into two running guests under a real libvirtd
and QEMU (TCG): `volume_disks.attach_volume` adds the `<shareable/>` raw disk to each
guest's live and persistent definitions (QEMU opens one file for both), and a detach
takes it from one guest while the other keeps it."""

from __future__ import annotations

import subprocess
import time
import xml.etree.ElementTree as ET
from typing import Any

from tessera.compute.virt.libvirt.driver import LibvirtDriver
from tessera.compute.virt.libvirt.volume_disks import attach_volume, detach_volume
from tessera.objects import BlockDevice, BlockDeviceStatus, Instance
from tests.functional.libvirt_real.conftest import SERIAL, RealLibvirt

pytestmark = SERIAL


def _vdb(dom: Any, flags: int = 0) -> ET.Element | None:
    for disk in ET.fromstring(dom.XMLDesc(flags)).findall("devices/disk"):
        if disk.find("target").get("dev") == "vdb":
            return disk
    return None


def _device(inst: Instance, path: str) -> BlockDevice:
    return BlockDevice(uuid="bdm-" + inst.uuid, instance_uuid=inst.uuid,
                       volume_id="shared-volume", attachment_id="att-" + inst.uuid,
                       device_name="/dev/vdb", multiattach=True,
                       status=BlockDeviceStatus.ATTACHING,
                       connection_info={"data": {"device_path": path}})


def test_shared_volume_hot_plugs_into_two_running_guests(real: RealLibvirt,
                                                         driver: LibvirtDriver) -> None:
    import libvirt

    volume = real.work / "volume-shared"
    subprocess.run(["truncate", "-s", "64M", str(volume)], check=True)
    guests = [real.guest(1, 256, name="vol-a"), real.guest(1, 256, name="vol-b")]
    for inst in guests:
        driver.spawn(inst, None)
    devices = {inst.uuid: _device(inst, str(volume)) for inst in guests}
    for inst in guests:
        bdm = devices[inst.uuid]
        attach_volume(driver, inst.model_copy(update={"block_devices": [bdm]}), bdm)
    for inst in guests:
        dom = driver.domain(inst)
        live, persistent = _vdb(dom), _vdb(dom, libvirt.VIR_DOMAIN_XML_INACTIVE)
        assert live is not None and persistent is not None    # hot-plugged, both
        assert live.find("shareable") is not None
        assert live.find("driver").get("cache") == "none"
        assert live.find("source").get("file") == str(volume)

    first, second = guests
    real.wait_ready(first)      # a booted guest lets go of the disk when asked
    detach_volume(driver, first, devices[first.uuid])
    dom = driver.domain(first)
    assert _vdb(dom, libvirt.VIR_DOMAIN_XML_INACTIVE) is None
    deadline = time.monotonic() + 30
    while _vdb(dom) is not None and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _vdb(dom) is None, "the guest never released the disk"
    assert _vdb(driver.domain(second)) is not None
