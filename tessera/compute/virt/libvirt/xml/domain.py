"""`DomainSpec`: a whole `<domain>` from the element builders.

Element order follows libvirt's own output (and its RNG, which is mostly an
interleave): name, uuid, metadata, memory, vcpu, cputune, numatune, memoryBacking,
os, features, cpu, clock, lifecycle, devices."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from tessera.compute.virt.libvirt.xml.base import cpuset, sub, to_string
from tessera.compute.virt.libvirt.xml.channels import AgentChannel
from tessera.compute.virt.libvirt.xml.cpu import GuestCpu
from tessera.compute.virt.libvirt.xml.cputune import CpuTune
from tessera.compute.virt.libvirt.xml.disks import Disk
from tessera.compute.virt.libvirt.xml.features import Clock, Features
from tessera.compute.virt.libvirt.xml.interfaces import Vif
from tessera.compute.virt.libvirt.xml.memory import MemoryBacking
from tessera.compute.virt.libvirt.xml.numatune import NumaTune

METADATA_NS = "https://tessera.dev/xmlns/libvirt/instance/1.0"


@dataclass(frozen=True)
class KernelBoot:
    """Direct kernel boot (the tiny test guests); `cmdline` goes to the kernel."""

    kernel: str
    initrd: str | None = None
    cmdline: str | None = None


@dataclass(frozen=True)
class DomainSpec:
    name: str
    uuid: str
    memory_kib: int
    vcpus: int
    virt_type: str = "kvm"
    vcpu_cpuset: frozenset[int] = frozenset()   # where floating vCPUs of a non-NUMA guest run
    cputune: CpuTune = CpuTune()
    numatune: NumaTune = NumaTune()
    memory_backing: MemoryBacking = MemoryBacking()
    cpu: GuestCpu = GuestCpu()
    features: Features = Features()
    clock: Clock = Clock()
    boot: KernelBoot | None = None
    interfaces: tuple[Vif, ...] = ()
    disks: tuple[Disk, ...] = ()
    agent: AgentChannel | None = None
    serial_log: str | None = None
    display_name: str = ""

    def element(self) -> ET.Element:
        dom = ET.Element("domain", type=self.virt_type)
        sub(dom, "name", self.name)
        sub(dom, "uuid", self.uuid)
        if self.display_name:
            ET.register_namespace("tessera", METADATA_NS)
            meta = sub(dom, "metadata")
            inst = sub(meta, "{%s}instance" % METADATA_NS)
            sub(inst, "{%s}name" % METADATA_NS, self.display_name)
        sub(dom, "memory", str(self.memory_kib), unit="KiB")
        sub(dom, "currentMemory", str(self.memory_kib), unit="KiB")
        sub(dom, "vcpu", str(self.vcpus), placement="static",
            cpuset=cpuset(self.vcpu_cpuset) if self.vcpu_cpuset else None)
        for part in (self.cputune, self.numatune, self.memory_backing):
            elem = part.element()
            if elem is not None:
                dom.append(elem)
        dom.append(self._os())
        for part2 in (self.features, self.cpu):
            elem = part2.element()
            if elem is not None:
                dom.append(elem)
        dom.append(self.clock.element())
        for event, action in (("on_poweroff", "destroy"), ("on_reboot", "restart"),
                              ("on_crash", "destroy")):
            sub(dom, event, action)
        dom.append(self._devices())
        return dom

    def _os(self) -> ET.Element:
        os_ = ET.Element("os")
        sub(os_, "type", "hvm")
        if self.boot is not None:
            sub(os_, "kernel", self.boot.kernel)
            if self.boot.initrd:
                sub(os_, "initrd", self.boot.initrd)
            if self.boot.cmdline:
                sub(os_, "cmdline", self.boot.cmdline)
        else:
            sub(os_, "boot", dev="hd")
        return os_

    def _devices(self) -> ET.Element:
        devices = ET.Element("devices")
        for disk in self.disks:
            devices.append(disk.element())
        for vif in self.interfaces:
            devices.append(vif.element())
        if self.serial_log:
            serial = sub(devices, "serial", type="file")
            sub(serial, "source", path=self.serial_log)
            sub(serial, "target", port=0)
        if self.agent is not None:
            devices.append(self.agent.element())
        return devices

    def to_xml(self) -> str:
        return to_string(self.element())
