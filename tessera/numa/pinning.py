"""Which pCPUs of one host cell a guest cell's pinned vCPUs get, under a thread policy.

Each policy has a feasibility test on counts (O(cores)) and a chooser; the fitter runs the
test for every guest-cell/host-cell pair and the chooser only for the pairs it keeps.
The test is exact: the chooser succeeds whenever the test passes.

Policies (`ThreadPolicy`; None means `prefer`):
- prefer:   any free dedicated pCPUs; fullest-first over cores so vCPUs share cores.
- require:  only cores with at least two free threads (an SMT sibling to share).
- isolate:  whole free cores, one vCPU each; the other threads are reserved (idle).
- separate: one vCPU per core with a free thread; the core's other threads stay free
            for other guests (the seed's policy).
- avoid:    the seed's "no SMT host"; the host-wide check is the fitter's, the cell
            is then filled as under prefer.
An isolated emulator thread (`reserved=1`) takes one more free pCPU that neither runs a
vCPU of this guest nor is a sibling of an `isolate` core.
"""

from __future__ import annotations

from tessera.numa.host import HostCell
from tessera.numa.request import ThreadPolicy

_ONE_PER_CORE = (ThreadPolicy.ISOLATE, ThreadPolicy.SEPARATE)


def cpu_shortfall(cell: HostCell, n: int, reserved: int,
                  policy: ThreadPolicy | None) -> str | None:
    """Why `n` pinned vCPUs (+`reserved` emulator pCPUs) do not fit on `cell`, or None."""
    free = len(cell.free_pcpus)
    need = n + reserved
    extra = " (+%d for the emulator thread)" % reserved if reserved else ""
    if need > free:
        return "%d free dedicated pCPUs, needs %d%s" % (free, need, extra)
    if policy is ThreadPolicy.REQUIRE:
        paired = sum(len(c) for c in cell.free_cores if len(c) > 1)
        if paired < n:
            return ("%d free pCPUs with a free sibling, needs %d under require"
                    % (paired, n))
    elif policy is ThreadPolicy.ISOLATE:
        whole = cell.whole_free_cores
        if len(whole) < n:
            noun = "thread-sibling sets" if cell.has_smt else "cores"
            return "%d free whole %s, needs %d under isolate" % (len(whole), noun, n)
        if reserved and free - sum(sorted(len(c) for c in whole)[:n]) < reserved:
            return "no free pCPU left for the emulator thread beside %d isolated cores" % n
    elif policy is ThreadPolicy.SEPARATE:
        cores = len(cell.free_cores)
        if cores < n:
            return "%d cores with a free thread, needs %d under separate" % (cores, n)
    return None


def choose_pins(cell: HostCell, vcpus: tuple[int, ...], reserved: int,
                policy: ThreadPolicy | None
                ) -> tuple[dict[int, int], frozenset[int], frozenset[int]]:
    """Pins for `vcpus` on `cell`: (vCPU -> pCPU, idle siblings reserved, emulator pCPUs).

    Call only after `cpu_shortfall` returned None.
    """
    n = len(vcpus)
    idle: frozenset[int] = frozenset()
    if policy is ThreadPolicy.ISOLATE:
        cores = sorted(cell.whole_free_cores, key=len)[:n]
        chosen = [core[0] for core in cores]
        idle = frozenset(c for core in cores for c in core[1:])
    elif policy is ThreadPolicy.SEPARATE:
        cores = sorted(cell.free_cores, key=len)[:n]
        chosen = [core[0] for core in cores]
    elif policy is ThreadPolicy.REQUIRE:
        chosen = _fill(c for c in cell.free_cores if len(c) > 1)[:n]
    else:
        chosen = _pack(cell.free_cores, n)
    pins = dict(zip(sorted(vcpus), chosen))
    emulator: frozenset[int] = frozenset()
    if reserved:
        emulator = _emulator_cpus(cell, set(chosen) | idle, reserved)
    return pins, idle, emulator


def _fill(cores) -> list[int]:
    """Threads of the given cores, fullest cores first (stable)."""
    ordered = sorted(cores, key=len, reverse=True)
    return [c for core in ordered for c in core]


def _pack(free_cores: tuple[tuple[int, ...], ...], n: int) -> list[int]:
    """`n` free pCPUs, keeping vCPUs on sibling threads: the largest cores that are
    wholly used first, and a remainder on the smallest core that holds it."""
    by_size: dict[int, list[tuple[int, ...]]] = {}
    for core in free_cores:
        by_size.setdefault(len(core), []).append(core)
    for cores in by_size.values():
        cores.reverse()  # pop() then takes them in cell order
    sizes = sorted(by_size, reverse=True)
    out: list[int] = []
    while len(out) < n:
        need = n - len(out)
        size = next((s for s in sizes if s <= need and by_size[s]), None)
        if size is None:
            size = min(s for s in sizes if by_size[s])
        out.extend(by_size[size].pop()[:need])
    return out


def _emulator_cpus(cell: HostCell, taken: set[int], count: int) -> frozenset[int]:
    """Free pCPUs for the emulator, preferring cores this guest already touches so that
    whole cores stay whole for others."""
    left = [core for core in (tuple(c for c in core if c not in taken)
                              for core in cell.free_cores) if core]
    left.sort(key=len)
    picks = [c for core in left for c in core][:count]
    return frozenset(picks)
