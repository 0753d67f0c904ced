"""Hypothesis strategies for hosts and guest requests (shared by the fitter's tests)."""

from __future__ import annotations

from hypothesis import strategies as st

from tessera.numa.host import Host, HostCell, PagePool, PciDevice
from tessera.numa.request import (CpuPolicy, EmulatorThreadsPolicy, GuestCell, GuestRequest,
                                  PageSize, PciNumaPolicy, PciRequest, ThreadPolicy)

PHYSNETS = ("physnet1", "physnet2")


@st.composite
def hosts(draw, max_cells: int = 4, max_cores: int = 8, with_pci: bool = True) -> Host:
    n_cells = draw(st.integers(1, max_cells))
    threads = draw(st.sampled_from([1, 2]))
    cores = draw(st.integers(1, max_cores))
    total = n_cells * cores
    cells = []
    devices = []
    for c in range(n_cells):
        siblings = tuple(tuple(c * cores + k + t * total for t in range(threads))
                         for k in range(cores))
        n_shared = draw(st.integers(0, min(1, cores - 1)))
        shared = frozenset(x for core in siblings[:n_shared] for x in core)
        dedicated = frozenset(x for core in siblings[n_shared:] for x in core)
        pinned = frozenset(draw(st.sets(st.sampled_from(sorted(dedicated))))
                           if dedicated else ())
        memory_mb = draw(st.sampled_from([4096, 8192, 16384]))
        gb1 = draw(st.integers(0, memory_mb // 4096))
        mb2 = draw(st.sampled_from([0, memory_mb // 4]))
        small_mb = memory_mb - gb1 * 1024 - mb2
        used_mb = draw(st.integers(0, small_mb))
        pools = (PagePool(4, small_mb * 256, used_mb * 256),
                 PagePool(2048, mb2 // 2, draw(st.integers(0, mb2 // 2))),
                 PagePool(1048576, gb1, draw(st.integers(0, gb1))))
        cells.append(HostCell(
            id=c, siblings=siblings, dedicated=dedicated, shared=shared,
            memory_mb=memory_mb, pages=pools, socket=c // 2, pinned=pinned,
            shared_vcpus_used=draw(st.integers(0, 4 * len(shared))),
            memory_used_mb=used_mb))
        if with_pci:
            for i in range(draw(st.integers(0, 3))):
                devices.append(PciDevice("0000:%02x:00.%d" % (c, i), "8086", "154c",
                                         physnet=PHYSNETS[i % 2], numa_node=c,
                                         claimed=draw(st.booleans())))
    if with_pci and draw(st.booleans()):
        devices.append(PciDevice("0000:ff:00.0", "8086", "154c", physnet="physnet1"))
    return Host(name="h", cells=tuple(cells),
                cpu_allocation_ratio=draw(st.sampled_from([1.0, 4.0, 16.0])),
                ram_allocation_ratio=draw(st.sampled_from([1.0, 1.5])), pci=tuple(devices))


@st.composite
def requests(draw, max_vcpus: int = 12, max_nodes: int = 3) -> GuestRequest:
    policy = draw(st.sampled_from([CpuPolicy.SHARED, CpuPolicy.DEDICATED,
                                   CpuPolicy.DEDICATED]))
    nodes = draw(st.integers(1, max_nodes))
    per = draw(st.integers(1, max(1, max_vcpus // nodes)))
    vcpus = per * nodes
    mem_per = draw(st.sampled_from([512, 1024, 2048]))
    page = draw(st.sampled_from([None, None, PageSize.SMALL, PageSize.LARGE, PageSize.ANY,
                                 2048, 1048576]))
    thread = None
    emulator = None
    if policy is CpuPolicy.DEDICATED:
        thread = draw(st.sampled_from([None] + list(ThreadPolicy)))
        emulator = draw(st.sampled_from([None, EmulatorThreadsPolicy.ISOLATE]))
    numa = policy is CpuPolicy.DEDICATED or page is not None or draw(st.booleans())
    cells = None
    if numa:
        cells = tuple(GuestCell(
            id=i,
            pinned=tuple(range(i * per, (i + 1) * per)) if policy is CpuPolicy.DEDICATED
            else (),
            floating=() if policy is CpuPolicy.DEDICATED
            else tuple(range(i * per, (i + 1) * per)),
            memory_mb=mem_per) for i in range(nodes))
    pci = ()
    if draw(st.booleans()):
        pci = (PciRequest(count=draw(st.integers(1, 2)), vendor_id="8086",
                          product_id="154c", physnet=draw(st.sampled_from(PHYSNETS))),)
    return GuestRequest(
        vcpus=vcpus, memory_mb=mem_per * nodes, cpu_policy=policy, thread_policy=thread,
        emulator_threads=emulator, cells=cells, page_size=page if numa else None,
        pci_policy=draw(st.sampled_from(list(PciNumaPolicy))), pci_requests=pci)
