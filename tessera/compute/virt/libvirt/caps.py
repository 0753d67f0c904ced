"""Parse libvirt capabilities XML (`virsh capabilities`, `getCapabilities()`) into
plain per-cell facts: CPUs with socket/core/siblings, memory, page pools, distances.

Pure: a string in, dataclasses out. Offline CPUs (a `<cpu id='N'/>` without
`socket_id` or `siblings`, as libvirt reports them) are left out, since no guest can
run there. Cores are grouped by the `siblings` attribute where given (what the kernel
says shares a core), else by (socket_id, die_id, core_id).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from tessera.compute.virt.libvirt.errors import HostDiscoveryError
from tessera.numa.cpuspec import parse_cpu_spec

_UNIT_KIB = {"b": 1 / 1024, "bytes": 1 / 1024, "k": 1, "kib": 1, "kb": 1000 / 1024,
             "m": 1024, "mib": 1024, "mb": 1000 ** 2 / 1024, "g": 1024 ** 2,
             "gib": 1024 ** 2, "gb": 1000 ** 3 / 1024}


@dataclass(frozen=True)
class CapsCpu:
    id: int
    socket_id: int
    core_id: int
    siblings: frozenset[int]
    die_id: int = 0


@dataclass(frozen=True)
class CapsCell:
    """One `<cell>`: `pages` maps page size (KiB) to the number of pages."""

    id: int
    memory_kib: int
    cpus: tuple[CapsCpu, ...]
    pages: dict[int, int]
    distances: dict[int, int]

    @property
    def cores(self) -> tuple[tuple[int, ...], ...]:
        """The online CPUs grouped by physical core, each group sorted, in the order
        of each core's first CPU."""
        online = {c.id for c in self.cpus}
        groups: dict[tuple[int, ...], None] = {}
        by_key: dict[tuple[int, int, int], set[int]] = {}
        for cpu in self.cpus:
            if cpu.siblings:
                groups[tuple(sorted(cpu.siblings & online))] = None
            else:
                by_key.setdefault((cpu.socket_id, cpu.die_id, cpu.core_id), set()).add(cpu.id)
        groups.update({tuple(sorted(g)): None for g in by_key.values()})
        return tuple(sorted(groups, key=lambda core: core[0]))

    @property
    def socket(self) -> int | None:
        sockets = {c.socket_id for c in self.cpus}
        return sockets.pop() if len(sockets) == 1 else None


@dataclass(frozen=True)
class Capabilities:
    arch: str
    cells: tuple[CapsCell, ...]
    host_page_sizes: tuple[int, ...]


def to_kib(value: str, unit: str | None) -> int:
    """A libvirt memory amount in KiB (libvirt's default unit is KiB)."""
    factor = _UNIT_KIB.get((unit or "KiB").lower())
    if factor is None:
        raise HostDiscoveryError("unknown memory unit %r" % unit)
    return int(int(value) * factor)


def _int(elem: ET.Element, attr: str, default: int | None = None) -> int:
    raw = elem.get(attr)
    if raw is None:
        if default is None:
            raise HostDiscoveryError("<%s> without %s" % (elem.tag, attr))
        return default
    return int(raw)


def _cpu(elem: ET.Element) -> CapsCpu | None:
    if elem.get("socket_id") is None and elem.get("siblings") is None:
        return None  # offline
    siblings = elem.get("siblings")
    return CapsCpu(id=_int(elem, "id"), socket_id=_int(elem, "socket_id", 0),
                   core_id=_int(elem, "core_id", _int(elem, "id")),
                   die_id=_int(elem, "die_id", 0),
                   siblings=parse_cpu_spec(siblings) if siblings else frozenset())


def _cell(elem: ET.Element) -> CapsCell:
    mem = elem.find("memory")
    memory_kib = to_kib(mem.text or "0", mem.get("unit")) if mem is not None else 0
    pages = {to_kib(p.get("size", "0"), p.get("unit")): int(p.text or 0)
             for p in elem.findall("pages")}
    cpus = tuple(c for c in (_cpu(e) for e in elem.findall("cpus/cpu")) if c is not None)
    distances = {_int(s, "id"): _int(s, "value") for s in elem.findall("distances/sibling")}
    return CapsCell(id=_int(elem, "id"), memory_kib=memory_kib, cpus=cpus, pages=pages,
                    distances=distances)


def parse_capabilities(text: str) -> Capabilities:
    """The host part of a capabilities document; raises HostDiscoveryError when it is
    not one."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise HostDiscoveryError("capabilities XML does not parse: %s" % exc) from None
    host = root.find("host")
    if root.tag != "capabilities" or host is None:
        raise HostDiscoveryError("not a libvirt capabilities document")
    arch = host.findtext("cpu/arch") or ""
    sizes = tuple(sorted(to_kib(p.get("size", "0"), p.get("unit"))
                         for p in host.findall("cpu/pages")))
    cells = tuple(_cell(c) for c in host.findall("topology/cells/cell"))
    return Capabilities(arch=arch, cells=cells, host_page_sizes=sizes)
