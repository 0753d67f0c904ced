"""`tessera numa fit|demo` and `bench/numa.py`, run as real processes on small files."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
SHARED_NUMA = ROOT.parent / "shared" / "bench" / "numa"


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def _numa(*args: str) -> subprocess.CompletedProcess[str]:
    return _run("-m", "tessera.cmd.main", "numa", *args)


def _cell(cid: int, first: int, cores: int = 4, pinned: tuple[int, ...] = ()) -> dict:
    """`cores` 2-thread cores, the first one shared."""
    siblings = [[first + i, first + i + 100] for i in range(cores)]
    cpus = [c for core in siblings for c in core]
    return {"id": cid, "siblings": siblings, "dedicated": cpus[2:], "shared": cpus[:2],
            "memory_mb": 16384,
            "pages": [{"size_kb": 4, "total": 3145728, "used": 0, "reserved": 0},
                      {"size_kb": 2048, "total": 2048, "used": 0, "reserved": 0}],
            "pinned": list(pinned), "shared_vcpus_used": 0, "memory_used_mb": 0,
            "pci": []}


HOST = {"name": "tiny", "cpu_allocation_ratio": 4.0, "ram_allocation_ratio": 1.0,
        "cells": [_cell(0, 0), _cell(1, 4, pinned=(5, 105))]}
DEDICATED = {c for cell in HOST["cells"] for c in cell["dedicated"]}
FITS = {"vcpus": 4, "memory_mb": 2048,
        "extra_specs": {"hw:cpu_policy": "dedicated", "hw:mem_page_size": "2MB"}}
TOO_BIG = {"vcpus": 8, "memory_mb": 2048, "extra_specs": {"hw:cpu_policy": "dedicated"}}
INVALID = {"vcpus": 2, "memory_mb": 2048, "extra_specs": {"hw:cpu_policy": "exclusive"}}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, data in (("host", HOST), ("fits", FITS), ("too_big", TOO_BIG),
                       ("invalid", INVALID)):
        out[name] = tmp_path / ("%s.json" % name)
        out[name].write_text(json.dumps(data))
    return out


def _fit(files: dict[str, Path], flavor: str, *extra: str) -> subprocess.CompletedProcess:
    return _numa("fit", "--host", str(files["host"]), "--flavor", str(files[flavor]), *extra)


def test_fit_prints_pins_in_the_dedicated_set(files: dict[str, Path]) -> None:
    r = _fit(files, "fits")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("fits on tiny")
    pins = dict(re.findall(r"(\d+):(\d+)", " ".join(
        line.split("pins:", 1)[1] for line in r.stdout.splitlines() if "pins:" in line)))
    assert sorted(int(v) for v in pins) == [0, 1, 2, 3]
    assert {int(p) for p in pins.values()} <= DEDICATED - {5, 105}
    assert "2M pages" in r.stdout


def test_no_fit_exits_1_and_names_a_cell(files: dict[str, Path]) -> None:
    r = _fit(files, "too_big")
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout.startswith("does not fit on tiny")
    assert re.search(r"cell [01]:", r.stdout)


def test_invalid_flavor_exits_2_and_names_the_key(files: dict[str, Path]) -> None:
    r = _fit(files, "invalid")
    assert r.returncode == 2
    assert "hw:cpu_policy" in r.stderr and "exclusive" in r.stderr
    assert r.stdout == ""


@pytest.mark.parametrize("flavor, code, fit", [("fits", 0, True), ("too_big", 1, False),
                                               ("invalid", 2, False)])
def test_json_format(files: dict[str, Path], flavor: str, code: int, fit: bool) -> None:
    r = _fit(files, flavor, "--format", "json", "--strategy", "pack")
    assert r.returncode == code, r.stderr
    out = json.loads(r.stdout)
    assert out["fit"] is fit
    if flavor == "fits":
        assert {p for c in out["cells"] for p in c["pins"].values()} <= DEDICATED
    elif flavor == "too_big":
        assert out["reason"]
    else:
        assert "hw:cpu_policy" in out["error"]


def test_bad_host_file_exits_2(files: dict[str, Path], tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    r = _numa("fit", "--host", str(broken), "--flavor", str(files["fits"]))
    assert r.returncode == 2 and "broken.json" in r.stderr
    r = _numa("fit", "--host", str(tmp_path / "absent.json"), "--flavor", str(files["fits"]))
    assert r.returncode == 2 and "absent.json" in r.stderr
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"cells": [dict(_cell(0, 0), pinned=[0])]}))
    r = _numa("fit", "--host", str(bad), "--flavor", str(files["fits"]))
    assert r.returncode == 2 and "not dedicated" in r.stderr


def test_a_workload_case_is_a_host(tmp_path: Path) -> None:
    case = tmp_path / "case.json"
    case.write_text(json.dumps({"id": "c1", "host": HOST, "flavor": FITS,
                                "image": {"properties": {}}, "pci_requests": []}))
    r = _numa("fit", "--host", str(case), "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["fit"] is True


def test_image_properties_are_read(files: dict[str, Path], tmp_path: Path) -> None:
    image = tmp_path / "image.json"
    image.write_text(json.dumps({"properties": {"hw_mem_page_size": "2MB"}}))
    r = _numa("fit", "--host", str(files["host"]), "--flavor", str(files["too_big"]),
              "--image", str(image))
    assert r.returncode == 2
    assert "hw_mem_page_size" in r.stderr


def test_demo_runs_on_etc() -> None:
    r = _numa("demo", "--hosts", "etc/hosts.yaml", "--flavors", "etc/flavors.yaml")
    assert r.returncode == 0, r.stderr
    for name in ("nfv-2s-smt", "m1.small", "sriov.dual.physnet1", "Summary"):
        assert name in r.stdout
    assert "invalid request" in r.stdout
    assert "FITS" in r.stdout and "no " in r.stdout


def _workload() -> dict[str, Any]:
    def case(cid: str, flavor: dict, image: dict | None = None, pci: list | None = None,
             host: dict = HOST) -> dict:
        return {"id": cid, "host": host, "flavor": flavor,
                "image": {"properties": image or {}}, "pci_requests": pci or []}

    pci_host = json.loads(json.dumps(HOST))
    pci_host["cells"][1]["pci"] = [
        {"address": "0000:81:00.%d" % i, "vendor_id": "8086", "product_id": "154c",
         "dev_type": "type-VF", "physnet": "physnet1", "claimed": False} for i in range(2)]
    vf = {"count": 2, "vendor_id": "8086", "product_id": "154c", "physnet": "physnet1"}
    required = dict(FITS, extra_specs=dict(FITS["extra_specs"], **{
        "hw:pci_numa_affinity_policy": "required"}))
    return {"name": "tiny", "seed": 0, "cases": [
        case("tiny-0", FITS),
        case("tiny-1", TOO_BIG),
        case("tiny-2", {"vcpus": 1, "memory_mb": 512, "extra_specs": {}}),
        case("tiny-3", TOO_BIG, image={"hw_mem_page_size": "2MB"}),
        case("tiny-4", required, pci=[vf], host=pci_host),
        case("tiny-5", dict(FITS, vcpus=2, extra_specs=dict(FITS["extra_specs"], **{
            "hw:cpu_thread_policy": "isolate", "hw:emulator_threads_policy": "isolate"})),
            image=None, host=HOST),
    ]}


def _check(case: dict[str, Any], v: dict[str, Any]) -> None:
    assert v["id"] == case["id"]
    if not v["fit"]:
        assert v["reason"]
        return
    cells = {c["id"]: c for c in case["host"]["cells"]}
    specs = case["flavor"]["extra_specs"]
    pins: dict[int, int] = {}
    for gc in v["cells"]:
        hc = cells[gc["host_cell"]]
        assert ("page_size_kb" in gc) == ("hw:mem_page_size" in specs)
        for vcpu, p in gc.get("pins", {}).items():
            assert p in hc["dedicated"] and p not in hc["pinned"]
            pins[int(vcpu)] = p
    if specs.get("hw:cpu_policy") == "dedicated":
        assert sorted(pins) == list(range(case["flavor"]["vcpus"]))
    assert len(set(pins.values()) | set(v.get("emulator_pins", []))) == (
        len(pins) + len(v.get("emulator_pins", [])))
    assert ("pci" in v) == bool(case["pci_requests"])
    assert len(v.get("pci", [])) == sum(r["count"] for r in case["pci_requests"])


def test_bench_writes_verdicts_in_case_order(tmp_path: Path) -> None:
    work = _workload()
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(work))
    out = tmp_path / "verdicts.jsonl"
    r = _run(str(ROOT / "bench" / "numa.py"), str(path), "--verdicts", str(out),
             "--repeat", "2")
    assert r.returncode == 0, r.stderr
    verdicts = [json.loads(line) for line in out.read_text().splitlines()]
    assert [v["id"] for v in verdicts] == [c["id"] for c in work["cases"]]
    for case, v in zip(work["cases"], verdicts):
        _check(case, v)
    by_id = {v["id"]: v for v in verdicts}
    assert by_id["tiny-0"]["fit"] and by_id["tiny-2"]["fit"] and by_id["tiny-4"]["fit"]
    assert not by_id["tiny-1"]["fit"]
    assert "hw_mem_page_size" in by_id["tiny-3"]["reason"]
    assert by_id["tiny-4"]["cells"][0]["host_cell"] == 1
    assert "emulator_pins" in by_id["tiny-5"]
    assert "tiny: 6 cases, 4 fit, 1 no fit, 1 invalid requests" in r.stdout
    assert re.search(r"calls/s, median [\d.]+ us, p99 [\d.]+ us", r.stdout)
    assert "machine:" in r.stdout

    if not (SHARED_NUMA / "check_verdicts.py").is_file():
        pytest.skip("%s is absent: checked with the in-test assertions only" % SHARED_NUMA)
    r = _run(str(SHARED_NUMA / "check_verdicts.py"), str(path), str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stdout
