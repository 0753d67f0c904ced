"""The plain host form: round trips and the errors a bad host gets."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tessera.numa.codec import host_from_dict, host_to_dict

ROOT = Path(__file__).resolve().parents[3]
SHARED_NUMA = ROOT.parent / "shared" / "bench" / "numa"
SAMPLE_EVERY = 97


def _cell(cid: int, siblings: list[list[int]], **kw: Any) -> dict[str, Any]:
    cpus = [c for core in siblings for c in core]
    cell = {"id": cid, "siblings": siblings, "dedicated": cpus[2:], "shared": cpus[:2],
            "memory_mb": 8192,
            "pages": [{"size_kb": 4, "total": 1048576, "used": 0, "reserved": 0},
                      {"size_kb": 2048, "total": 1024, "used": 10, "reserved": 2}],
            "pinned": [], "shared_vcpus_used": 0, "memory_used_mb": 0, "pci": []}
    cell.update(kw)
    return cell


def _host(**kw: Any) -> dict[str, Any]:
    host = {"cpu_allocation_ratio": 4.0, "ram_allocation_ratio": 1.5,
            "cells": [_cell(0, [[0, 4], [1, 5], [2, 6], [3, 7]]),
                      _cell(1, [[8, 12], [9, 13], [10, 14], [11, 15]])]}
    host.update(kw)
    return host


def _shared_hosts() -> list[tuple[str, dict[str, Any]]]:
    if not SHARED_NUMA.is_dir():
        return []
    out = []
    for path in sorted(SHARED_NUMA.glob("*.json")):
        cases = json.loads(path.read_text())["cases"]
        out += [(c["id"], c["host"]) for c in cases[::SAMPLE_EVERY]]
    return out


def _same_cells(plain: dict[str, Any], again: dict[str, Any]) -> None:
    for a, b in zip(plain["cells"], again["cells"], strict=True):
        assert b["siblings"] == a["siblings"]
        for key in ("dedicated", "shared", "pinned"):
            assert b[key] == sorted(a.get(key, [])), key
        for key in ("memory_mb", "shared_vcpus_used", "memory_used_mb"):
            assert b[key] == a.get(key, 0), key
        assert b["pages"] == [{"reserved": 0, "used": 0, **p} for p in a.get("pages", [])]
        assert [d["address"] for d in b["pci"]] == [d["address"] for d in a.get("pci", [])]


def test_round_trip_small_host() -> None:
    plain = _host(pci=[{"address": "0000:00:1f.0", "vendor_id": "8086",
                        "product_id": "0001", "dev_type": "type-PCI"}])
    plain["cells"][0]["pci"] = [{"address": "0000:3b:02.0", "vendor_id": "8086",
                                 "product_id": "154c", "physnet": "physnet1"}]
    host = host_from_dict(plain, "h1")
    again = host_to_dict(host)
    assert host_from_dict(again) == host
    _same_cells(plain, again)
    assert [d.numa_node for d in host.pci] == [0, None]
    assert host.cell_by_id[0].pages_by_size[2048].free == 1024 - 10 - 2


@pytest.mark.skipif(not SHARED_NUMA.is_dir(), reason="../shared/bench/numa is absent")
def test_round_trip_shared_workload_hosts() -> None:
    hosts = _shared_hosts()
    assert hosts, "no workload files in %s" % SHARED_NUMA
    for case_id, plain in hosts:
        host = host_from_dict(plain, case_id)
        again = host_to_dict(host)
        assert host_from_dict(again) == host, case_id
        _same_cells(plain, again)
        assert json.loads(json.dumps(again)) == again


def test_etc_hosts_expand_and_round_trip() -> None:
    from tessera.numa.demo import expand_host

    hosts = yaml.safe_load((ROOT / "etc" / "hosts.yaml").read_text())["hosts"]
    assert len(hosts) >= 3
    for data in hosts:
        plain = expand_host(data)
        host = host_from_dict(plain)
        assert host.name == data["name"]
        assert host_from_dict(host_to_dict(host)) == host
        for cell in host.cells:
            first_core = set(cell.siblings[0])
            assert cell.shared == first_core
            assert cell.dedicated == cell.cpus - first_core
            small = cell.pages_by_size[4]
            assert sum(p.size_kb * p.total for p in cell.pages) == cell.memory_mb * 1024
            assert small.used <= small.total


def test_etc_hosts_topologies() -> None:
    from tessera.numa.demo import load_host

    hosts = {h["name"]: load_host(h) for h in
             yaml.safe_load((ROOT / "etc" / "hosts.yaml").read_text())["hosts"]}
    smt, nosmt, busy = hosts["nfv-2s-smt"], hosts["nfv-4n-nosmt"], hosts["edge-2n-busy"]
    assert smt.has_smt and len(smt.cells) == 2
    assert smt.cell_by_id[0].siblings[0] == (0, 40)
    assert {1048576, 2048} <= set(smt.cell_by_id[1].pages_by_size)
    assert smt.pci_cells == {0} and len(smt.pci) == 16
    assert {d.physnet for d in smt.pci} == {"physnet1", "physnet2"}
    assert not nosmt.has_smt and len(nosmt.cells) == 4
    assert [c.socket for c in nosmt.cells] == [0, 0, 1, 1]
    assert busy.cell_by_id[0].pinned and busy.cell_by_id[1].shared_vcpus_used


@pytest.mark.parametrize("text, cpus", [
    ("0-3,8", [0, 1, 2, 3, 8]), ("5", [5]), ("", []), ("1-2, 40-41", [1, 2, 40, 41]),
])
def test_cpu_ranges(text: str, cpus: list[int]) -> None:
    from tessera.numa.demo import format_cpus, parse_cpus

    assert parse_cpus(text) == cpus
    assert parse_cpus(format_cpus(cpus).strip("-")) == cpus


def _bad(mutate: Any) -> dict[str, Any]:
    host = _host()
    mutate(host)
    return host


BAD_HOSTS = [
    ("CPU in two cells", lambda h: h["cells"][1]["siblings"].append([3]), "in two cells"),
    ("pinned not dedicated", lambda h: h["cells"][0].update(pinned=[0]), "not dedicated"),
    ("dedicated and shared", lambda h: h["cells"][0].update(shared=[0, 4, 1]),
     "both dedicated and shared"),
    ("CPU in two cores", lambda h: h["cells"][0]["siblings"].append([0]), "two cores"),
    ("dedicated outside cell", lambda h: h["cells"][0]["dedicated"].append(99),
     "outside the cell"),
    ("duplicate cell ids", lambda h: h["cells"][1].update(id=0), "duplicate cell ids"),
    ("duplicate PCI address", lambda h: h["cells"][0].update(pci=[
        {"address": "0000:01:00.0"}, {"address": "0000:01:00.0"}]), "duplicate PCI"),
]


@pytest.mark.parametrize("name, mutate, message", BAD_HOSTS, ids=[b[0] for b in BAD_HOSTS])
def test_bad_hosts(name: str, mutate: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        host_from_dict(_bad(mutate))


def test_missing_cells_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        host_from_dict({"name": "x"})


def test_input_is_not_mutated() -> None:
    plain = _host()
    before = copy.deepcopy(plain)
    host_to_dict(host_from_dict(plain))
    assert plain == before
