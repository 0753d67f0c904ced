"""An instance and its placement on this host → a `DomainSpec` (then domain XML).

The rules are Nova's (reference §1.8-1.10, 2.8, 3.6, 5.4, 7, 8.2): pinned vCPUs get a
one-CPU `vcpupin`, floating vCPUs of a NUMA guest the shared CPUs of their host cell,
a guest without NUMA cells floats over the host's shared set; emulator threads go to
the isolated pCPU, else the shared set (`share`), else the guest's own CPUs; guest cells
are renumbered 0..n-1 with `memnode` pointing at their host cell; huge pages back each
cell whose page size is above the host's smallest, with `memAccess='shared'` on every
cell then. The CPU topology gives the guest SMT threads only where its pins really sit
on sibling threads of one host core.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tessera.compute.virt.libvirt.xml import (AgentChannel, Clock, CpuTune, Disk,
                                              DomainSpec, Features, GuestCpu,
                                              GuestNumaCell, HyperV, KernelBoot,
                                              MemoryBacking, NumaTune, Topology, Vif)
from tessera.numa.constraints import build_request
from tessera.numa.host import SMALL_PAGE_KB, Host
from tessera.numa.placement import CellPlacement, Placement
from tessera.numa.request import EmulatorThreadsPolicy, GuestRequest
from tessera.objects import Instance

_TRUE = frozenset({"yes", "true", "1", "on", "y"})
DOMAIN_PREFIX = "instance-"


@dataclass(frozen=True)
class GuestOptions:
    """Driver settings that shape every guest's XML."""

    virt_type: str = "kvm"
    agent_socket_dir: str = "/var/lib/libvirt/qemu"
    realtime_priority: int = 1
    cpu_mode: str | None = None


def domain_name(instance: Instance) -> str:
    return instance.instance_name


def flag(props: Mapping[str, Any], key: str) -> bool:
    """An image property read as Nova's flexible boolean."""
    return str(props.get(key, "")).strip().lower() in _TRUE


def guest_request(instance: Instance) -> GuestRequest:
    return build_request(instance.flavor.as_numa_flavor(), instance.image.as_numa_image())


def _smallest(host: Host, cell_id: int) -> int:
    cell = host.cell_by_id.get(cell_id)
    return cell.smallest_page_kb if cell is not None else SMALL_PAGE_KB


def _host_shared(host: Host) -> frozenset[int]:
    return frozenset(c for cell in host.cells for c in cell.shared)


def _vcpupins(placement: Placement, host: Host) -> dict[int, frozenset[int]]:
    pins: dict[int, frozenset[int]] = {}
    for c in placement.cells:
        for vcpu, pcpu in c.pins.items():
            pins[vcpu] = frozenset({pcpu})
        if c.floating:
            cell = host.cell_by_id[c.host_cell]
            where = cell.shared or _host_shared(host) or cell.cpus
            pins.update({v: where for v in c.floating})
    return pins


def _emulatorpin(placement: Placement, request: GuestRequest, host: Host,
                 pins: dict[int, frozenset[int]]) -> frozenset[int]:
    if placement.emulator_pins:
        return placement.emulator_pins
    shared = _host_shared(host)
    if request.emulator_threads is EmulatorThreadsPolicy.SHARE and shared:
        return shared
    vcpus = [v for v in pins if v not in request.realtime_vcpus] or list(pins)
    return frozenset(c for v in vcpus for c in pins[v])


def _threads(cells: Sequence[CellPlacement], host: Host, vcpus: int) -> int:
    """SMT threads per guest core: t where every run of t consecutive vCPUs is pinned
    to t sibling threads of one host core; 1 otherwise."""
    pins = {v: p for c in cells for v, p in c.pins.items()}
    if set(pins) != set(range(vcpus)):
        return 1
    core_of = {cpu: core for cell in host.cells for cpu, core in cell.core_of.items()}
    for t in range(max(len(core) for core in core_of.values()), 1, -1):
        if vcpus % t:
            continue
        groups = [[pins[v] for v in range(k, k + t)] for k in range(0, vcpus, t)]
        if all(len({core_of[p] for p in g}) == 1 for g in groups):
            return t
    return 1


def build_domain(instance: Instance, placement: Placement | None, host: Host,
                 options: GuestOptions = GuestOptions(), *, vifs: Sequence[Vif] = (),
                 disks: Sequence[Disk] = (), boot: KernelBoot | None = None,
                 serial_log: str | None = None) -> DomainSpec:
    """The domain for `instance` placed by `placement` (None: floats on the host)."""
    request = guest_request(instance)
    props = instance.image.properties
    vcpus, memory_kib = instance.flavor.vcpus, instance.flavor.memory_mb * 1024
    cells = tuple(sorted(placement.cells, key=lambda c: c.guest_cell)) if placement else ()
    windows = str(props.get("os_type", "")).lower() == "windows"
    hv = options.virt_type in ("kvm", "qemu")
    name = domain_name(instance)
    spec: dict[str, Any] = dict(
        name=name, uuid=instance.uuid, memory_kib=memory_kib, vcpus=vcpus,
        virt_type=options.virt_type, display_name=instance.display_name,
        features=Features(hyperv=HyperV() if windows and hv else None),
        clock=Clock(offset="localtime" if windows else "utc",
                    kvm_timers=options.virt_type == "kvm",
                    hypervclock=windows and options.virt_type == "kvm"),
        interfaces=tuple(vifs), disks=tuple(disks), boot=boot, serial_log=serial_log,
        agent=AgentChannel(name, options.agent_socket_dir)
        if flag(props, "hw_qemu_guest_agent") else None,
        cpu=GuestCpu(mode=options.cpu_mode))
    if not cells:
        spec["vcpu_cpuset"] = _host_shared(host)
        spec["cpu"] = GuestCpu(topology=Topology(sockets=vcpus), mode=options.cpu_mode)
        return DomainSpec(**spec)
    pins = _vcpupins(placement, host)  # type: ignore[arg-type]
    huge = {i: c.page_size_kb for i, c in enumerate(cells)
            if c.page_size_kb > _smallest(host, c.host_cell)}
    threads = _threads(cells, host, vcpus)
    by_size: dict[int, set[int]] = {}
    for i, size in huge.items():
        by_size.setdefault(size, set()).add(i)
    spec.update(
        cputune=CpuTune(vcpupins=pins,
                        emulatorpin=_emulatorpin(placement, request, host, pins),  # type: ignore[arg-type]
                        realtime_vcpus=request.realtime_vcpus,
                        realtime_priority=options.realtime_priority),
        numatune=NumaTune(memnodes={i: c.host_cell for i, c in enumerate(cells)}),
        memory_backing=MemoryBacking(
            hugepages={s: frozenset(g) for s, g in by_size.items()},
            locked=bool(request.realtime_vcpus), nosharepages=bool(request.realtime_vcpus)),
        cpu=GuestCpu(topology=Topology(sockets=vcpus // threads, threads=threads),
                     cells=tuple(GuestNumaCell(id=i, cpus=frozenset(c.vcpus),
                                               memory_kib=c.memory_mb * 1024,
                                               shared=bool(huge))
                                 for i, c in enumerate(cells)),
                     mode=options.cpu_mode))
    return DomainSpec(**spec)
