"""`<interface>` of type bridge, ethernet with a tap target (VIF_TYPE_TAP, reference
§6) and vhostuser (VIF_TYPE_VHOSTUSER, §5.2).

A `Vif` carries what a port binding gives: its type, MAC, device name, MTU and
`details` (`vhostuser_socket`, `vhostuser_mode`)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from tessera.compute.virt.libvirt.errors import InvalidDevice
from tessera.compute.virt.libvirt.xml.base import sub

NIC_NAME_LEN = 14


class VifType(str, Enum):
    BRIDGE = "bridge"
    TAP = "tap"
    VHOSTUSER = "vhostuser"


@dataclass(frozen=True)
class Vif:
    id: str
    mac: str
    type: VifType = VifType.BRIDGE
    bridge: str | None = None
    devname: str | None = None
    mtu: int | None = None
    model: str = "virtio"
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def tap_name(self) -> str:
        """`tap` + port id, cut to 14 characters, unless the port names it."""
        return self.devname or ("tap" + self.id)[:NIC_NAME_LEN]

    def element(self) -> ET.Element:
        if self.type is VifType.VHOSTUSER:
            return self._vhostuser()
        iface = ET.Element("interface", type="ethernet" if self.type is VifType.TAP
                           else "bridge")
        sub(iface, "mac", address=self.mac)
        if self.type is VifType.BRIDGE:
            if not self.bridge:
                raise InvalidDevice("bridge VIF %s names no bridge" % self.id)
            sub(iface, "source", bridge=self.bridge)
            sub(iface, "target", dev=self.tap_name)
        else:
            # Tessera creates the tap itself (plug); libvirt must not (managed='no').
            sub(iface, "target", dev=self.tap_name, managed="no")
        sub(iface, "model", type=self.model)
        if self.mtu:
            sub(iface, "mtu", size=self.mtu)
        return iface

    def _vhostuser(self) -> ET.Element:
        path = self.details.get("vhostuser_socket")
        if not path:
            raise InvalidDevice("vhost-user VIF %s has no vhostuser_socket" % self.id)
        mode = str(self.details.get("vhostuser_mode", "server"))
        if mode not in ("client", "server"):
            raise InvalidDevice("vhost-user VIF %s: vhostuser_mode %r is not client or "
                                "server" % (self.id, mode))
        iface = ET.Element("interface", type="vhostuser")
        sub(iface, "mac", address=self.mac)
        sub(iface, "source", type="unix", path=path, mode=mode)
        if self.devname:
            sub(iface, "target", dev=self.devname)
        sub(iface, "model", type="virtio")
        if self.mtu:
            sub(iface, "mtu", size=self.mtu)
        return iface
