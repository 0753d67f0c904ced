"""`<cpu>`: the guest's CPU topology and NUMA cells (reference §1.10, 2.8, 3.6).

`memAccess='shared'` goes on every cell when the guest is backed by huge pages, so a
vhost-user backend can map its memory (§5.4)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from tessera.compute.virt.libvirt.xml.base import cpuset, sub


@dataclass(frozen=True)
class Topology:
    sockets: int
    cores: int = 1
    threads: int = 1

    @property
    def vcpus(self) -> int:
        return self.sockets * self.cores * self.threads


@dataclass(frozen=True)
class GuestNumaCell:
    id: int
    cpus: frozenset[int]
    memory_kib: int
    shared: bool = False


@dataclass(frozen=True)
class GuestCpu:
    topology: Topology | None = None
    cells: tuple[GuestNumaCell, ...] = ()
    mode: str | None = None    # host-model, host-passthrough; None: libvirt's default

    def element(self) -> ET.Element | None:
        if self.topology is None and not self.cells and self.mode is None:
            return None
        cpu = ET.Element("cpu")
        if self.mode:
            cpu.set("mode", self.mode)
        if self.topology is not None:
            t = self.topology
            sub(cpu, "topology", sockets=t.sockets, dies=1, cores=t.cores, threads=t.threads)
        if self.cells:
            numa = sub(cpu, "numa")
            for c in self.cells:
                sub(numa, "cell", id=c.id, cpus=cpuset(c.cpus), memory=c.memory_kib,
                    unit="KiB", memAccess="shared" if c.shared else None)
        return cpu
