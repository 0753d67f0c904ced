"""`<numatune>`: the host nodes guest memory comes from, as a whole and per guest cell
(reference §2.8). Guest cell ids are 0..n-1; `nodeset` carries the host cell id."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from tessera.compute.virt.libvirt.xml.base import cpuset, sub


@dataclass(frozen=True)
class NumaTune:
    memnodes: dict[int, int] = field(default_factory=dict)   # guest cell -> host cell
    mode: str = "strict"

    def element(self) -> ET.Element | None:
        if not self.memnodes:
            return None
        tune = ET.Element("numatune")
        sub(tune, "memory", mode=self.mode, nodeset=cpuset(self.memnodes.values()))
        for cell in sorted(self.memnodes):
            sub(tune, "memnode", cellid=cell, mode=self.mode,
                nodeset=str(self.memnodes[cell]))
        return tune
