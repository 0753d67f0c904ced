"""Block devices as libvirt disks (`volume_disks`, pure): a connected volume becomes a
raw file disk on its device with the volume id as serial; multi-attach ones are
`<shareable/>` with cache none; unconnected and detaching ones are left out; and the
whole domain built from such an instance carries them."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tessera.compute.virt.libvirt.guest import GuestOptions, build_domain
from tessera.compute.virt.libvirt.volume_disks import volume_disks
from tessera.objects import BlockDevice, BlockDeviceStatus
from tests.unit.virt.scenarios import instance, nfv_host, place


def bdm(n: int, multiattach: bool = False, connected: bool = True,
        status: BlockDeviceStatus = BlockDeviceStatus.ATTACHED) -> BlockDevice:
    volume = "vol-%d" % n
    info = {"driver_volume_type": "file",
            "data": {"device_path": "/srv/volumes/volume-%s" % volume}} if connected else None
    return BlockDevice(uuid="b%d" % n, instance_uuid="i", volume_id=volume,
                       attachment_id="att-%d" % n, device_name="/dev/vd" + "bcdef"[n],
                       status=status, multiattach=multiattach, connection_info=info)


@pytest.mark.parametrize("device, shown", [
    (bdm(0, multiattach=True), True),
    (bdm(1), True),
    (bdm(2, connected=False), False),
    (bdm(3, status=BlockDeviceStatus.DETACHING), False),
    (bdm(4, status=BlockDeviceStatus.ATTACHING), True),
])
def test_which_block_devices_become_disks(device: BlockDevice, shown: bool) -> None:
    inst = instance(1, 1, 512).model_copy(update={"block_devices": [device]})
    assert len(volume_disks(inst)) == (1 if shown else 0)


def test_disk_elements_in_the_domain() -> None:
    host = nfv_host()
    inst = instance(1, 1, 512).model_copy(update={
        "block_devices": [bdm(0, multiattach=True), bdm(1)]})
    spec = build_domain(inst, place(host, inst), host, GuestOptions(),
                        disks=volume_disks(inst))
    disks = {d.find("target").get("dev"): d
             for d in ET.fromstring(spec.to_xml()).findall("devices/disk")}
    shared, single = disks["vdb"], disks["vdc"]
    assert shared.find("shareable") is not None
    assert shared.find("driver").attrib == {"name": "qemu", "type": "raw", "cache": "none"}
    assert shared.find("source").get("file") == "/srv/volumes/volume-vol-0"
    assert shared.find("serial").text == "vol-0"
    assert single.find("shareable") is None
    assert single.find("target").get("bus") == "virtio"
