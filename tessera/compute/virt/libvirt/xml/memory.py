"""`<memoryBacking>`: huge pages per guest cell (reference §3.6) and, for realtime
guests, locked memory without page sharing (§1.9)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from tessera.compute.virt.libvirt.xml.base import sub


@dataclass(frozen=True)
class MemoryBacking:
    """`hugepages` maps a page size (KiB) to the guest cells it backs; an empty guest
    cell set (a guest without NUMA cells) backs all of its memory."""

    hugepages: dict[int, frozenset[int]] = field(default_factory=dict)
    locked: bool = False
    nosharepages: bool = False

    def element(self) -> ET.Element | None:
        if not (self.hugepages or self.locked or self.nosharepages):
            return None
        backing = ET.Element("memoryBacking")
        if self.hugepages:
            pages = sub(backing, "hugepages")
            for size in sorted(self.hugepages):
                cells = self.hugepages[size]
                sub(pages, "page", size=size, unit="KiB",
                    nodeset=",".join(str(c) for c in sorted(cells)) if cells else None)
        if self.nosharepages:
            sub(backing, "nosharepages")
        if self.locked:
            sub(backing, "locked")
        return backing
