"""NUMA placement: does this guest fit this host, and exactly how? Pure: no I/O.

Public surface: the host model (`Host`, `HostCell`, `PagePool`, `PciDevice`), the
request model (`GuestRequest` and its enums, built by `build_request` from flavor extra
specs and image properties), `fit` with its answers (`Placement`, `NoFit`) and the usage
accounting (`apply`, `release`).
"""

from tessera.numa.fit import Strategy, fit
from tessera.numa.host import Host, HostCell, PagePool, PciDevice
from tessera.numa.placement import CellPlacement, CellReason, NoFit, Placement
from tessera.numa.usage import UsageConflict, apply, release
from tessera.numa.request import (CpuPolicy, EmulatorThreadsPolicy, GuestCell,
                                  GuestRequest, PageSize, PciNumaPolicy, PciRequest,
                                  ThreadPolicy)

__all__ = [
    "CellPlacement", "CellReason", "CpuPolicy", "EmulatorThreadsPolicy", "GuestCell",
    "GuestRequest", "Host", "HostCell", "NoFit", "PagePool", "PciDevice", "PciNumaPolicy",
    "PciRequest", "PageSize", "Placement", "Strategy", "ThreadPolicy", "UsageConflict",
    "apply", "fit", "release",
]
