"""`fit(host, request)`: where a guest goes on a host, or why it cannot.

Algorithm (no enumeration of host-cell permutations):
1. Host-wide rules: `avoid` refuses SMT hosts, `require` hosts without SMT; a guest
   with more NUMA cells than the host is refused.
2. Guest cells are grouped by shape (pinned vCPUs, floating vCPUs, memory, emulator
   pCPU). Whether a host cell can take a shape is decided on counts by
   `cellfit.cell_shortfall` (O(cores)), on demand and at most once per pair: S shapes
   x H cells checks at worst, S <= 2 in practice (guest cell 0 may carry the isolated
   emulator thread).
3. Guest cells are assigned to distinct host cells at minimum cost. Every guest cell
   costs the same on a given host cell, so with one shape the cheapest cells that can
   take it win, tried in cost order (a fit usually looks at G cells, not H); with the
   emulator's second shape, one of those must also take cell 0, or the cheapest cell
   that can replaces the dearest; other cases (uneven manual cells) use the general
   assignment (`matching.assign`, O(G^2 * H)). Each finds an assignment whenever any
   permutation of host cells would, so every fit Nova's permutation walk finds is
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
from dataclasses import replace
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


class _Checks:
    """Shortfalls of each guest-cell shape on each host cell, worked out on demand.

    Most fits need only the few cells the cost order tries first, so the others are
    never examined; a no-fit examines them all to give every cell's reason.
    """

    def __init__(self, host: Host, request: GuestRequest, policy: ThreadPolicy | None,
                 shapes: list[Shape]) -> None:
        self.host = host
        self.request = request
        self.policy = policy
        self.shapes = shapes
        self.limits = Limits(host.cpu_allocation_ratio, host.ram_allocation_ratio)
        self._memo: dict[tuple[int, int], tuple[str, str] | None] = {}
        self._pages: dict[tuple[int, int], tuple[int | None, str]] = {}

    def short(self, k: int, j: int) -> tuple[str, str] | None:
        key = (k, j)
        if key not in self._memo:
            shape, cell = self.shapes[k], self.host.cells[j]
            page = self._pages.get((shape.memory_mb, j))
            if page is None:
                page = choose_page_size(cell, shape.memory_mb, self.request.page_size)
                self._pages[(shape.memory_mb, j)] = page
            self._memo[key] = cell_shortfall(cell, shape, self.request.page_size,
                                             self.policy, self.limits, page)
        return self._memo[key]

    def rows(self, prefs: list[float]) -> list[list[float | None]]:
        return [[None if self.short(k, j) else prefs[j] for j in range(len(prefs))]
                for k in range(len(self.shapes))]


def _fit_cells(host: Host, request: GuestRequest, policy: ThreadPolicy | None,
               strategy: Strategy) -> Placement | NoFit:
    shapes = _shapes(request)
    unique = list(dict.fromkeys(shapes))
    kind = [unique.index(s) for s in shapes]
    checks = _Checks(host, request, policy, unique)
    prefs = _preferences(host, request, strategy)
    cols = _assign(checks, kind, prefs)
    if cols is None:
        return _explain(host, shapes, checks)
    cells = [host.cells[j] for j in cols]
    devices: tuple[str, ...] = ()
    if request.pci_requests:
        devices, why = pci.choose_devices(host, frozenset(c.id for c in cells),
                                          request.pci_policy, request.pci_requests)
        if why:
            rows = checks.rows(prefs)
            found = _search_pci(host, request, [rows[k] for k in kind])
            if found is None:
                return NoFit(host.name, (CellReason(None, "pci", why),))
            cols, devices = found
            cells = [host.cells[j] for j in cols]
    return _materialise(host, request, policy, cells, devices)


def _assign(checks: _Checks, kind: list[int], prefs: list[float]) -> list[int] | None:
    """Host cell (index) for each guest cell, cheapest first.

    One shape: the cheapest cells that can take it. Two shapes that differ only by the
    emulator pCPU of guest cell 0 (which makes it the stricter one): the cheapest cells
    that take the plain shape, one of which must take cell 0 too, else the cheapest cell
    that does replaces the dearest. Otherwise the general minimum-cost assignment.
    """
    order = sorted(range(len(prefs)), key=prefs.__getitem__)
    need = len(kind)
    shapes = checks.shapes
    if len(shapes) == 1:
        picked = []
        for j in order:
            if not checks.short(0, j):
                picked.append(j)
                if len(picked) == need:
                    return picked
        return None
    if (len(shapes) == 2 and kind[0] == 0 and kind.count(0) == 1
            and replace(shapes[0], reserved=0) == shapes[1]):
        base: list[int] = []
        for j in order:
            if not checks.short(1, j):
                base.append(j)
                if len(base) == need:
                    break
        if len(base) < need:
            return None
        first = next((j for j in base if not checks.short(0, j)), None)
        if first is not None:
            return [first] + [j for j in base if j != first]
        first = next((j for j in order if j not in base and not checks.short(0, j)), None)
        return None if first is None else [first] + base[:need - 1]
    rows = checks.rows(prefs)
    return assign([rows[k] for k in kind])


def _preferences(host: Host, request: GuestRequest, strategy: Strategy) -> list[float]:
    """Cost of putting a guest cell on each host cell, by cell index (lower is better)."""
    prefs = []
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
        prefs.append(cost)
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


def _explain(host: Host, shapes: list[Shape], checks: _Checks) -> NoFit:
    reasons = []
    unique = checks.shapes
    base = min(range(len(unique)), key=lambda k: unique[k].reserved)
    able = 0
    for j, c in enumerate(host.cells):
        why = checks.short(base, j) or next(
            (checks.short(k, j) for k in range(len(unique)) if checks.short(k, j)), None)
        if why:
            reasons.append(CellReason(c.id, why[0], why[1]))
        if not checks.short(base, j):
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
