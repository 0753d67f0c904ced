"""Usage accounting: put a placement's resources on a host, or give them back.

`apply` re-checks everything it takes, so a placement computed from an older snapshot
is refused (`UsageConflict`) when another guest took a pCPU, pages, memory or a device
in between; nothing is ever given twice. `release` refuses to give back what is not in
use, so usage never goes negative. Both return a new `Host` with the generation bumped
(optimistic concurrency: a writer compares generations to detect a lost race).
"""

from __future__ import annotations

from dataclasses import replace

from tessera.numa.host import Host, HostCell
from tessera.numa.placement import Placement


class UsageConflict(Exception):
    """The placement cannot be applied to (or released from) this host's usage."""


def apply(host: Host, placement: Placement) -> Host:
    return _change(host, placement, +1)


def release(host: Host, placement: Placement) -> Host:
    return _change(host, placement, -1)


def _change(host: Host, placement: Placement, sign: int) -> Host:
    if placement.host != host.name:
        raise UsageConflict("placement is for host %s, not %s" % (placement.host, host.name))
    cells = dict(host.cell_by_id)
    emulator = set(placement.emulator_pins)
    for cp in placement.cells:
        cell = cells.get(cp.host_cell)
        if cell is None:
            raise UsageConflict("host %s has no cell %d" % (host.name, cp.host_cell))
        cpus = set(cp.pins.values()) | set(cp.reserved) | (emulator & cell.cpus)
        emulator -= cell.cpus
        if len(cpus) != len(cp.pins) + len(cp.reserved) + len(placement.emulator_pins
                                                                 & cell.cpus):
            raise UsageConflict("cell %d: a pCPU is given twice in one placement" % cell.id)
        cell = _pins(cell, cpus, sign)
        cell = _memory(host, cell, cp.memory_mb, len(cp.floating), cp.page_size_kb,
                       cp.huge_pages, bool(cp.pins), sign)
        cells[cell.id] = cell
    if emulator:
        raise UsageConflict("emulator pCPUs %s are on no placed cell" % sorted(emulator))
    for cell_id, vcpus, memory_mb in placement.floating_share:
        cell = cells[cell_id]
        cells[cell_id] = _memory(host, cell, memory_mb, vcpus, cell.smallest_page_kb,
                                 False, None, sign)
    return replace(host, cells=tuple(cells[c.id] for c in host.cells),
                   pci=_devices(host, placement.pci, sign), generation=host.generation + 1)


def _pins(cell: HostCell, cpus: set[int], sign: int) -> HostCell:
    if not cpus:
        return cell
    if not cpus <= cell.dedicated:
        raise UsageConflict("cell %d: pCPUs %s are not dedicated"
                            % (cell.id, sorted(cpus - cell.dedicated)))
    if sign > 0:
        if cpus & cell.pinned:
            raise UsageConflict("cell %d: pCPUs %s are already pinned"
                                % (cell.id, sorted(cpus & cell.pinned)))
        return replace(cell, pinned=cell.pinned | cpus)
    if not cpus <= cell.pinned:
        raise UsageConflict("cell %d: pCPUs %s are not pinned"
                            % (cell.id, sorted(cpus - cell.pinned)))
    return replace(cell, pinned=cell.pinned - cpus)


def _memory(host: Host, cell: HostCell, memory_mb: int, floating: int, page_kb: int,
            huge: bool, pinned: bool | None, sign: int) -> HostCell:
    """Memory, pages and floating vCPUs. `pinned` None: a guest without a NUMA topology,
    whose share is only counted (its capacity is judged host-wide)."""
    pages = list(cell.pages)
    idx = next((i for i, p in enumerate(pages) if p.size_kb == page_kb), None)
    count = memory_mb * 1024 // page_kb
    if idx is None:
        if cell.pages:
            raise UsageConflict("cell %d: no %d KiB page pool" % (cell.id, page_kb))
    elif sign > 0:
        pool = pages[idx]
        if huge and pool.free < count:
            raise UsageConflict("cell %d: %d free %d KiB pages, needs %d"
                                % (cell.id, pool.free, page_kb, count))
        pages[idx] = replace(pool, used=pool.used + count)
    else:
        pool = pages[idx]
        if pool.used < count:
            raise UsageConflict("cell %d: %d KiB pages in use %d, releasing %d"
                                % (cell.id, page_kb, pool.used, count))
        pages[idx] = replace(pool, used=pool.used - count)
    if sign > 0 and pinned is not None:
        _check_room(host, cell, memory_mb, floating, pinned)
    if sign < 0 and (cell.memory_used_mb < memory_mb or cell.shared_vcpus_used < floating):
        raise UsageConflict("cell %d: releasing %d MiB and %d floating vCPUs, %d MiB and "
                            "%d in use" % (cell.id, memory_mb, floating, cell.memory_used_mb,
                                           cell.shared_vcpus_used))
    return replace(cell, pages=tuple(pages),
                   memory_used_mb=cell.memory_used_mb + sign * memory_mb,
                   shared_vcpus_used=cell.shared_vcpus_used + sign * floating)


def _check_room(host: Host, cell: HostCell, memory_mb: int, floating: int,
                pinned: bool) -> None:
    if pinned and memory_mb > cell.avail_memory_mb:
        raise UsageConflict("cell %d: %d MiB free, needs %d MiB"
                            % (cell.id, cell.avail_memory_mb, memory_mb))
    if not pinned and (cell.memory_used_mb + memory_mb
                       > cell.memory_mb * host.ram_allocation_ratio):
        raise UsageConflict("cell %d: no room for %d MiB more" % (cell.id, memory_mb))
    if floating and (cell.shared_vcpus_used + floating
                     > len(cell.shared) * host.cpu_allocation_ratio):
        raise UsageConflict("cell %d: no room for %d more floating vCPUs"
                            % (cell.id, floating))


def _devices(host: Host, addresses: tuple[str, ...], sign: int) -> tuple:
    if not addresses:
        return host.pci
    wanted = set(addresses)
    if len(wanted) != len(addresses):
        raise UsageConflict("a PCI device is given twice in one placement")
    out = []
    for d in host.pci:
        if d.address in wanted:
            wanted.discard(d.address)
            if d.claimed == (sign > 0):
                raise UsageConflict("PCI device %s is %s" % (
                    d.address, "already claimed" if sign > 0 else "not claimed"))
            d = replace(d, claimed=sign > 0)
        out.append(d)
    if wanted:
        raise UsageConflict("host %s has no PCI devices %s" % (host.name, sorted(wanted)))
    return tuple(out)


__all__ = ["UsageConflict", "apply", "release"]
