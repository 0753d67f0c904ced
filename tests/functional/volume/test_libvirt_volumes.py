"""Volumes on `LibvirtDriver` over libvirt's test driver: attaching a multi-attach
volume to a running guest lands in its persistent definition (the test driver cannot
hot-plug), validated by libvirt, and the guest runs with the `<shareable/>` disk from
its next start; a detach takes it away the same way."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from types import ModuleType
from typing import Any

import pytest

from tessera.compute.virt.libvirt.discovery import HostConfig
from tessera.compute.virt.libvirt.driver import LibvirtDriver, LibvirtSettings
from tessera.compute.virt.libvirt.volume_disks import attach_volume, detach_volume
from tessera.objects import BlockDevice, BlockDeviceStatus
from tests.functional.libvirt.conftest import libvirt, test_uri  # noqa: F401
from tests.unit.virt.fixtures import caps
from tests.unit.virt.scenarios import DEDICATED, SHARED, instance, place


@pytest.fixture
def driver(libvirt: ModuleType, test_uri: str) -> Any:  # noqa: F811
    d = LibvirtDriver(LibvirtSettings(uri=test_uri, host_name="nfv-2cell",
                                      host_config=HostConfig.from_strings(DEDICATED,
                                                                          SHARED, []),
                                      capabilities=caps("2cell"), nodedevs=[]))
    yield d
    d.close()


def _vdb(xml: str) -> ET.Element | None:
    for disk in ET.fromstring(xml).findall("devices/disk"):
        if disk.find("target").get("dev") == "vdb":
            return disk
    return None


def test_attach_and_detach_on_the_test_driver(driver: LibvirtDriver, libvirt: ModuleType,
                                              tmp_path: Any) -> None:  # noqa: F811
    inst = instance(7, 1, 512)
    inst = inst.model_copy(update={"placement": place(driver.host_topology(), inst)})
    driver.spawn(inst, inst.placement)
    backing = tmp_path / "volume-v1"
    backing.write_bytes(b"")
    device = BlockDevice(uuid="b1", instance_uuid=inst.uuid, volume_id="v1",
                         attachment_id="a1", device_name="/dev/vdb", multiattach=True,
                         status=BlockDeviceStatus.ATTACHING,
                         connection_info={"data": {"device_path": str(backing)}})
    with_volume = inst.model_copy(update={"block_devices": [device]})
    attach_volume(driver, with_volume, device)
    dom = driver.domain(inst)
    inactive = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
    disk = _vdb(inactive)
    assert disk is not None and disk.find("shareable") is not None
    assert disk.find("driver").get("cache") == "none"
    assert _vdb(dom.XMLDesc(0)) is None       # no hot-plug on the test driver
    driver.power_off(inst)
    driver.power_on(inst)
    assert _vdb(driver.domain_xml_of(inst)) is not None
    # a respawn (a move, a hard rebuild) keeps the disk: it comes from the instance
    assert _vdb(driver.domain_xml(with_volume, inst.placement)) is not None

    detach_volume(driver, inst, device)
    assert _vdb(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)) is None
    driver.destroy(inst)
