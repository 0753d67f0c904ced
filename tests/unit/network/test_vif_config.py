"""An instance's bound ports → its `<interface>` elements (vif_config.vifs_for)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tessera.compute.virt.libvirt.errors import InvalidDevice
from tessera.compute.virt.libvirt.vif_config import vif_for, vifs_for
from tessera.objects import Flavor, Instance, InstanceVif

PORT = "0a1b2c3d4e5f-6789"


def vif(vif_type: str, **details: str) -> InstanceVif:
    return InstanceVif(port_id=PORT, network_id="n", mac_address="fa:16:3e:00:00:01",
                       vif_type=vif_type, vif_details=details, mtu=9000)


def xml(v: InstanceVif) -> ET.Element:
    return vif_for(v).element()


def test_vhostuser_interface() -> None:
    el = xml(vif("vhostuser", vhostuser_socket="/run/vhu/vhu0a1b2c3d4e5",
                 vhostuser_mode="client"))
    assert el.get("type") == "vhostuser"
    source = el.find("source")
    assert source is not None and source.attrib == {
        "type": "unix", "path": "/run/vhu/vhu0a1b2c3d4e5", "mode": "client"}
    assert el.find("mac").get("address") == "fa:16:3e:00:00:01"  # type: ignore[union-attr]
    assert el.find("mtu").get("size") == "9000"  # type: ignore[union-attr]


def test_tap_interface_is_ethernet_with_its_tap() -> None:
    el = xml(vif("tap", devname="tap0a1b2c3d4e5"))
    assert el.get("type") == "ethernet"
    assert el.find("target").attrib == {"dev": "tap0a1b2c3d4e5",  # type: ignore[union-attr]
                                        "managed": "no"}


def test_bridge_interface() -> None:
    el = xml(vif("bridge", bridge_name="br-ex", devname="tap0a1b2c3d4e5"))
    assert el.get("type") == "bridge"
    assert el.find("source").get("bridge") == "br-ex"  # type: ignore[union-attr]
    assert el.find("target").get("dev") == "tap0a1b2c3d4e5"  # type: ignore[union-attr]


def test_unbound_port_cannot_become_an_interface() -> None:
    with pytest.raises(InvalidDevice, match="unbound"):
        vif_for(vif("unbound"))


def test_vifs_for_keeps_the_instance_order() -> None:
    inst = Instance(uuid="u", project_id="p", user_id="u",
                    flavor=Flavor(flavorid="f", name="f", vcpus=1, memory_mb=512, root_gb=1),
                    vifs=[vif("tap", devname="tapA"), vif("bridge", bridge_name="br0")])
    assert [v.type.value for v in vifs_for(inst)] == ["tap", "bridge"]
