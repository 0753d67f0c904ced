"""What a guest asks of a host, resolved from flavor extra specs and image properties.

`tessera.numa.constraints.build_request` makes a `GuestRequest`; the fitter only reads
it. Values keep Nova's names (`dedicated`, `isolate`, ...). Both thread-policy key sets
resolve to one `ThreadPolicy`: Nova's `hw:cpu_thread_policy` (`prefer|isolate|require`)
and the seed's `hw:cpu_threads_policy` (`avoid|separate|isolate|prefer`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class CpuPolicy(str, Enum):
    SHARED = "shared"
    DEDICATED = "dedicated"
    MIXED = "mixed"


class ThreadPolicy(str, Enum):
    PREFER = "prefer"      # siblings of one core first, any free pCPUs as a fallback
    ISOLATE = "isolate"    # one vCPU per core; the core's siblings stay idle
    REQUIRE = "require"    # vCPUs on thread siblings only; SMT hosts only
    AVOID = "avoid"        # seed: no SMT host at all
    SEPARATE = "separate"  # seed: one vCPU per core; siblings left to other guests


class EmulatorThreadsPolicy(str, Enum):
    SHARE = "share"
    ISOLATE = "isolate"


class PciNumaPolicy(str, Enum):
    LEGACY = "legacy"
    REQUIRED = "required"
    PREFERRED = "preferred"
    SOCKET = "socket"


class PageSize(str, Enum):
    """Symbolic page-size requests; an explicit size is an int of KiB."""

    SMALL = "small"
    LARGE = "large"
    ANY = "any"


@dataclass(frozen=True)
class GuestCell:
    """One guest NUMA node: its vCPUs (pinned ones and floating ones) and memory."""

    id: int
    pinned: tuple[int, ...]
    floating: tuple[int, ...]
    memory_mb: int

    @property
    def vcpus(self) -> tuple[int, ...]:
        return tuple(sorted(self.pinned + self.floating))


@dataclass(frozen=True)
class PciRequest:
    """`count` devices matching every given field (None matches anything)."""

    count: int = 1
    vendor_id: str | None = None
    product_id: str | None = None
    physnet: str | None = None
    dev_type: str | None = None
    alias: str | None = None


@dataclass(frozen=True)
class GuestRequest:
    """A guest's placement constraints.

    `cells` is None when the guest has no NUMA topology (floating vCPUs, no page size,
    no `hw:numa_nodes`): it then fits anywhere its CPUs, RAM and devices fit.
    `page_size` is None (no request), a `PageSize` or an explicit size in KiB.
    `realtime_vcpus` only shapes the guest's XML; the fitter does not read it.
    """

    vcpus: int
    memory_mb: int
    cpu_policy: CpuPolicy = CpuPolicy.SHARED
    thread_policy: ThreadPolicy | None = None
    thread_policy_key: str | None = None
    emulator_threads: EmulatorThreadsPolicy | None = None
    cells: tuple[GuestCell, ...] | None = None
    page_size: PageSize | int | None = None
    pci_policy: PciNumaPolicy = PciNumaPolicy.LEGACY
    pci_requests: tuple[PciRequest, ...] = ()
    realtime_vcpus: frozenset[int] = frozenset()

    @property
    def pinned(self) -> bool:
        return self.cpu_policy in (CpuPolicy.DEDICATED, CpuPolicy.MIXED)

    @property
    def emulator_isolated(self) -> bool:
        return self.emulator_threads is EmulatorThreadsPolicy.ISOLATE
