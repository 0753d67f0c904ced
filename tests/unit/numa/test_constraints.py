"""Flavor + image -> GuestRequest: one table of accepted inputs with the request they
give, one of rejected inputs with the error type, key and value, and one for the flavor
API's per-key `validate_extra_specs`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tessera.numa import errors as e
from tessera.numa.constraints import (KNOWN_HW_KEYS, KNOWN_IMAGE_KEYS, build_request,
                                      validate_extra_specs)
from tessera.numa.request import (CpuPolicy as C, EmulatorThreadsPolicy as Em,
                                  PageSize as P, PciNumaPolicy as Pci, PciRequest,
                                  ThreadPolicy as T)

FT, IT = "hw:cpu_thread_policy", "hw_cpu_thread_policy"
FS, IS = "hw:cpu_threads_policy", "hw_cpu_threads_policy"
DED = {"hw:cpu_policy": "dedicated"}
MIX = {"hw:cpu_policy": "mixed"}


@dataclass
class Case:
    id: str
    specs: dict[str, Any] = field(default_factory=dict)
    props: dict[str, Any] = field(default_factory=dict)
    expect: dict[str, Any] = field(default_factory=dict)
    vcpus: Any = 4
    memory_mb: Any = 2048
    pci: tuple = ()


def cells(*layout: tuple[tuple[int, ...], tuple[int, ...], int]) -> tuple:
    """(pinned, floating, memory_mb) per guest cell."""
    return tuple(layout)


ONE_PINNED = cells(((0, 1, 2, 3), (), 2048))
ONE_FLOATING = cells(((), (0, 1, 2, 3), 2048))

OK = [
    # CPU policy, §1.4
    Case("defaults", expect=dict(cpu_policy=C.SHARED, cells=None, thread_policy=None,
                                 thread_policy_key=None, emulator_threads=None,
                                 page_size=None, pci_policy=Pci.LEGACY,
                                 realtime_vcpus=frozenset())),
    Case("flavor shared", {"hw:cpu_policy": "shared"}, expect=dict(cpu_policy=C.SHARED,
                                                                   cells=None)),
    Case("flavor dedicated", DED, expect=dict(cpu_policy=C.DEDICATED, cells=ONE_PINNED)),
    Case("image dedicated, flavor unset", props={"hw_cpu_policy": "dedicated"},
         expect=dict(cpu_policy=C.DEDICATED, cells=ONE_PINNED)),
    Case("image shared, flavor unset", props={"hw_cpu_policy": "shared"},
         expect=dict(cpu_policy=C.SHARED, cells=None)),
    Case("flavor dedicated ignores image shared", DED, {"hw_cpu_policy": "shared"},
         expect=dict(cpu_policy=C.DEDICATED)),
    Case("flavor dedicated ignores image mixed", DED, {"hw_cpu_policy": "mixed"},
         expect=dict(cpu_policy=C.DEDICATED)),
    Case("flavor mixed, image shared", {**MIX, "hw:cpu_dedicated_mask": "0"},
         {"hw_cpu_policy": "shared"}, expect=dict(cpu_policy=C.MIXED)),
    Case("flavor shared, image shared", {"hw:cpu_policy": "shared"},
         {"hw_cpu_policy": "shared"}, expect=dict(cpu_policy=C.SHARED)),
    # Thread policy, both key sets
    *[Case("flavor thread %s" % v, {**DED, FT: v},
           expect=dict(thread_policy=T(v), thread_policy_key=FT))
      for v in ("prefer", "isolate", "require")],
    *[Case("flavor seed threads %s" % v, {**DED, FS: v},
           expect=dict(thread_policy=T(v), thread_policy_key=FS))
      for v in ("avoid", "separate", "isolate", "prefer")],
    Case("image thread, flavor unset", DED, {IT: "require"},
         expect=dict(thread_policy=T.REQUIRE, thread_policy_key=IT)),
    Case("image seed threads, flavor unset", DED, {IS: "avoid"},
         expect=dict(thread_policy=T.AVOID, thread_policy_key=IS)),
    Case("flavor prefer ignores image isolate", {**DED, FT: "prefer"}, {IT: "isolate"},
         expect=dict(thread_policy=T.PREFER, thread_policy_key=FT)),
    Case("flavor isolate, image isolate", {**DED, FT: "isolate"}, {IT: "isolate"},
         expect=dict(thread_policy=T.ISOLATE, thread_policy_key=FT)),
    Case("flavor require, image require", {**DED, FT: "require"}, {IT: "require"},
         expect=dict(thread_policy=T.REQUIRE, thread_policy_key=FT)),
    Case("flavor seed key beats image thread", {**DED, FS: "separate"}, {IT: "require"},
         expect=dict(thread_policy=T.SEPARATE, thread_policy_key=FS)),
    Case("image seed key ignored when flavor sets one", {**DED, FT: "isolate"},
         {IS: "avoid"}, expect=dict(thread_policy=T.ISOLATE, thread_policy_key=FT)),
    Case("thread policy on mixed", {**MIX, "hw:cpu_dedicated_mask": "0", FT: "isolate"},
         expect=dict(thread_policy=T.ISOLATE)),
    # Emulator threads, §1.8
    Case("emulator share on shared guest", {"hw:emulator_threads_policy": "share"},
         expect=dict(emulator_threads=Em.SHARE, cells=None)),
    Case("emulator isolate on dedicated", {**DED, "hw:emulator_threads_policy": "isolate"},
         expect=dict(emulator_threads=Em.ISOLATE)),
    Case("emulator share on dedicated", {**DED, "hw:emulator_threads_policy": "share"},
         expect=dict(emulator_threads=Em.SHARE)),
    # Realtime, §1.5/1.9
    Case("realtime with mask", {**DED, "hw:cpu_realtime": "yes",
                                "hw:cpu_realtime_mask": "^0"},
         expect=dict(realtime_vcpus=frozenset({1, 2, 3}))),
    Case("realtime explicit mask", {**DED, "hw:cpu_realtime": "True",
                                    "hw:cpu_realtime_mask": "2-3"},
         expect=dict(realtime_vcpus=frozenset({2, 3}))),
    Case("image realtime mask wins", {**DED, "hw:cpu_realtime": "1",
                                      "hw:cpu_realtime_mask": "^0"},
         {"hw_cpu_realtime_mask": "^0-1"}, expect=dict(realtime_vcpus=frozenset({2, 3}))),
    Case("realtime all vCPUs with emulator policy",
         {**DED, "hw:cpu_realtime": "on", "hw:emulator_threads_policy": "isolate"},
         expect=dict(realtime_vcpus=frozenset({0, 1, 2, 3}))),
    *[Case("realtime off %s" % v, {**DED, "hw:cpu_realtime": v,
                                   "hw:cpu_realtime_mask": "^0"},
           expect=dict(realtime_vcpus=frozenset())) for v in ("no", "false", "0", "off")],
    Case("realtime mask without realtime ignored", {"hw:cpu_realtime_mask": "^0"},
         expect=dict(realtime_vcpus=frozenset(), cells=None)),
    # Mixed, §1.2
    Case("mixed dedicated mask", {**MIX, "hw:cpu_dedicated_mask": "2-3"},
         expect=dict(cpu_policy=C.MIXED, cells=cells(((2, 3), (0, 1), 2048)))),
    Case("mixed caret mask", {**MIX, "hw:cpu_dedicated_mask": "^0"},
         expect=dict(cells=cells(((1, 2, 3), (0,), 2048)))),
    Case("mixed by realtime mask", {**MIX, "hw:cpu_realtime": "yes",
                                    "hw:cpu_realtime_mask": "^0-1"},
         expect=dict(cells=cells(((2, 3), (0, 1), 2048)),
                     realtime_vcpus=frozenset({2, 3}))),
    Case("mixed over two nodes", {**MIX, "hw:cpu_dedicated_mask": "1,2",
                                  "hw:numa_nodes": "2"},
         expect=dict(cells=cells(((1,), (0,), 1024), ((2,), (3,), 1024)))),
    Case("image mixed, flavor unset", {"hw:cpu_dedicated_mask": "0"},
         {"hw_cpu_policy": "mixed"}, expect=dict(cells=cells(((0,), (1, 2, 3), 2048)))),
    # NUMA topology, §2.2
    Case("two nodes auto", {"hw:numa_nodes": "2"},
         expect=dict(cells=cells(((), (0, 1), 1024), ((), (2, 3), 1024)))),
    Case("image two nodes", props={"hw_numa_nodes": 2},
         expect=dict(cells=cells(((), (0, 1), 1024), ((), (2, 3), 1024)))),
    Case("four nodes dedicated", {**DED, "hw:numa_nodes": "4"},
         expect=dict(cells=tuple(((i,), (), 512) for i in range(4)))),
    Case("one node", {"hw:numa_nodes": "1"}, expect=dict(cells=ONE_FLOATING)),
    Case("manual flavor", {"hw:numa_nodes": "2", "hw:numa_cpus.0": "0",
                           "hw:numa_cpus.1": "1-3", "hw:numa_mem.0": "512",
                           "hw:numa_mem.1": "1536"},
         expect=dict(cells=cells(((), (0,), 512), ((), (1, 2, 3), 1536)))),
    Case("manual image", props={"hw_numa_nodes": "2", "hw_numa_cpus.0": "0,2",
                                "hw_numa_cpus.1": "1,3", "hw_numa_mem.0": 1024,
                                "hw_numa_mem.1": 1024},
         expect=dict(cells=cells(((), (0, 2), 1024), ((), (1, 3), 1024)))),
    Case("manual dedicated without nodes", {**DED, "hw:numa_cpus.0": "0-3",
                                            "hw:numa_mem.0": "2048"},
         expect=dict(cells=ONE_PINNED)),
    Case("manual lists alone give no topology", {"hw:numa_cpus.0": "0-3",
                                                 "hw:numa_mem.0": "2048"},
         expect=dict(cells=None)),
    Case("flavor nodes, image lists", {"hw:numa_nodes": "2"},
         {"hw_numa_cpus.0": "0-1", "hw_numa_cpus.1": "2-3", "hw_numa_mem.0": "1000",
          "hw_numa_mem.1": "1048"},
         expect=dict(cells=cells(((), (0, 1), 1000), ((), (2, 3), 1048)))),
    Case("max nodes", {"hw:numa_nodes": "128"}, vcpus=128, memory_mb=128 * 256,
         expect=dict(cells=tuple(((), (i,), 256) for i in range(128)))),
    # Page sizes, §3.1/3.2
    *[Case("page size %s" % v, {"hw:mem_page_size": v},
           expect=dict(page_size=want, cells=ONE_FLOATING))
      for v, want in [("small", P.SMALL), ("large", P.LARGE), ("any", P.ANY),
                      ("2048", 2048), ("1048576", 1048576), ("2MB", 2048),
                      ("2MiB", 2048), ("1GB", 1048576), ("1GiB", 1048576),
                      ("2048KB", 2048), ("2048KiB", 2048), ("2Mb", 256),
                      ("2Mbit", 256), ("16Mibit", 2048), ("4096B", 4), ("1TB", 1 << 30),
                      ("0.5MB", 512), (2048, 2048)]],
    Case("flavor large, image small", {"hw:mem_page_size": "large"},
         {"hw_mem_page_size": "small"}, expect=dict(page_size=P.SMALL)),
    Case("flavor any, image 1GB", {"hw:mem_page_size": "any"},
         {"hw_mem_page_size": "1GB"}, expect=dict(page_size=1048576)),
    Case("flavor any, image large", {"hw:mem_page_size": "any"},
         {"hw_mem_page_size": "large"}, expect=dict(page_size=P.LARGE)),
    Case("page size with two nodes", {"hw:mem_page_size": "large", "hw:numa_nodes": "2"},
         expect=dict(cells=cells(((), (0, 1), 1024), ((), (2, 3), 1024)))),
    # PCI, §4.2
    *[Case("flavor pci %s" % v, {"hw:pci_numa_affinity_policy": v},
           expect=dict(pci_policy=Pci(v))) for v in ("legacy", "required", "preferred",
                                                     "socket")],
    Case("image pci", props={"hw_pci_numa_affinity_policy": "socket"},
         expect=dict(pci_policy=Pci.SOCKET)),
    Case("pci same in both", {"hw:pci_numa_affinity_policy": "required"},
         {"hw_pci_numa_affinity_policy": "required"}, expect=dict(pci_policy=Pci.REQUIRED)),
    Case("pci requests", pci=({"count": 2, "vendor_id": "8086", "product_id": "154d",
                               "physnet": "phys0", "dev_type": "type-VF"},
                              PciRequest(product_id="1572")),
         expect=dict(pci_requests=(PciRequest(2, "8086", "154d", "phys0", "type-VF"),
                                   PciRequest(product_id="1572")))),
    # Unknown keys are left to the API
    Case("unknown keys ignored", {"hw:frobnicate": "x", "quota:cpu_shares": "5"},
         {"hw_frobnicate": "y"}, expect=dict(cells=None)),
]


def _flavor(case: Case) -> dict[str, Any]:
    return {"vcpus": case.vcpus, "memory_mb": case.memory_mb, "extra_specs": case.specs}


def _observed(req: Any, name: str) -> Any:
    if name == "cells" and req.cells is not None:
        return tuple((c.pinned, c.floating, c.memory_mb) for c in req.cells)
    return getattr(req, name)


@pytest.mark.parametrize("case", OK, ids=[c.id for c in OK])
def test_build_request_accepts(case: Case) -> None:
    req = build_request(_flavor(case), {"properties": case.props}, case.pci)
    assert req.vcpus == case.vcpus and req.memory_mb == case.memory_mb
    for name, want in case.expect.items():
        assert _observed(req, name) == want, name
    if req.cells is not None:
        assert sorted(v for c in req.cells for v in c.vcpus) == list(range(req.vcpus))
        assert sum(c.memory_mb for c in req.cells) == req.memory_mb
        assert [c.id for c in req.cells] == list(range(len(req.cells)))


@dataclass
class Bad:
    id: str
    specs: dict[str, Any]
    props: dict[str, Any]
    error: type[e.InvalidRequest]
    key: str
    value: Any
    vcpus: Any = 4
    memory_mb: Any = 2048
    pci: tuple = ()


BAD = [
    Bad("zero vcpus", {}, {}, e.InvalidRequest, "vcpus", 0, vcpus=0),
    Bad("text vcpus", {}, {}, e.InvalidRequest, "vcpus", "four", vcpus="four"),
    Bad("bool vcpus", {}, {}, e.InvalidRequest, "vcpus", True, vcpus=True),
    Bad("zero memory", {}, {}, e.InvalidRequest, "memory_mb", 0, memory_mb=0),
    Bad("missing memory", {}, {}, e.InvalidRequest, "memory_mb", None, memory_mb=None),
    # CPU policy
    Bad("bad flavor cpu policy", {"hw:cpu_policy": "pinned"}, {},
        e.InvalidCPUAllocationPolicy, "hw:cpu_policy", "pinned"),
    Bad("bad image cpu policy", {}, {"hw_cpu_policy": "Dedicated"},
        e.InvalidCPUAllocationPolicy, "hw_cpu_policy", "Dedicated"),
    Bad("flavor shared, image dedicated", {"hw:cpu_policy": "shared"},
        {"hw_cpu_policy": "dedicated"}, e.ImageCPUPinningForbidden, "hw_cpu_policy",
        "dedicated"),
    Bad("flavor shared, image mixed", {"hw:cpu_policy": "shared"},
        {"hw_cpu_policy": "mixed"}, e.ImageCPUPinningForbidden, "hw_cpu_policy", "mixed"),
    Bad("flavor mixed, image dedicated", {**MIX, "hw:cpu_dedicated_mask": "0"},
        {"hw_cpu_policy": "dedicated"}, e.ImageCPUPinningForbidden, "hw_cpu_policy",
        "dedicated"),
    # Thread policy
    Bad("bad thread policy", {**DED, FT: "sometimes"}, {},
        e.InvalidCPUThreadAllocationPolicy, FT, "sometimes"),
    Bad("seed value under new key", {**DED, FT: "avoid"}, {},
        e.InvalidCPUThreadAllocationPolicy, FT, "avoid"),
    Bad("new value under seed key", {**DED, FS: "require"}, {},
        e.InvalidCPUThreadAllocationPolicy, FS, "require"),
    Bad("bad image thread policy", DED, {IT: "maybe"},
        e.InvalidCPUThreadAllocationPolicy, IT, "maybe"),
    Bad("thread policy, cpu policy unset", {FT: "isolate"}, {},
        e.CPUThreadPolicyConfigurationInvalid, FT, "isolate"),
    Bad("thread policy, cpu policy shared", {"hw:cpu_policy": "shared", FT: "prefer"}, {},
        e.CPUThreadPolicyConfigurationInvalid, FT, "prefer"),
    Bad("seed thread policy, shared", {FS: "avoid"}, {},
        e.CPUThreadPolicyConfigurationInvalid, FS, "avoid"),
    Bad("image thread policy, shared", {}, {IT: "require"},
        e.CPUThreadPolicyConfigurationInvalid, IT, "require"),
    Bad("flavor isolate, image require", {**DED, FT: "isolate"}, {IT: "require"},
        e.ImageCPUThreadPolicyForbidden, IT, "require"),
    Bad("flavor require, image prefer", {**DED, FT: "require"}, {IT: "prefer"},
        e.ImageCPUThreadPolicyForbidden, IT, "prefer"),
    Bad("both flavor thread keys", {**DED, FT: "isolate", FS: "isolate"}, {},
        e.ConflictingThreadPolicies, FS, "isolate"),
    Bad("both image thread keys", DED, {IT: "prefer", IS: "avoid"},
        e.ConflictingThreadPolicies, IS, "avoid"),
    # Emulator threads
    Bad("bad emulator policy", {**DED, "hw:emulator_threads_policy": "shared"}, {},
        e.InvalidEmulatorThreadsPolicy, "hw:emulator_threads_policy", "shared"),
    Bad("emulator isolate unpinned", {"hw:emulator_threads_policy": "isolate"}, {},
        e.BadRequirementEmulatorThreadsPolicy, "hw:emulator_threads_policy", "isolate"),
    # Realtime
    Bad("bad realtime bool", {**DED, "hw:cpu_realtime": "sure"}, {},
        e.RealtimeConfigurationInvalid, "hw:cpu_realtime", "sure"),
    Bad("realtime unpinned", {"hw:cpu_realtime": "yes", "hw:cpu_realtime_mask": "^0"},
        {}, e.RealtimeConfigurationInvalid, "hw:cpu_realtime", "yes"),
    Bad("realtime all vCPUs, no mask", {**DED, "hw:cpu_realtime": "yes"}, {},
        e.RealtimeMaskNotFoundOrInvalid, "hw:cpu_realtime", "yes"),
    Bad("realtime mask covers all", {**DED, "hw:cpu_realtime": "yes",
                                     "hw:cpu_realtime_mask": "0-3"}, {},
        e.RealtimeMaskNotFoundOrInvalid, "hw:cpu_realtime_mask", "0-3"),
    Bad("realtime mask out of range", {**DED, "hw:cpu_realtime": "yes",
                                       "hw:cpu_realtime_mask": "3-4"}, {},
        e.RealtimeMaskNotFoundOrInvalid, "hw:cpu_realtime_mask", "3-4"),
    Bad("realtime mask empty", {**DED, "hw:cpu_realtime": "yes",
                                "hw:cpu_realtime_mask": "^0-3"}, {},
        e.RealtimeMaskNotFoundOrInvalid, "hw:cpu_realtime_mask", "^0-3"),
    Bad("image realtime mask out of range", {**DED, "hw:cpu_realtime": "yes"},
        {"hw_cpu_realtime_mask": "7"}, e.RealtimeMaskNotFoundOrInvalid,
        "hw_cpu_realtime_mask", "7"),
    Bad("realtime mask junk", {**DED, "hw:cpu_realtime": "yes",
                               "hw:cpu_realtime_mask": "0-x"}, {},
        e.InvalidCPUSpec, "hw:cpu_realtime_mask", "0-x"),
    Bad("image realtime mask junk", {}, {"hw_cpu_realtime_mask": "3-1"},
        e.InvalidCPUSpec, "hw_cpu_realtime_mask", "3-1"),
    # Mixed
    Bad("dedicated mask on dedicated", {**DED, "hw:cpu_dedicated_mask": "0"}, {},
        e.RequiredMixedInstancePolicy, "hw:cpu_dedicated_mask", "0"),
    Bad("dedicated mask, policy unset", {"hw:cpu_dedicated_mask": "^0"}, {},
        e.RequiredMixedInstancePolicy, "hw:cpu_dedicated_mask", "^0"),
    Bad("mixed without a mask", MIX, {}, e.RequiredMixedOrRealtimeCPUMask,
        "hw:cpu_dedicated_mask", None),
    Bad("mixed with both masks", {**MIX, "hw:cpu_dedicated_mask": "0",
                                  "hw:cpu_realtime": "yes",
                                  "hw:cpu_realtime_mask": "^0"}, {},
        e.RequiredMixedOrRealtimeCPUMask, "hw:cpu_dedicated_mask", "0"),
    Bad("mixed pins every vCPU", {**MIX, "hw:cpu_dedicated_mask": "0-3"}, {},
        e.InvalidMixedInstanceDedicatedMask, "hw:cpu_dedicated_mask", "0-3"),
    Bad("mixed mask out of range", {**MIX, "hw:cpu_dedicated_mask": "4"}, {},
        e.InvalidMixedInstanceDedicatedMask, "hw:cpu_dedicated_mask", "4"),
    Bad("mixed mask pins nothing", {**MIX, "hw:cpu_dedicated_mask": "^0-3"}, {},
        e.InvalidMixedInstanceDedicatedMask, "hw:cpu_dedicated_mask", "^0-3"),
    Bad("mixed realtime covers all", {**MIX, "hw:cpu_realtime": "yes",
                                      "hw:emulator_threads_policy": "share"}, {},
        e.InvalidMixedInstanceDedicatedMask, "hw:cpu_realtime", "yes"),
    Bad("mixed mask junk", {**MIX, "hw:cpu_dedicated_mask": "one"}, {},
        e.InvalidCPUSpec, "hw:cpu_dedicated_mask", "one"),
    Bad("mixed mask blank", {**MIX, "hw:cpu_dedicated_mask": " "}, {},
        e.InvalidCPUSpec, "hw:cpu_dedicated_mask", " "),
    # NUMA nodes
    *[Bad("bad numa nodes %r" % v, {"hw:numa_nodes": v}, {}, e.InvalidNUMANodesNumber,
          "hw:numa_nodes", v) for v in ("0", "-1", "x", "1.5", "", 5, True)],
    Bad("more than 128 nodes", {"hw:numa_nodes": "129"}, {}, e.InvalidNUMANodesNumber,
        "hw:numa_nodes", "129", vcpus=256, memory_mb=256 * 128),
    Bad("bad image numa nodes", {}, {"hw_numa_nodes": "two"}, e.InvalidNUMANodesNumber,
        "hw_numa_nodes", "two"),
    Bad("nodes in flavor and image, equal", {"hw:numa_nodes": "2"},
        {"hw_numa_nodes": "2"}, e.ImageNUMATopologyForbidden, "hw_numa_nodes", "2"),
    Bad("cpus in flavor and image", {"hw:numa_nodes": "1", "hw:numa_cpus.0": "0-3",
                                     "hw:numa_mem.0": "2048"},
        {"hw_numa_cpus.0": "0-3"}, e.ImageNUMATopologyForbidden, "hw_numa_cpus.0", "0-3"),
    Bad("mem in flavor and image", {"hw:numa_mem.0": "2048"},
        {"hw_numa_mem.0": "2048"}, e.ImageNUMATopologyForbidden, "hw_numa_mem.0", "2048"),
    Bad("asymmetric cpus", {"hw:numa_nodes": "2"}, {}, e.ImageNUMATopologyAsymmetric,
        "hw:numa_nodes", 2, vcpus=3),
    Bad("asymmetric memory", {}, {"hw_numa_nodes": "2"}, e.ImageNUMATopologyAsymmetric,
        "hw_numa_nodes", 2, memory_mb=2047),
    Bad("cpus without mem", {"hw:numa_nodes": "1", "hw:numa_cpus.0": "0-3"}, {},
        e.ImageNUMATopologyIncomplete, "hw:numa_mem.N", []),
    Bad("mem without cpus", {"hw:numa_nodes": "1"}, {"hw_numa_mem.0": "2048"},
        e.ImageNUMATopologyIncomplete, "hw_numa_cpus.N", []),
    Bad("image mem, too few for flavor cpus", {"hw:numa_nodes": "2",
                                              "hw:numa_cpus.0": "0-1",
                                              "hw:numa_cpus.1": "2-3"},
        {"hw_numa_mem.0": "2048"}, e.ImageNUMATopologyIncomplete, "hw_numa_mem.N",
        "hw_numa_mem.0"),
    Bad("too few entries", {"hw:numa_nodes": "2", "hw:numa_cpus.0": "0-3",
                            "hw:numa_mem.0": "2048"}, {},
        e.ImageNUMATopologyIncomplete, "hw:numa_cpus.N", "hw:numa_cpus.0"),
    Bad("gap in entries", {"hw:numa_nodes": "2", "hw:numa_cpus.0": "0-1",
                           "hw:numa_cpus.2": "2-3", "hw:numa_mem.0": "1024",
                           "hw:numa_mem.1": "1024"}, {},
        e.ImageNUMATopologyIncomplete, "hw:numa_cpus.N", "hw:numa_cpus.2"),
    Bad("entries beyond nodes", {"hw:numa_nodes": "1", "hw:numa_cpus.0": "0-1",
                                 "hw:numa_cpus.1": "2-3", "hw:numa_mem.0": "2048"}, {},
        e.ImageNUMATopologyIncomplete, "hw:numa_cpus.N", "hw:numa_cpus.1"),
    Bad("node cpu out of range", {"hw:numa_nodes": "2", "hw:numa_cpus.0": "0-1",
                                  "hw:numa_cpus.1": "2-4", "hw:numa_mem.0": "1024",
                                  "hw:numa_mem.1": "1024"}, {},
        e.ImageNUMATopologyCPUOutOfRange, "hw:numa_cpus.1", "2-4"),
    Bad("node cpu duplicate", {"hw:numa_nodes": "2", "hw:numa_cpus.0": "0-2",
                               "hw:numa_cpus.1": "2-3", "hw:numa_mem.0": "1024",
                               "hw:numa_mem.1": "1024"}, {},
        e.ImageNUMATopologyCPUDuplicates, "hw:numa_cpus.1", "2-3"),
    Bad("node cpu unassigned", {}, {"hw_numa_nodes": "2", "hw_numa_cpus.0": "0",
                                    "hw_numa_cpus.1": "1,3", "hw_numa_mem.0": "1024",
                                    "hw_numa_mem.1": "1024"},
        e.ImageNUMATopologyCPUsUnassigned, "hw_numa_cpus.N", "2"),
    Bad("node cpus junk", {"hw:numa_nodes": "1", "hw:numa_cpus.0": "0-3,a",
                           "hw:numa_mem.0": "2048"}, {},
        e.InvalidCPUSpec, "hw:numa_cpus.0", "0-3,a"),
    Bad("node memory sum", {"hw:numa_nodes": "2", "hw:numa_cpus.0": "0-1",
                            "hw:numa_cpus.1": "2-3", "hw:numa_mem.0": "1024",
                            "hw:numa_mem.1": "1000"}, {},
        e.ImageNUMATopologyMemoryOutOfRange, "hw:numa_mem.N", 2024),
    Bad("node memory zero", {"hw:numa_nodes": "2", "hw:numa_cpus.0": "0-1",
                             "hw:numa_cpus.1": "2-3", "hw:numa_mem.0": "2048",
                             "hw:numa_mem.1": "0"}, {},
        e.ImageNUMATopologyMemoryOutOfRange, "hw:numa_mem.1", "0"),
    Bad("node memory junk", {"hw:numa_nodes": "1", "hw:numa_cpus.0": "0-3",
                             "hw:numa_mem.0": "2G"}, {},
        e.ImageNUMATopologyMemoryOutOfRange, "hw:numa_mem.0", "2G"),
    # Page sizes
    *[Bad("bad page size %r" % v, {"hw:mem_page_size": v}, {}, e.MemoryPageSizeInvalid,
          "hw:mem_page_size", v)
      for v in ("2M", "1G", "2kB", "huge", "0", "-1", "0MB", "1000B", "1b", "1.3KB",
                "2 MB", "Large", "", 0, -4096, 2.5)],
    Bad("image page size, flavor unset", {}, {"hw_mem_page_size": "small"},
        e.MemoryPageSizeForbidden, "hw_mem_page_size", "small"),
    Bad("image page size, flavor small", {"hw:mem_page_size": "small"},
        {"hw_mem_page_size": "small"}, e.MemoryPageSizeForbidden, "hw_mem_page_size",
        "small"),
    Bad("image page size, flavor explicit", {"hw:mem_page_size": "2048"},
        {"hw_mem_page_size": "2048"}, e.MemoryPageSizeForbidden, "hw_mem_page_size",
        "2048"),
    Bad("bad image page size, flavor any", {"hw:mem_page_size": "any"},
        {"hw_mem_page_size": "2M"}, e.MemoryPageSizeInvalid, "hw_mem_page_size", "2M"),
    # PCI
    Bad("bad flavor pci policy", {"hw:pci_numa_affinity_policy": "strict"}, {},
        e.InvalidPCINUMAAffinity, "hw:pci_numa_affinity_policy", "strict"),
    Bad("bad image pci policy", {}, {"hw_pci_numa_affinity_policy": "any"},
        e.InvalidPCINUMAAffinity, "hw_pci_numa_affinity_policy", "any"),
    Bad("pci policies differ", {"hw:pci_numa_affinity_policy": "required"},
        {"hw_pci_numa_affinity_policy": "preferred"}, e.ImagePCINUMAPolicyForbidden,
        "hw_pci_numa_affinity_policy", "preferred"),
    Bad("pci request count 0", {}, {}, e.InvalidRequest, "count", 0,
        pci=({"count": 0},)),
    Bad("pci request unknown field", {}, {}, e.InvalidRequest, "vendor", "8086",
        pci=({"vendor": "8086"},)),
]


@pytest.mark.parametrize("case", BAD, ids=[c.id for c in BAD])
def test_build_request_rejects(case: Bad) -> None:
    flavor = {"vcpus": case.vcpus, "memory_mb": case.memory_mb,
              "extra_specs": case.specs}
    with pytest.raises(case.error) as info:
        build_request(flavor, {"properties": case.props}, case.pci)
    exc = info.value
    assert type(exc) is case.error
    assert isinstance(exc, ValueError)
    assert exc.key == case.key
    assert exc.allowed and exc.allowed in str(exc)
    assert case.key in str(exc)
    assert ("(unset)" if case.value is None else str(case.value)) in str(exc)


def test_messages_name_flavor_and_image() -> None:
    flavor = {"name": "m1.pin", "vcpus": 2, "memory_mb": 512,
              "extra_specs": {"hw:cpu_policy": "shared", FT: "sometimes"}}
    with pytest.raises(e.InvalidCPUThreadAllocationPolicy) as info:
        build_request(flavor)
    assert str(info.value) == ("flavor 'm1.pin': Invalid hw:cpu_thread_policy "
                               "'sometimes': must be one of prefer, isolate, require")
    image = {"name": "cirros", "properties": {"hw_cpu_policy": "dedicated"}}
    with pytest.raises(e.ImageCPUPinningForbidden, match="^image 'cirros': "):
        build_request({**flavor, "extra_specs": {"hw:cpu_policy": "shared"}}, image)


def test_image_may_be_absent_and_request_is_fresh() -> None:
    flavor = {"vcpus": 2, "memory_mb": 512, "extra_specs": DED}
    assert build_request(flavor) == build_request(flavor, None) == \
        build_request(flavor, {"properties": {}})
    assert flavor["extra_specs"] == DED


VALID_SPECS: list[tuple[str, str, Any]] = [
    ("all known keys", "", {
        "hw:cpu_policy": "mixed", "hw:cpu_thread_policy": "require",
        "hw:emulator_threads_policy": "isolate", "hw:cpu_realtime": "yes",
        "hw:cpu_realtime_mask": "^0", "hw:cpu_dedicated_mask": "0-1",
        "hw:numa_nodes": "2", "hw:numa_cpus.0": "0-1", "hw:numa_mem.0": "1024",
        "hw:numa_cpus.127": "2", "hw:numa_mem.127": "1",
        "hw:mem_page_size": "1GiB", "hw:pci_numa_affinity_policy": "socket"}),
    ("seed key accepted", "", {"hw:cpu_threads_policy": "separate"}),
    ("other namespaces ignored", "", {"quota:cpu_shares": "x", "aggregate_instance_"
                                      "extra_specs:pinned": "true", "hw_cpu": "x"}),
    ("also_known accepted", "hw:cpu_sockets", {"hw:cpu_sockets": "2"}),
]


@pytest.mark.parametrize("also, specs", [(a, s) for _, a, s in VALID_SPECS],
                         ids=[i for i, _, _ in VALID_SPECS])
def test_validate_extra_specs_accepts(also: str, specs: dict[str, Any]) -> None:
    validate_extra_specs(specs, also_known={also} if also else ())


INVALID_SPECS: list[tuple[str, Any, type[e.InvalidRequest]]] = [
    ("hw:frobnicate", "1", e.InvalidRequest),
    ("hw:cpu_sockets", "2", e.InvalidRequest),
    ("hw:numa_cpus.128", "0", e.InvalidRequest),
    ("hw:numa_cpus.x", "0", e.InvalidRequest),
    ("hw:numa_cpus.01", "0", e.InvalidRequest),
    ("hw:cpu_policy", "pinned", e.InvalidCPUAllocationPolicy),
    ("hw:cpu_thread_policy", "avoid", e.InvalidCPUThreadAllocationPolicy),
    ("hw:cpu_threads_policy", "require", e.InvalidCPUThreadAllocationPolicy),
    ("hw:emulator_threads_policy", "dedicated", e.InvalidEmulatorThreadsPolicy),
    ("hw:cpu_realtime", "maybe", e.RealtimeConfigurationInvalid),
    ("hw:cpu_realtime_mask", "0-", e.InvalidCPUSpec),
    ("hw:cpu_dedicated_mask", "", e.InvalidCPUSpec),
    ("hw:numa_nodes", "0", e.InvalidNUMANodesNumber),
    ("hw:numa_nodes", "129", e.InvalidNUMANodesNumber),
    ("hw:numa_cpus.0", "1-0", e.InvalidCPUSpec),
    ("hw:numa_mem.3", "-5", e.ImageNUMATopologyMemoryOutOfRange),
    ("hw:mem_page_size", "2M", e.MemoryPageSizeInvalid),
    ("hw:pci_numa_affinity_policy", "strict", e.InvalidPCINUMAAffinity),
]


@pytest.mark.parametrize("key, value, error", INVALID_SPECS,
                         ids=["%s=%s" % (k, v) for k, v, _ in INVALID_SPECS])
def test_validate_extra_specs_rejects(key: str, value: Any,
                                      error: type[e.InvalidRequest]) -> None:
    with pytest.raises(error) as info:
        validate_extra_specs({"hw:cpu_policy": "dedicated", key: value})
    assert type(info.value) is error
    assert info.value.key == key
    assert key in str(info.value) and repr(value) in str(info.value)


def test_known_key_sets() -> None:
    assert {"hw:cpu_policy", "hw:cpu_threads_policy", "hw:numa_cpus.0",
            "hw:numa_mem.127"} <= KNOWN_HW_KEYS
    assert "hw:numa_cpus.128" not in KNOWN_HW_KEYS
    assert {"hw_cpu_policy", "hw_cpu_threads_policy", "hw_numa_mem.0",
            "hw_mem_page_size", "hw_pci_numa_affinity_policy"} <= KNOWN_IMAGE_KEYS
    assert all(k.startswith("hw:") for k in KNOWN_HW_KEYS)
    assert all(k.startswith("hw_") for k in KNOWN_IMAGE_KEYS)
    assert "hw_emulator_threads_policy" not in KNOWN_IMAGE_KEYS
    validate_extra_specs({k: v for k, v in VALID_SPECS[0][2].items()})
    for key in KNOWN_HW_KEYS:
        with pytest.raises(e.InvalidRequest) as info:
            validate_extra_specs({key: "\x00bad"})
        assert info.value.key == key
