"""`fit(host, request)`: where a guest goes on a host, or why it cannot.

Algorithm (no enumeration of host-cell permutations):
1. Host-wide rules: `avoid` refuses SMT hosts, `require` hosts without SMT; a guest
   with more NUMA cells than the host is refused.
2. Guest cells are grouped by shape (pinned vCPUs, floating vCPUs, memory, emulator
   pCPU). For every shape and host cell, `cellfit.cell_shortfall` decides on counts
   whether the cell can take it (O(cores) each): S shapes x H cells checks, S <= 2 in
   practice (guest cell 0 may carry the isolated emulator thread).
3. Guest cells are assigned to distinct host cells by a minimum-cost assignment
   (`matching.assign`, O(G^2 * H) for G guest cells): it finds an assignment whenever
   any permutation of host cells would, so every fit Nova's permutation walk finds is
   found. The cost orders PCI affinity first (hard for required/legacy/socket: the
   affine devices, capped at what is asked, are maximised, which decides a single
   request exactly), then keeping guests without devices off device cells, then pack
   (fullest cell first) or spread (emptiest first). Ties go to the lower cell id, so
   the answer is deterministic.
4. Devices are chosen for the assigned cells (`pci.choose_devices`). If several
   requests or the socket policy defeat the single-weight cost, combinations of
   feasible host cells are tried best-first, at most `PCI_SEARCH_LIMIT` of them.
5. Pins are chosen only for the assigned pairs (`pinning.choose_pins`, O(cores)).
Worst case: O(S*H*C + G^2*H) for C cores per cell, plus the bounded PCI search.
"""

from __future__ import annotations

import itertools
from enum import Enum

from tessera.numa import pci
from tessera.numa.cellfit import Limits, Shape, cell_shortfall, choose_page_size
from tessera.numa.host import Host, HostCell
from tessera.numa.matching import assign
from tessera.numa.pinning import choose_pins
from tessera.numa.placement import CellPlacement, CellReason, NoFit, Placement
from tessera.numa.request import GuestRequest, PciNumaPolicy, ThreadPolicy

PCI_SEARCH_LIMIT = 256
_HARD = 1e6
_SOFT = 1e3


class Strategy(str, Enum):
    PACK = "pack"      # fill the fullest cell first
    SPREAD = "spread"  # use the emptiest cell first


def fit(host: Host, request: GuestRequest,
        strategy: Strategy = Strategy.SPREAD) -> Placement | NoFit:
    policy = request.thread_policy if request.pinned else None
    if policy is ThreadPolicy.AVOID and host.has_smt:
        return _no(host, "siblings", "host has SMT thread siblings; "
                   "hw:cpu_threads_policy=avoid needs a host without")
    if policy is ThreadPolicy.REQUIRE and not host.has_smt:
        return _no(host, "siblings", "host has no SMT thread siblings; "
                   "the require thread policy needs them")
    if request.cells is None:
        return _fit_floating(host, request)
    if len(request.cells) > len(host.cells):
        return _no(host, "topology", "host has %d NUMA cells, the guest needs %d"
                   % (len(host.cells), len(request.cells)))
    return _fit_cells(host, request, policy, strategy)


def _no(host: Host, resource: str, message: str) -> NoFit:
    return NoFit(host.name, (CellReason(None, resource, message),))


def _shapes(request: GuestRequest) -> list[Shape]:
    reserve = 1 if request.emulator_isolated and request.pinned else 0
    return [Shape(len(g.pinned), len(g.floating), g.memory_mb, reserve if i == 0 else 0)
            for i, g in enumerate(request.cells or ())]


def _fit_cells(host: Host, request: GuestRequest, policy: ThreadPolicy | None,
               strategy: Strategy) -> Placement | NoFit:
    limits = Limits(host.cpu_allocation_ratio, host.ram_allocation_ratio)
    shapes = _shapes(request)
    unique = list(dict.fromkeys(shapes))
    pages = {m: [choose_page_size(c, m, request.page_size) for c in host.cells]
             for m in {s.memory_mb for s in unique}}
    short = [[cell_shortfall(c, s, request.page_size, policy, limits, pages[s.memory_mb][j])
              for j, c in enumerate(host.cells)] for s in unique]
    prefs = _preferences(host, request, strategy)
    rows = [[None if why else prefs[j] for j, why in enumerate(row)] for row in short]
    kind = [unique.index(s) for s in shapes]
    cost = [rows[k] for k in kind]
    cols = _assign(rows, kind)
    if cols is None:
        return _explain(host, shapes, unique, short)
    cells = [host.cells[j] for j in cols]
    devices: tuple[str, ...] = ()
    if request.pci_requests:
        devices, why = pci.choose_devices(host, frozenset(c.id for c in cells),
                                          request.pci_policy, request.pci_requests)
        if why:
            found = _search_pci(host, request, cost)
            if found is None:
                return NoFit(host.name, (CellReason(None, "pci", why),))
            cols, devices = found
            cells = [host.cells[j] for j in cols]
    return _materialise(host, request, policy, cells, devices)


def _assign(rows: list[list[float | None]], kind: list[int]) -> list[int] | None:
    """Columns for guest cells whose cost row is `rows[kind[i]]`.

    One kind: the cheapest allowed columns. Two kinds, the first for one guest cell
    only (cell 0 with its emulator pCPU): each allowed column for it with the cheapest
    others. Otherwise the general assignment.
    """
    base = sorted((c, j) for j, c in enumerate(rows[kind[-1]]) if c is not None)
    if len(rows) == 1:
        return [j for _, j in base[:len(kind)]] if len(base) >= len(kind) else None
    if len(rows) == 2 and kind.count(0) == 1 and kind[0] == 0:
        best: tuple[float, list[int]] | None = None
        for c0, j0 in sorted((c, j) for j, c in enumerate(rows[0]) if c is not None):
            rest = [j for _, j in base if j != j0][:len(kind) - 1]
            if len(rest) < len(kind) - 1:
                continue
            total = c0 + sum(rows[1][j] for j in rest)  # type: ignore[misc]
            if best is None or total < best[0]:
                best = (total, [j0] + rest)
        return best[1] if best else None
    return assign([rows[k] for k in kind])


def _preferences(host: Host, request: GuestRequest, strategy: Strategy) -> dict[int, float]:
    """Cost of putting a guest cell on each host cell (lower is better)."""
    prefs = {}
    need = sum(r.count for r in request.pci_requests)
    hard = request.pci_policy is not PciNumaPolicy.PREFERRED
    sign = 1.0 if strategy is Strategy.PACK else -1.0
    for i, c in enumerate(host.cells):
        cost = 0.0
        if need:
            have = min(pci.affine_count(host, c.id, request.pci_requests), need)
            cost -= (_HARD if hard else _SOFT) * have
        elif c.id in host.pci_cells:
            cost += _SOFT
        cost += sign * _room(c, request.pinned) + i * 1e-9
        prefs[c.id] = cost
    return prefs


def _room(cell: HostCell, pinned: bool) -> float:
    """How empty a cell is, in [0, 2): the resource that binds first counts most."""
    mem = cell.avail_memory_mb / cell.memory_mb if cell.memory_mb else 0.0
    if pinned:
        cpus = len(cell.free_pcpus) / len(cell.dedicated) if cell.dedicated else 0.0
    else:
        cpus = 1.0 - cell.shared_vcpus_used / max(1, 4 * len(cell.shared))
    return cpus + mem * 1e-3


def _search_pci(host: Host, request: GuestRequest, cost: list[list[float | None]]
                ) -> tuple[list[int], tuple[str, ...]] | None:
    """Best-first over sets of host cells, for PCI requests the cost could not settle."""
    usable = sorted({j for row in cost for j, c in enumerate(row) if c is not None},
                    key=lambda j: min(row[j] for row in cost if row[j] is not None))
    for tried, combo in enumerate(itertools.combinations(usable, len(cost))):
        if tried >= PCI_SEARCH_LIMIT:
            return None
        sub = [[row[j] for j in combo] for row in cost]
        picked = assign(sub)
        if picked is None:
            continue
        cols = [combo[k] for k in picked]
        devices, why = pci.choose_devices(
            host, frozenset(host.cells[j].id for j in cols), request.pci_policy,
            request.pci_requests)
        if not why:
            return cols, devices
    return None


def _explain(host: Host, shapes: list[Shape], unique: list[Shape],
             short: list[list[tuple[str, str] | None]]) -> NoFit:
    reasons = []
    base = min(range(len(unique)), key=lambda k: unique[k].reserved)
    able = 0
    for j, c in enumerate(host.cells):
        why = short[base][j] or next((row[j] for row in short if row[j]), None)
        if why:
            reasons.append(CellReason(c.id, why[0], why[1]))
        if not short[base][j]:
            able += 1
    if able >= len(shapes) and len(unique) > 1:
        reasons.append(CellReason(None, "cpu", "no cell that can take guest cell 0 with "
                                  "its emulator thread is left beside the others"))
    elif able:
        reasons.append(CellReason(None, "topology", "%d host cell(s) can take a guest "
                                  "cell, the guest has %d" % (able, len(shapes))))
    return NoFit(host.name, tuple(reasons))


def _materialise(host: Host, request: GuestRequest, policy: ThreadPolicy | None,
                 cells: list[HostCell], devices: tuple[str, ...]) -> Placement:
    out = []
    emulator: frozenset[int] = frozenset()
    for i, (g, c) in enumerate(zip(request.cells or (), cells)):
        size, _ = choose_page_size(c, g.memory_mb, request.page_size)
        pins: dict[int, int] = {}
        idle: frozenset[int] = frozenset()
        if g.pinned:
            reserve = 1 if i == 0 and request.emulator_isolated else 0
            pins, idle, emu = choose_pins(c, g.pinned, reserve, policy)
            emulator |= emu
        out.append(CellPlacement(
            guest_cell=g.id, host_cell=c.id, memory_mb=g.memory_mb,
            page_size_kb=size or c.smallest_page_kb, pins=pins, floating=g.floating,
            reserved=idle, huge_pages=request.page_size is not None))
    return Placement(host=host.name, cells=tuple(out), emulator_pins=emulator,
                     pci=devices)


def _fit_floating(host: Host, request: GuestRequest) -> Placement | NoFit:
    """A guest without a NUMA topology floats over the host's shared CPUs.

    As with Nova's NUMA filter, such a guest is not refused here for CPU or RAM: the
    host-wide vCPU and RAM capacity (with allocation ratios) is the scheduler's CPU and
    RAM filters' to judge. Only its devices are chosen here. Its vCPUs and memory are
    shared out over the cells (roomiest first) for the cells' usage counters.
    """
    devices: tuple[str, ...] = ()
    if request.pci_requests:
        devices, why = pci.choose_devices(host, None, request.pci_policy,
                                          request.pci_requests)
        if why:
            return _no(host, "pci", why)
    cpu_room = [(c, len(c.shared) * host.cpu_allocation_ratio - c.shared_vcpus_used)
                for c in host.cells if c.shared]
    ram_room = [(c, c.memory_mb * host.ram_allocation_ratio - c.memory_used_mb)
                for c in host.cells]
    vcpus = _share(cpu_room, request.vcpus)
    mem = _share(ram_room, request.memory_mb)
    share = tuple((c.id, vcpus.get(c.id, 0), mem.get(c.id, 0)) for c in host.cells
                  if vcpus.get(c.id) or mem.get(c.id))
    return Placement(host=host.name, cells=(), pci=devices, floating_vcpus=request.vcpus,
                     memory_mb=request.memory_mb, floating_share=share)


def _share(room: list[tuple[HostCell, float]], amount: int) -> dict[int, int]:
    """Split `amount` over cells, roomiest first within each cell's room; what no cell
    has room for goes to the roomiest cell."""
    out: dict[int, int] = {}
    ordered = sorted(room, key=lambda x: -x[1])
    for c, r in ordered:
        take = min(amount, int(max(0.0, r)))
        if take:
            out[c.id] = take
            amount -= take
    if amount and ordered:
        first = ordered[0][0].id
        out[first] = out.get(first, 0) + amount
    return out
