"""Typed builders of libvirt domain XML, one module per element family.

Each builder is a frozen dataclass with an `element()` method returning an
`xml.etree.ElementTree.Element`; `DomainSpec` (in `domain`) assembles them into a
whole `<domain>`. The builders know libvirt's element names and nothing of Tessera's
objects: `tessera.compute.virt.libvirt.guest` maps an instance and its placement onto
them.
"""

from tessera.compute.virt.libvirt.xml.channels import AgentChannel
from tessera.compute.virt.libvirt.xml.cpu import GuestCpu, GuestNumaCell, Topology
from tessera.compute.virt.libvirt.xml.cputune import CpuTune
from tessera.compute.virt.libvirt.xml.disks import Disk
from tessera.compute.virt.libvirt.xml.domain import DomainSpec, KernelBoot
from tessera.compute.virt.libvirt.xml.features import Clock, Features, HyperV
from tessera.compute.virt.libvirt.xml.interfaces import Vif, VifType
from tessera.compute.virt.libvirt.xml.memory import MemoryBacking
from tessera.compute.virt.libvirt.xml.numatune import NumaTune

__all__ = ["AgentChannel", "Clock", "CpuTune", "Disk", "DomainSpec", "Features",
           "GuestCpu", "GuestNumaCell", "HyperV", "KernelBoot", "MemoryBacking",
           "NumaTune", "Topology", "Vif", "VifType"]
