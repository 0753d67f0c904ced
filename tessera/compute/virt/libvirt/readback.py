"""Read a domain's XML back from libvirt and check it carries the placement.

libvirt accepts some XML and silently drops parts of it (a `vcpupin` for a vCPU the
guest does not have), so after every define the driver reads the domain back and
compares pins, guest cells, memory nodes and page sizes with the placement; any
difference raises `PlacementMismatch` naming each one.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from tessera.compute.virt.libvirt.caps import to_kib
from tessera.compute.virt.libvirt.errors import PlacementMismatch
from tessera.numa.cpuspec import format_cpu_spec, parse_cpu_spec
from tessera.numa.host import SMALL_PAGE_KB, Host
from tessera.numa.placement import Placement


@dataclass(frozen=True)
class Observed:
    """What a domain's XML says about where it runs."""

    vcpus: int
    pins: dict[int, frozenset[int]] = field(default_factory=dict)
    emulatorpin: frozenset[int] = frozenset()
    cells: dict[int, tuple[frozenset[int], int, bool]] = field(default_factory=dict)
    memnodes: dict[int, frozenset[int]] = field(default_factory=dict)
    pages: dict[int, int] = field(default_factory=dict)   # guest cell -> page KiB
    interfaces: tuple[str, ...] = ()
    hyperv: frozenset[str] = frozenset()
    agent: bool = False
    shareable_disks: tuple[str, ...] = ()


def observe(xml: str) -> Observed:
    root = ET.fromstring(xml)
    pins = {int(p.get("vcpu", "-1")): parse_cpu_spec(p.get("cpuset", ""))
            for p in root.findall("cputune/vcpupin")}
    emu = root.find("cputune/emulatorpin")
    cells = {}
    for c in root.findall("cpu/numa/cell"):
        cells[int(c.get("id", "-1"))] = (parse_cpu_spec(c.get("cpus", "")),
                                         to_kib(c.get("memory", "0"), c.get("unit")),
                                         c.get("memAccess") == "shared")
    memnodes = {int(m.get("cellid", "-1")): parse_cpu_spec(m.get("nodeset", ""))
                for m in root.findall("numatune/memnode")}
    pages: dict[int, int] = {}
    for p in root.findall("memoryBacking/hugepages/page"):
        size = to_kib(p.get("size", "0"), p.get("unit"))
        nodeset = p.get("nodeset")
        for cell in (parse_cpu_spec(nodeset) if nodeset else cells or {-1}):
            pages[cell] = size
    hyperv = frozenset(e.tag for e in root.findall("features/hyperv/*")
                       if e.get("state") == "on")
    agent = any(t.get("name") == "org.qemu.guest_agent.0"
                for t in root.findall("devices/channel/target"))
    shareable = tuple(d.find("target").get("dev", "") for d in root.findall("devices/disk")
                      if d.find("shareable") is not None and d.find("target") is not None)
    return Observed(vcpus=int(root.findtext("vcpu") or 0), pins=pins,
                    emulatorpin=parse_cpu_spec(emu.get("cpuset", "")) if emu is not None
                    else frozenset(), cells=cells, memnodes=memnodes, pages=pages,
                    interfaces=tuple(i.get("type", "") for i in
                                     root.findall("devices/interface")),
                    hyperv=hyperv, agent=agent, shareable_disks=shareable)


def _fmt(cpus: frozenset[int]) -> str:
    return format_cpu_spec(cpus) or "(none)"


def differences(got: Observed, placement: Placement | None, host: Host, vcpus: int
                ) -> list[str]:
    """How `got` differs from what `placement` asks for; empty when it matches."""
    out = []
    if got.vcpus != vcpus:
        out.append("%d vCPUs, expected %d" % (got.vcpus, vcpus))
    cells = sorted(placement.cells, key=lambda c: c.guest_cell) if placement else []
    for i, c in enumerate(cells):
        for vcpu, pcpu in sorted(c.pins.items()):
            have = got.pins.get(vcpu, frozenset())
            if have != {pcpu}:
                out.append("vCPU %d pinned to %s, expected %d" % (vcpu, _fmt(have), pcpu))
        cpus, mem_kib, _ = got.cells.get(i, (frozenset(), 0, False))
        if cpus != frozenset(c.vcpus) or mem_kib != c.memory_mb * 1024:
            out.append("guest cell %d has vCPUs %s and %d KiB, expected %s and %d KiB"
                       % (i, _fmt(cpus), mem_kib, _fmt(frozenset(c.vcpus)),
                          c.memory_mb * 1024))
        if got.memnodes.get(i) != {c.host_cell}:
            out.append("guest cell %d takes memory from host nodes %s, expected %d"
                       % (i, _fmt(got.memnodes.get(i, frozenset())), c.host_cell))
        cell = host.cell_by_id.get(c.host_cell)
        smallest = cell.smallest_page_kb if cell else SMALL_PAGE_KB
        want = c.page_size_kb if c.page_size_kb > smallest else None
        if got.pages.get(i) != want:
            out.append("guest cell %d backed by %s pages, expected %s"
                       % (i, _size(got.pages.get(i)), _size(want)))
    if len(got.cells) != len(cells):
        out.append("%d guest cells, expected %d" % (len(got.cells), len(cells)))
    if placement is not None and placement.emulator_pins \
            and got.emulatorpin != placement.emulator_pins:
        out.append("emulator threads on %s, expected %s"
                   % (_fmt(got.emulatorpin), _fmt(placement.emulator_pins)))
    return out


def _size(kb: int | None) -> str:
    return "small" if kb is None else "%d KiB" % kb


def check_placement(xml: str, placement: Placement | None, host: Host, vcpus: int,
                    name: str = "domain") -> Observed:
    """`observe(xml)`, or PlacementMismatch when it does not carry `placement`."""
    got = observe(xml)
    diffs = differences(got, placement, host, vcpus)
    if diffs:
        raise PlacementMismatch("%s does not carry its placement: %s"
                                % (name, "; ".join(diffs)))
    return got
