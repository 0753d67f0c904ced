"""Does one guest cell fit on one host cell? Memory, page size and CPU capacity.

The rules follow Nova's per-cell check so that every cell Nova accepts is accepted here:
- A page-size request picks, largest first, a size with enough free pages that divides
  the cell's memory (`small`: the host's smallest size; `large`: every other size;
  `any`: all; an explicit size: only that one). Huge pages are never over-committed.
- Without a request, the cell's memory must fit in the smallest pool's total pages (RAM
  over-commit applies to small pages), or in the cell's memory when no pools are known.
- Pinned cells take no over-commit: free pCPUs (see `pinning`) and free memory.
- Floating vCPUs need the cell's shared CPUs: no more vCPUs than shared CPUs, and
  usage within `cpu_allocation_ratio` and `ram_allocation_ratio`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tessera.numa.host import HostCell
from tessera.numa.pinning import cpu_shortfall
from tessera.numa.request import PageSize, ThreadPolicy


@dataclass(frozen=True)
class Shape:
    """What a guest cell needs, independent of which vCPUs it holds."""

    pinned: int
    floating: int
    memory_mb: int
    reserved: int  # emulator pCPUs that come with this cell


@dataclass(frozen=True)
class Limits:
    cpu_allocation_ratio: float
    ram_allocation_ratio: float


def _fmt_size(kb: int) -> str:
    if kb >= 1048576 and kb % 1048576 == 0:
        return "%dG" % (kb // 1048576)
    if kb >= 1024 and kb % 1024 == 0:
        return "%dM" % (kb // 1024)
    return "%dK" % kb


def choose_page_size(cell: HostCell, memory_mb: int,
                     request: PageSize | int | None) -> tuple[int | None, str]:
    """(page size in KiB, "") or (None, why not)."""
    mem_kb = memory_mb * 1024
    pools = cell.pages
    if request is None:
        if not pools:
            return cell.smallest_page_kb, ""
        small = cell.pages_by_size[cell.smallest_page_kb]
        if small.total * small.size_kb < mem_kb or mem_kb % small.size_kb:
            return None, ("%d MiB of %s pages in all, needs %d MiB"
                          % (small.total * small.size_kb // 1024,
                             _fmt_size(small.size_kb), memory_mb))
        return small.size_kb, ""
    sizes = sorted((p.size_kb for p in pools), reverse=True)
    if request is PageSize.SMALL:
        candidates = sizes[-1:]
    elif request is PageSize.LARGE:
        candidates = sizes[:-1]
    elif request is PageSize.ANY:
        candidates = sizes
    else:
        if request not in cell.pages_by_size:
            return None, "no %s page pool" % _fmt_size(int(request))
        candidates = [int(request)]
    for size in candidates:
        pool = cell.pages_by_size[size]
        if pool.free * size >= mem_kb and mem_kb % size == 0:
            return size, ""
    if not candidates:
        return None, "no huge page pools"
    have = ", ".join("%d free %s pages" % (cell.pages_by_size[s].free, _fmt_size(s))
                     for s in candidates)
    return None, ("%s, needs %d MiB in %s pages" % (
        have, memory_mb, request.value if isinstance(request, PageSize)
        else _fmt_size(int(request))))


def cell_shortfall(cell: HostCell, shape: Shape, page_request: PageSize | int | None,
                   policy: ThreadPolicy | None, limits: Limits,
                   page: tuple[int | None, str] | None = None
                   ) -> tuple[str, str] | None:
    """(resource, why) when `shape` cannot go on `cell`, else None.

    `page` is `choose_page_size`'s answer for this cell and memory, when the caller
    already has it.
    """
    size, why = page or choose_page_size(cell, shape.memory_mb, page_request)
    if size is None:
        return ("pages" if page_request is not None else "memory"), why
    if shape.pinned:
        short = cpu_shortfall(cell, shape.pinned, shape.reserved, policy)
        if short:
            return ("siblings" if "under" in short else "cpu"), short
        if shape.memory_mb > cell.avail_memory_mb:
            return "memory", ("%d MiB free, needs %d MiB for a pinned guest"
                              % (cell.avail_memory_mb, shape.memory_mb))
    elif not cell.pages and shape.memory_mb > cell.memory_mb:
        return "memory", "%d MiB in all, needs %d MiB" % (cell.memory_mb, shape.memory_mb)
    if shape.floating:
        shared = len(cell.shared)
        if shape.floating > shared:
            return "cpu", "%d shared CPUs, needs %d" % (shared, shape.floating)
        cap = shared * limits.cpu_allocation_ratio
        if cell.shared_vcpus_used + shape.floating > cap:
            return "cpu", ("%d of %g floating vCPUs used, needs %d more"
                           % (cell.shared_vcpus_used, cap, shape.floating))
    if not shape.pinned:
        ram_cap = cell.memory_mb * limits.ram_allocation_ratio
        if cell.memory_used_mb + shape.memory_mb > ram_cap:
            return "memory", ("%d of %g MiB used, needs %d MiB more"
                              % (cell.memory_used_mb, ram_cap, shape.memory_mb))
    return None
