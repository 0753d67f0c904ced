"""`<cputune>`: vCPU pins, the emulator threads' pin and realtime scheduling
(reference §1.8-1.10)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from tessera.compute.virt.libvirt.xml.base import cpuset, sub


@dataclass(frozen=True)
class CpuTune:
    """`vcpupins` maps each vCPU to the host CPUs it may run on (one CPU for a pinned
    vCPU, a cell's shared CPUs for a floating one)."""

    vcpupins: dict[int, frozenset[int]] = field(default_factory=dict)
    emulatorpin: frozenset[int] = frozenset()
    realtime_vcpus: frozenset[int] = frozenset()
    realtime_priority: int = 1

    def element(self) -> ET.Element | None:
        if not (self.vcpupins or self.emulatorpin):
            return None
        tune = ET.Element("cputune")
        for vcpu in sorted(self.vcpupins):
            sub(tune, "vcpupin", vcpu=vcpu, cpuset=cpuset(self.vcpupins[vcpu]))
        if self.emulatorpin:
            sub(tune, "emulatorpin", cpuset=cpuset(self.emulatorpin))
        if self.realtime_vcpus:
            sub(tune, "vcpusched", vcpus=cpuset(self.realtime_vcpus), scheduler="fifo",
                priority=self.realtime_priority)
        return tune
