"""Parse libvirt node-device XML (`virsh nodedev-dumpxml`, `listAllDevices()`) into PCI
devices, and pick the ones the operator offers to guests.

A device is `type-PF` when it has a `virt_functions` capability, `type-VF` when it has
a `phys_function` with an address (its parent PF), `type-PCI` otherwise (Nova's rule).
Only devices matching a device spec are offered, as with Nova's `[pci] device_spec`:
each spec is a JSON object with any of `vendor_id`, `product_id`, `address` (a glob
such as `0000:3b:*`) and `physical_network`, which becomes the device's physnet.
"""

from __future__ import annotations

import fnmatch
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tessera.compute.virt.libvirt.errors import HostDiscoveryError
from tessera.numa.host import PciDevice

_SPEC_KEYS = frozenset({"vendor_id", "product_id", "address", "physical_network"})


@dataclass(frozen=True)
class PciInfo:
    address: str
    vendor_id: str
    product_id: str
    dev_type: str
    numa_node: int | None
    parent_addr: str | None = None


@dataclass(frozen=True)
class DeviceSpec:
    """One entry of the device spec: which devices are offered, and their physnet."""

    vendor_id: str | None = None
    product_id: str | None = None
    address: str | None = None
    physnet: str | None = None

    def matches(self, dev: PciInfo) -> bool:
        return ((self.vendor_id is None or self.vendor_id == dev.vendor_id)
                and (self.product_id is None or self.product_id == dev.product_id)
                and (self.address is None or fnmatch.fnmatch(dev.address, self.address)))


def parse_device_spec(text: str | Mapping[str, Any]) -> DeviceSpec:
    """A spec from its JSON form; raises HostDiscoveryError on unknown keys."""
    data = json.loads(text) if isinstance(text, str) else dict(text)
    if not isinstance(data, dict) or set(data) - _SPEC_KEYS:
        raise HostDiscoveryError("device spec %r: expected an object with keys %s"
                                 % (text, ", ".join(sorted(_SPEC_KEYS))))
    ids = {k: _hex4(str(data[k])) for k in ("vendor_id", "product_id") if k in data}
    return DeviceSpec(address=data.get("address"), physnet=data.get("physical_network"),
                      **ids)


def _hex4(value: str) -> str:
    return "%04x" % int(value, 16)


def _addr(elem: ET.Element) -> str:
    return "%04x:%02x:%02x.%x" % tuple(int(elem.get(k, "0"), 0) for k in
                                       ("domain", "bus", "slot", "function"))


def parse_nodedev(text: str) -> PciInfo | None:
    """The PCI device a node-device document describes; None for other devices."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise HostDiscoveryError("node-device XML does not parse: %s" % exc) from None
    cap = root.find("capability[@type='pci']")
    if cap is None:
        return None
    address = "%04x:%02x:%02x.%x" % tuple(int(cap.findtext(k) or "0", 0) for k in
                                          ("domain", "bus", "slot", "function"))
    dev_type, parent = "type-PCI", None
    if cap.find("capability[@type='virt_functions']") is not None:
        dev_type = "type-PF"
    pf = cap.find("capability[@type='phys_function']/address")
    if pf is not None:
        dev_type, parent = "type-VF", _addr(pf)
    numa = cap.find("numa")
    node = numa.get("node") if numa is not None else None
    return PciInfo(address=address, vendor_id=_hex4(cap.find("vendor").get("id", "0")),
                   product_id=_hex4(cap.find("product").get("id", "0")),
                   dev_type=dev_type,
                   numa_node=int(node) if node is not None and int(node) >= 0 else None,
                   parent_addr=parent)


def offered_devices(infos: Iterable[PciInfo], specs: Iterable[DeviceSpec]
                    ) -> tuple[PciDevice, ...]:
    """The devices some spec matches, with the first matching spec's physnet, sorted
    by address."""
    specs = list(specs)
    out = []
    for info in infos:
        spec = next((s for s in specs if s.matches(info)), None)
        if spec is not None:
            out.append(PciDevice(address=info.address, vendor_id=info.vendor_id,
                                 product_id=info.product_id, dev_type=info.dev_type,
                                 physnet=spec.physnet, numa_node=info.numa_node))
    return tuple(sorted(out, key=lambda d: d.address))
