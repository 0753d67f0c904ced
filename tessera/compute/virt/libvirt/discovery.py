"""Host discovery: capabilities + node devices + this host's configuration → the
`tessera.numa.Host` the scheduler and resource tracker work with.

Pure: the driver feeds it `getCapabilities()` and `listAllDevices()`; tests feed it
fixtures. CPU sets follow Nova's `[compute]` rules: with neither `cpu_dedicated_set`
nor `cpu_shared_set` every online CPU is shared (no pinned guests); with only one of
them set, the other is empty; both overlapping, or naming a CPU the host does not have
online, is an error. Reserved huge pages (`node:0,size:2048,count:64`) are never handed
out; `page_sizes`, when given, limits the huge page sizes that may back guests (the
smallest size always stays). Distances go into `Host.extra["distances"]`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tessera.compute.virt.libvirt.caps import CapsCell, parse_capabilities
from tessera.compute.virt.libvirt.errors import HostDiscoveryError
from tessera.compute.virt.libvirt.nodedev import (DeviceSpec, offered_devices,
                                                  parse_nodedev)
from tessera.numa.cpuspec import format_cpu_spec, parse_cpu_spec
from tessera.numa.demo import parse_size_kb
from tessera.numa.host import Host, HostCell, PagePool


@dataclass(frozen=True)
class ReservedPages:
    node: int
    size_kb: int
    count: int


@dataclass(frozen=True)
class HostConfig:
    """This host's configuration, as `[compute]` / `[libvirt]` options give it."""

    dedicated: frozenset[int] | None = None
    shared: frozenset[int] | None = None
    reserved_pages: tuple[ReservedPages, ...] = ()
    page_sizes: frozenset[int] | None = None
    device_specs: tuple[DeviceSpec, ...] = ()
    cpu_allocation_ratio: float = 16.0
    ram_allocation_ratio: float = 1.0
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def from_strings(cls, dedicated: str | None = None, shared: str | None = None,
                     reserved: Sequence[str] = (), **kw: object) -> "HostConfig":
        """From option strings: CPU specs (`2-7,^4`) and Nova's reserved-page form."""
        return cls(dedicated=parse_cpu_spec(dedicated, "cpu_dedicated_set")
                   if dedicated else None,
                   shared=parse_cpu_spec(shared, "cpu_shared_set") if shared else None,
                   reserved_pages=tuple(parse_reserved(r) for r in reserved),
                   **kw)  # type: ignore[arg-type]


def parse_reserved(text: str) -> ReservedPages:
    """`node:0,size:2048,count:64` (size in KiB or with a unit: `2M`, `1G`, `1GB`)."""
    try:
        parts = dict(item.split(":", 1) for item in text.split(","))
        return ReservedPages(node=int(parts["node"]), size_kb=parse_size_kb(parts["size"]),
                             count=int(parts["count"]))
    except (KeyError, ValueError) as exc:
        raise HostDiscoveryError("reserved huge pages %r: expected node:N,size:S,count:C"
                                 " (%s)" % (text, exc)) from None


def _cpu_sets(cells: Sequence[CapsCell], conf: HostConfig
              ) -> tuple[frozenset[int], frozenset[int]]:
    online = frozenset(c.id for cell in cells for c in cell.cpus)
    dedicated, shared = conf.dedicated, conf.shared
    if dedicated is None and shared is None:
        return frozenset(), online
    dedicated, shared = dedicated or frozenset(), shared or frozenset()
    for name, cpus in (("cpu_dedicated_set", dedicated), ("cpu_shared_set", shared)):
        if not cpus <= online:
            raise HostDiscoveryError("%s names CPUs %s that are not online on this host"
                                     " (online: %s)" % (name, format_cpu_spec(cpus - online),
                                                        format_cpu_spec(online)))
    if dedicated & shared:
        raise HostDiscoveryError("CPUs %s are in both cpu_dedicated_set and cpu_shared_set"
                                 % format_cpu_spec(dedicated & shared))
    return dedicated, shared


def _pages(cell: CapsCell, conf: HostConfig) -> tuple[PagePool, ...]:
    if not cell.pages:
        return ()
    smallest = min(cell.pages)
    reserved = {r.size_kb: r.count for r in conf.reserved_pages if r.node == cell.id}
    pools = []
    for size, total in sorted(cell.pages.items()):
        if size != smallest and conf.page_sizes is not None and size not in conf.page_sizes:
            continue
        count = reserved.pop(size, 0)
        if count > total:
            raise HostDiscoveryError("node %d has %d pages of %d KiB, %d are reserved"
                                     % (cell.id, total, size, count))
        pools.append(PagePool(size_kb=size, total=total, reserved=count))
    if reserved:
        raise HostDiscoveryError("node %d has no %s KiB pages to reserve"
                                 % (cell.id, ", ".join(map(str, sorted(reserved)))))
    return tuple(pools)


def build_host(name: str, capabilities: str, nodedevs: Iterable[str] = (),
               conf: HostConfig = HostConfig()) -> Host:
    """The host model of a capabilities document, its node devices and `conf`."""
    caps = parse_capabilities(capabilities)
    if not caps.cells:
        raise HostDiscoveryError("the capabilities report no NUMA cells")
    known = {c.id for c in caps.cells}
    for r in conf.reserved_pages:
        if r.node not in known:
            raise HostDiscoveryError("reserved huge pages on node %d, which the host does "
                                     "not have" % r.node)
    dedicated, shared = _cpu_sets(caps.cells, conf)
    cells = []
    for c in caps.cells:
        cpus = frozenset(cpu.id for cpu in c.cpus)
        cells.append(HostCell(id=c.id, siblings=c.cores, dedicated=dedicated & cpus,
                              shared=shared & cpus, memory_mb=c.memory_kib // 1024,
                              pages=_pages(c, conf), socket=c.socket))
    infos = [i for i in (parse_nodedev(x) for x in nodedevs) if i is not None]
    extra = dict(conf.extra)
    extra["distances"] = {c.id: dict(c.distances) for c in caps.cells if c.distances}
    extra["arch"] = caps.arch
    return Host(name=name, cells=tuple(cells), pci=offered_devices(infos, conf.device_specs),
                cpu_allocation_ratio=conf.cpu_allocation_ratio,
                ram_allocation_ratio=conf.ram_allocation_ratio, extra=extra)
