"""An independent check of a placement against its host and request (for tests).

It restates the rules from the outside: every broken rule is reported, so a test can
assert that the list is empty.
"""

from __future__ import annotations

from tessera.numa.host import Host
from tessera.numa.placement import Placement
from tessera.numa.request import GuestRequest, PageSize, PciNumaPolicy, ThreadPolicy


def problems(host: Host, request: GuestRequest, p: Placement) -> list[str]:
    errs: list[str] = []
    policy = request.thread_policy if request.pinned else None
    if policy is ThreadPolicy.AVOID and host.has_smt:
        errs.append("avoid on an SMT host")
    if policy is ThreadPolicy.REQUIRE and not host.has_smt:
        errs.append("require on a host without SMT")
    guest = request.cells or ()
    if len(p.cells) != len(guest):
        errs.append("%d cells placed, %d asked" % (len(p.cells), len(guest)))
    if len({c.host_cell for c in p.cells}) != len(p.cells):
        errs.append("two guest cells on one host cell")
    taken: set[int] = set()
    for g, cp in zip(guest, p.cells):
        cell = host.cell_by_id[cp.host_cell]
        pins = cp.pins
        if sorted(pins) != sorted(g.pinned):
            errs.append("cell %d pins %s, asked %s" % (g.id, sorted(pins), g.pinned))
        if tuple(cp.floating) != tuple(g.floating):
            errs.append("floating vCPUs differ")
        cpus = list(pins.values()) + sorted(cp.reserved)
        if len(set(cpus)) != len(cpus) or taken & set(cpus):
            errs.append("a pCPU is used twice")
        taken |= set(cpus)
        for x in cpus:
            if x not in cell.dedicated or x in cell.pinned:
                errs.append("pCPU %d is not a free dedicated CPU of cell %d" % (x, cell.id))
        cores = [cell.core_of[x] for x in pins.values()]
        if policy in (ThreadPolicy.ISOLATE, ThreadPolicy.SEPARATE) and \
                len(set(cores)) != len(cores):
            errs.append("%s: two vCPUs share a core" % policy.value)
        if policy is ThreadPolicy.ISOLATE:
            want = {x for core in cores for x in core} - set(pins.values())
            if set(cp.reserved) != want:
                errs.append("isolate: siblings %s not reserved" % sorted(want))
        if policy is ThreadPolicy.REQUIRE and any(len(c) < 2 for c in cores):
            errs.append("require: a vCPU on a core without siblings")
        errs += _pages(cell, request, g.memory_mb, cp.page_size_kb)
        if request.pinned and g.memory_mb > cell.avail_memory_mb:
            errs.append("cell %d: pinned memory over the free memory" % cell.id)
        if g.floating and len(g.floating) > len(cell.shared):
            errs.append("cell %d: more floating vCPUs than shared CPUs" % cell.id)
    for x in p.emulator_pins:
        if x in taken:
            errs.append("emulator pCPU %d also holds a vCPU or a reserved sibling" % x)
        first = host.cell_by_id[p.cells[0].host_cell]
        if x not in first.dedicated or x in first.pinned:
            errs.append("emulator pCPU %d is not free on guest cell 0's host cell" % x)
    if request.emulator_isolated and request.pinned and len(p.emulator_pins) != 1:
        errs.append("isolated emulator thread without its own pCPU")
    errs += _devices(host, request, p)
    return errs


def _pages(cell, request: GuestRequest, memory_mb: int, size: int) -> list[str]:
    sizes = sorted(x.size_kb for x in cell.pages)
    pool = cell.pages_by_size.get(size)
    if pool is None:
        return ["page size %d not on cell %d" % (size, cell.id)]
    req = request.page_size
    if req is None:
        return [] if size == sizes[0] else ["unasked page size %d" % size]
    errs = []
    if (req is PageSize.SMALL and size != sizes[0]) or \
            (req is PageSize.LARGE and size == sizes[0]) or \
            (isinstance(req, int) and size != req):
        errs.append("page size %d does not answer %s" % (size, req))
    if pool.free * size < memory_mb * 1024 or (memory_mb * 1024) % size:
        errs.append("cell %d: not enough free %d KiB pages" % (cell.id, size))
    return errs


def _devices(host: Host, request: GuestRequest, p: Placement) -> list[str]:
    want = sum(r.count for r in request.pci_requests)
    if len(p.pci) != want or len(set(p.pci)) != len(p.pci):
        return ["asked %d devices, got %s" % (want, p.pci)]
    by_addr = {d.address: d for d in host.pci}
    cells = {c.host_cell for c in p.cells}
    errs = []
    for a in p.pci:
        d = by_addr[a]
        if d.claimed:
            errs.append("device %s already claimed" % a)
        if not request.cells:
            continue
        pol = request.pci_policy
        if pol is PciNumaPolicy.REQUIRED and d.numa_node not in cells:
            errs.append("required: device %s off the guest's cells" % a)
        if pol is PciNumaPolicy.LEGACY and d.numa_node is not None and \
                d.numa_node not in cells:
            errs.append("legacy: device %s on another cell" % a)
        if pol is PciNumaPolicy.SOCKET and (d.numa_node is None or host.socket_of(
                d.numa_node) not in {host.socket_of(c) for c in cells}):
            errs.append("socket: device %s on another socket" % a)
    return errs
