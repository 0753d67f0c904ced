"""The fitter's answers on small, hand-made hosts: one named case a row."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tessera.numa import Strategy, apply, fit
from tessera.numa.codec import host_from_dict
from tessera.numa.constraints import build_request

from .checker import problems


def cell(cid: int, cores: int, threads: int = 2, shared_cores: int = 1, mem_gb: int = 16,
         pinned=(), gb1: int = 0, mb2: int = 0, pci=(), used_mb: int = 0) -> dict:
    base = cid * cores
    stride = 64
    siblings = [[base + k + t * stride for t in range(threads)] for k in range(cores)]
    shared = [x for core in siblings[:shared_cores] for x in core]
    dedicated = [x for core in siblings[shared_cores:] for x in core]
    small_mb = mem_gb * 1024 - gb1 * 1024 - mb2 * 2
    return {"id": cid, "siblings": siblings, "shared": shared, "dedicated": dedicated,
            "memory_mb": mem_gb * 1024, "pinned": list(pinned), "memory_used_mb": used_mb,
            "pages": [{"size_kb": 4, "total": small_mb * 256, "used": used_mb * 256},
                      {"size_kb": 2048, "total": mb2, "used": 0},
                      {"size_kb": 1048576, "total": gb1, "used": 0}],
            "pci": [{"address": a, "vendor_id": "8086", "product_id": "154c",
                     "physnet": "physnet1"} for a in pci]}


def host(*cells: dict) -> dict:
    return {"name": "compute-1", "cpu_allocation_ratio": 4.0, "ram_allocation_ratio": 1.0,
            "cells": list(cells)}


def flavor(vcpus: int, memory_mb: int = 2048, **specs: str) -> dict:
    return {"vcpus": vcpus, "memory_mb": memory_mb,
            "extra_specs": {k.replace("__", ":").replace("_dot_", "."): v
                            for k, v in specs.items()}}


VF = [{"count": 1, "vendor_id": "8086", "product_id": "154c", "physnet": "physnet1"}]


@dataclass
class Case:
    name: str
    host: dict
    flavor: dict
    image: dict = field(default_factory=dict)
    pci: list = field(default_factory=list)
    strategy: Strategy = Strategy.SPREAD
    cells: list | None = None      # host cell per guest cell, when it fits
    reason: str | None = None      # a piece of the no-fit reason
    check: object = None           # more assertions on the placement


def _pins_on_distinct_cores(p) -> None:
    pins = list(p.cells[0].pins.values())
    assert len({x % 64 for x in pins}) == len(pins)


CASES = [
    Case("dedicated guest gets pinned on the emptier cell (spread)",
         host(cell(0, 4, pinned=[1]), cell(1, 4)), flavor(2, hw__cpu_policy="dedicated"),
         cells=[1]),
    Case("pack puts it on the fuller cell instead",
         host(cell(0, 4, pinned=[1]), cell(1, 4)), flavor(2, hw__cpu_policy="dedicated"),
         strategy=Strategy.PACK, cells=[0]),
    Case("prefer keeps two vCPUs on the two threads of one core",
         host(cell(0, 4)), flavor(2, hw__cpu_policy="dedicated"), cells=[0],
         check=lambda p: (sorted(p.cells[0].pins.values()) == [1, 65]) or pytest.fail(
             "pins %s" % p.cells[0].pins)),
    Case("isolate takes whole cores and reserves their siblings",
         host(cell(0, 4)), flavor(2, hw__cpu_policy="dedicated",
                                  hw__cpu_thread_policy="isolate"),
         cells=[0], check=lambda p: (len(p.cells[0].reserved) == 2,
                                     _pins_on_distinct_cores(p))),
    Case("isolate says how many whole cores are free",
         host(cell(0, 4, pinned=[1, 2]), cell(1, 4, pinned=[5])),
         flavor(3, hw__cpu_policy="dedicated", hw__cpu_thread_policy="isolate"),
         reason="cell 1: 2 free whole thread-sibling sets, needs 3 under isolate"),
    Case("require refuses a host without SMT",
         host(cell(0, 8, threads=1)),
         flavor(2, hw__cpu_policy="dedicated", hw__cpu_thread_policy="require"),
         reason="no SMT thread siblings"),
    Case("the seed's avoid refuses an SMT host",
         host(cell(0, 8)), flavor(2, hw__cpu_policy="dedicated",
                                  hw__cpu_threads_policy="avoid"),
         reason="avoid needs a host without"),
    Case("the seed's avoid fits a host without SMT",
         host(cell(0, 8, threads=1)), flavor(2, hw__cpu_policy="dedicated",
                                             hw__cpu_threads_policy="avoid"), cells=[0]),
    Case("the seed's separate puts each vCPU on its own core, siblings left free",
         host(cell(0, 4)), flavor(3, hw__cpu_policy="dedicated",
                                  hw__cpu_threads_policy="separate"),
         cells=[0], check=lambda p: (_pins_on_distinct_cores(p),
                                     not p.cells[0].reserved or pytest.fail("reserved"))),
    Case("an isolated emulator thread gets a pCPU of its own on guest cell 0's cell",
         host(cell(0, 4)), flavor(2, hw__cpu_policy="dedicated",
                                  hw__emulator_threads_policy="isolate"),
         cells=[0], check=lambda p: len(p.emulator_pins) == 1 or pytest.fail("emulator")),
    Case("two guest nodes land on two host cells",
         host(cell(0, 4), cell(1, 4)), flavor(4, 4096, hw__cpu_policy="dedicated",
                                              hw__numa_nodes="2"), cells=[0, 1]),
    Case("more guest nodes than host cells is refused with the counts",
         host(cell(0, 8)), flavor(4, 4096, hw__numa_nodes="2"),
         reason="host has 1 NUMA cells, the guest needs 2"),
    Case("large pages prefer 1G over 2M",
         host(cell(0, 4, gb1=4, mb2=2048)), flavor(2, 2048, hw__mem_page_size="large"),
         check=lambda p: p.cells[0].page_size_kb == 1048576 or pytest.fail("page")),
    Case("any falls back to small pages when no huge page is free",
         host(cell(0, 4)), flavor(2, 2048, hw__mem_page_size="any"),
         check=lambda p: p.cells[0].page_size_kb == 4 or pytest.fail("page")),
    Case("an explicit size with no pool is refused, naming the pool",
         host(cell(0, 4, mb2=512)), flavor(2, 2048, hw__mem_page_size="1GB"),
         reason="cell 0: 0 free 1G pages"),
    Case("not enough 2M pages: the free count and the need are given",
         host(cell(0, 4, mb2=512)), flavor(2, 2048, hw__mem_page_size="2MB"),
         reason="512 free 2M pages, needs 2048 MiB in 2M pages"),
    Case("an image page size allowed by the flavor's 'large'",
         host(cell(0, 4, gb1=4, mb2=2048)), flavor(2, 2048, hw__mem_page_size="large"),
         image={"properties": {"hw_mem_page_size": "2MB"}},
         check=lambda p: p.cells[0].page_size_kb == 2048 or pytest.fail("page")),
    Case("a guest without devices keeps off the device cell",
         host(cell(0, 4, pci=["0000:18:00.1"]), cell(1, 4, pinned=[5])),
         flavor(2, hw__cpu_policy="dedicated"), cells=[1]),
    Case("a guest with a VF goes to the VF's cell under required",
         host(cell(0, 4), cell(1, 4, pci=["0000:58:00.1"], pinned=[5])),
         flavor(2, hw__cpu_policy="dedicated", hw__pci_numa_affinity_policy="required"),
         pci=VF, cells=[1],
         check=lambda p: p.pci == ("0000:58:00.1",) or pytest.fail("pci")),
    Case("required with the VF's cell full is refused, naming the devices",
         host(cell(0, 4), cell(1, 4, pci=["0000:58:00.1"], pinned=[5, 6, 7, 69, 70, 71])),
         flavor(2, hw__cpu_policy="dedicated", hw__pci_numa_affinity_policy="required"),
         pci=VF, reason="0 free 8086:154c on physnet1 device(s) for host cells 0 under "
                        "required (1 on the host), needs 1"),
    Case("preferred takes a remote VF when the local cell is full",
         host(cell(0, 4), cell(1, 4, pci=["0000:58:00.1"], pinned=[5, 6, 7, 69, 70, 71])),
         flavor(2, hw__cpu_policy="dedicated", hw__pci_numa_affinity_policy="preferred"),
         pci=VF, cells=[0]),
    Case("pinned memory is never over-committed",
         host(cell(0, 4, mem_gb=4, used_mb=3072)), flavor(2, 2048, hw__cpu_policy="dedicated"),
         reason="1024 MiB free, needs 2048 MiB for a pinned guest"),
    Case("floating NUMA guests stay within the CPU allocation ratio",
         host(dict(cell(0, 4, shared_cores=1), shared_vcpus_used=8)),
         flavor(2, 2048, hw__numa_nodes="1"), reason="8 of 8 floating vCPUs used"),
    Case("mixed pins the dedicated mask and floats the rest on shared CPUs",
         host(cell(0, 4)), flavor(4, 2048, hw__cpu_policy="mixed",
                                  hw__cpu_dedicated_mask="2-3"),
         cells=[0], check=lambda p: (sorted(p.cells[0].pins) == [2, 3]
                                     and p.cells[0].floating == (0, 1))
         or pytest.fail("mixed %s" % p.cells[0])),
    Case("a guest without a NUMA topology floats anywhere",
         host(cell(0, 4), cell(1, 4)), flavor(2, 2048), cells=[]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fit(case: Case) -> None:
    h = host_from_dict(case.host)
    request = build_request(case.flavor, case.image or None, case.pci)
    answer = fit(h, request, case.strategy)
    if case.reason is not None:
        assert not answer.fit, "expected no fit, got %s" % answer
        assert case.reason in answer.reason
        return
    assert answer.fit, answer.reason
    assert problems(h, request, answer) == []
    if case.cells is not None:
        assert [c.host_cell for c in answer.cells] == case.cells
    if case.check:
        case.check(answer)
    apply(h, answer)


def test_sixteen_cell_host_takes_an_eight_node_guest() -> None:
    """The case Nova's permutation walk cannot answer in time."""
    h = host_from_dict(host(*[cell(i, 4, mem_gb=64) for i in range(16)]))
    request = build_request(flavor(32, 32768, hw__cpu_policy="dedicated",
                                   hw__numa_nodes="8", hw__emulator_threads_policy="isolate"))
    answer = fit(h, request)
    assert answer.fit
    assert problems(h, request, answer) == []
    assert len({c.host_cell for c in answer.cells}) == 8
