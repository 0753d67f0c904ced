"""The host side of placement: NUMA cells, their CPUs, memory, page pools, PCI devices
and what is already in use.

A `Host` is an immutable snapshot. Usage changes (`tessera.numa.usage.apply` /
`release`) return a new snapshot with the generation bumped, so a writer that read an
older generation can detect that it lost a race and retry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

SMALL_PAGE_KB = 4

_T = TypeVar("_T")


class cached_property(Generic[_T]):  # noqa: N801 - reads like functools' own
    """A lock-free cached property: computed once, then read from the instance dict.

    `functools.cached_property` takes a lock on every first access in Python 3.11,
    which costs more than the fitter's per-cell summaries themselves.
    """

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __get__(self, obj: Any, cls: type | None = None) -> _T:
        if obj is None:
            return self  # type: ignore[return-value]
        value = self.func(obj)
        obj.__dict__[self.name] = value
        return value


@dataclass(frozen=True)
class PagePool:
    """Pages of one size on one cell. `reserved` pages are never handed out."""

    size_kb: int
    total: int
    used: int = 0
    reserved: int = 0

    @property
    def free(self) -> int:
        return max(0, self.total - self.used - self.reserved)


@dataclass(frozen=True)
class PciDevice:
    """A passthrough-capable device (an SR-IOV VF, a PF or a whole PCI device).

    `numa_node` is None where the platform does not report one.
    """

    address: str
    vendor_id: str
    product_id: str
    dev_type: str = "type-VF"
    physnet: str | None = None
    numa_node: int | None = None
    claimed: bool = False


@dataclass(frozen=True)
class HostCell:
    """One host NUMA node and its current usage.

    `siblings` lists every CPU of the cell grouped by physical core (one tuple per core,
    a one-element tuple where the core has no SMT). `dedicated` is the part of the
    cell's CPUs that may hold pinned guest vCPUs (`cpu_dedicated_set`), `shared` the part
    on which floating vCPUs run (`cpu_shared_set`). `pinned` are dedicated CPUs already
    given to guests; `shared_vcpus_used` counts floating vCPUs on the cell.
    """

    id: int
    siblings: tuple[tuple[int, ...], ...]
    dedicated: frozenset[int]
    shared: frozenset[int]
    memory_mb: int
    pages: tuple[PagePool, ...] = ()
    socket: int | None = None
    pinned: frozenset[int] = frozenset()
    shared_vcpus_used: int = 0
    memory_used_mb: int = 0

    def __post_init__(self) -> None:
        cpus = [c for core in self.siblings for c in core]
        if len(cpus) != len(set(cpus)):
            raise ValueError("cell %d: a CPU is listed in two cores" % self.id)
        known = set(cpus)
        if not self.dedicated <= known or not self.shared <= known:
            raise ValueError("cell %d: dedicated/shared CPUs outside the cell" % self.id)
        if self.dedicated & self.shared:
            raise ValueError("cell %d: CPUs %s are both dedicated and shared"
                             % (self.id, sorted(self.dedicated & self.shared)))
        if not self.pinned <= self.dedicated:
            raise ValueError("cell %d: pinned CPUs %s are not dedicated"
                             % (self.id, sorted(self.pinned - self.dedicated)))

    @cached_property
    def cpus(self) -> frozenset[int]:
        return frozenset(c for core in self.siblings for c in core)

    @cached_property
    def core_of(self) -> dict[int, tuple[int, ...]]:
        """Each CPU's sibling group."""
        return {c: core for core in self.siblings for c in core}

    @cached_property
    def free_pcpus(self) -> frozenset[int]:
        return self.dedicated - self.pinned

    @cached_property
    def dedicated_cores(self) -> tuple[tuple[int, ...], ...]:
        """Cores whose every thread is in the dedicated set."""
        ded = self.dedicated
        return tuple(core for core in self.siblings if ded.issuperset(core))

    @cached_property
    def free_cores(self) -> tuple[tuple[int, ...], ...]:
        """Per core, its free dedicated CPUs (cores with none are left out)."""
        free = self.free_pcpus
        out = []
        for core in self.siblings:
            if free.issuperset(core):
                out.append(core)
            elif not free.isdisjoint(core):
                out.append(tuple(c for c in core if c in free))
        return tuple(out)

    @cached_property
    def whole_free_cores(self) -> tuple[tuple[int, ...], ...]:
        """Cores whose every thread is a free dedicated CPU (what `isolate` needs)."""
        pinned = self.pinned
        if not pinned:
            return self.dedicated_cores
        return tuple(core for core in self.dedicated_cores if pinned.isdisjoint(core))

    @cached_property
    def threads_per_core(self) -> int:
        return max((len(core) for core in self.siblings), default=1)

    @property
    def has_smt(self) -> bool:
        return self.threads_per_core > 1

    @property
    def avail_memory_mb(self) -> int:
        return self.memory_mb - self.memory_used_mb

    @cached_property
    def pages_by_size(self) -> dict[int, PagePool]:
        return {p.size_kb: p for p in self.pages}

    @cached_property
    def smallest_page_kb(self) -> int:
        return min((p.size_kb for p in self.pages), default=SMALL_PAGE_KB)


@dataclass(frozen=True)
class Host:
    """A compute host's NUMA topology and usage, with allocation ratios for floating
    vCPUs and RAM. Devices not on any cell carry `numa_node=None`."""

    name: str
    cells: tuple[HostCell, ...]
    cpu_allocation_ratio: float = 16.0
    ram_allocation_ratio: float = 1.0
    pci: tuple[PciDevice, ...] = ()
    generation: int = 0
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        ids = [c.id for c in self.cells]
        if len(ids) != len(set(ids)):
            raise ValueError("host %s: duplicate cell ids %s" % (self.name, ids))
        seen: set[int] = set()
        for cell in self.cells:
            if seen & cell.cpus:
                raise ValueError("host %s: CPUs %s are in two cells"
                                 % (self.name, sorted(seen & cell.cpus)))
            seen |= cell.cpus
        addrs = [d.address for d in self.pci]
        if len(addrs) != len(set(addrs)):
            raise ValueError("host %s: duplicate PCI addresses" % self.name)

    @cached_property
    def cell_by_id(self) -> dict[int, HostCell]:
        return {c.id: c for c in self.cells}

    @cached_property
    def has_smt(self) -> bool:
        return any(c.has_smt for c in self.cells)

    @cached_property
    def pci_cells(self) -> frozenset[int]:
        """Cells that hold at least one PCI device."""
        return frozenset(d.numa_node for d in self.pci if d.numa_node is not None)

    def socket_of(self, cell_id: int) -> int | None:
        return self.cell_by_id[cell_id].socket
