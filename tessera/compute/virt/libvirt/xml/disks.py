"""`<disk>`: file or block backed, with `<shareable/>` and cache none for multi-attach
volumes (reference §12.5)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from tessera.compute.virt.libvirt.errors import InvalidDevice
from tessera.compute.virt.libvirt.xml.base import sub


@dataclass(frozen=True)
class Disk:
    path: str
    target: str = "vda"
    source_type: str = "file"   # file | block
    format: str = "qcow2"
    bus: str = "virtio"
    device: str = "disk"
    cache: str | None = None
    serial: str | None = None
    multiattach: bool = False
    readonly: bool = False

    def element(self) -> ET.Element:
        if self.source_type not in ("file", "block"):
            raise InvalidDevice("disk %s: source type %r is not file or block"
                                % (self.target, self.source_type))
        disk = ET.Element("disk", type=self.source_type, device=self.device)
        # Multi-attach forces cache=none whatever else was asked (QEMU image locking).
        cache = "none" if self.multiattach else self.cache
        io = "native" if self.multiattach and self.source_type == "block" else None
        sub(disk, "driver", name="qemu", type=self.format, cache=cache, io=io)
        if self.source_type == "file":
            sub(disk, "source", file=self.path)
        else:
            sub(disk, "source", dev=self.path)
        sub(disk, "target", dev=self.target, bus=self.bus)
        if self.serial:
            sub(disk, "serial", self.serial)
        if self.readonly:
            sub(disk, "readonly")
        if self.multiattach:
            sub(disk, "shareable")
        return disk
