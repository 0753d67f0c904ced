#!/usr/bin/env python3
"""Benchmark the NUMA fitter on workload files (shared/bench/numa format).

    python bench/numa.py WORKLOAD.json [WORKLOAD.json ...] [--verdicts OUT.jsonl]
                         [--strategy pack|spread] [--repeat N] [--cpu N]

For each case the host (`codec.host_from_dict`) and the request (`build_request`) are
built and timed apart, then `fit()` alone is timed with `time.perf_counter_ns`, with the
garbage collector off (it runs between batches of cases), in this one process pinned to one core. With `--repeat N` each
fit is timed N times and the fastest counts. Verdicts are written one per line, in case
order, in the format of the workload README; timings are printed per set.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tessera.numa.codec import host_from_dict  # noqa: E402
from tessera.numa.constraints import build_request  # noqa: E402
from tessera.numa.errors import InvalidRequest  # noqa: E402
from tessera.numa.fit import Strategy, fit  # noqa: E402
from tessera.numa.placement import NoFit, Placement  # noqa: E402
from tessera.numa.request import GuestRequest  # noqa: E402


@dataclass
class SetStats:
    name: str
    cases: int = 0
    fits: int = 0
    invalid: int = 0
    fit_ns: list[int] = field(default_factory=list)
    host_ns: list[int] = field(default_factory=list)
    request_ns: list[int] = field(default_factory=list)


def verdict(case_id: str, request: GuestRequest, result: Placement | NoFit) -> dict[str, Any]:
    """One verdict line in the workload README's format."""
    if not isinstance(result, Placement):
        return {"id": case_id, "fit": False, "reason": result.reason}
    cells = []
    for c in result.cells:
        cell: dict[str, Any] = {"guest_cell": c.guest_cell, "host_cell": c.host_cell}
        if request.page_size is not None:
            cell["page_size_kb"] = c.page_size_kb
        if request.pinned and c.pins:
            cell["pins"] = {str(v): p for v, p in sorted(c.pins.items())}
        cells.append(cell)
    out: dict[str, Any] = {"id": case_id, "fit": True, "cells": cells}
    if result.emulator_pins:
        out["emulator_pins"] = sorted(result.emulator_pins)
    if request.pci_requests:
        out["pci"] = list(result.pci)
    return out


def _timed(fn: Any, *args: Any) -> tuple[Any, int]:
    t0 = time.perf_counter_ns()
    value = fn(*args)
    return value, time.perf_counter_ns() - t0


def run_case(case: dict[str, Any], strategy: Strategy, repeat: int,
             stats: SetStats) -> dict[str, Any]:
    stats.cases += 1
    try:
        host, ns = _timed(host_from_dict, case["host"], case["id"])
    except (KeyError, TypeError, ValueError) as e:
        stats.invalid += 1
        return {"id": case["id"], "fit": False, "reason": "invalid host: %s" % e}
    stats.host_ns.append(ns)
    try:
        request, ns = _timed(build_request, case["flavor"], case.get("image"),
                             tuple(case.get("pci_requests") or ()))
    except InvalidRequest as e:
        stats.invalid += 1
        return {"id": case["id"], "fit": False, "reason": str(e)}
    stats.request_ns.append(ns)
    best = None
    result: Placement | NoFit | None = None
    try:
        for n in range(repeat):
            if n:
                # a fresh host each time: no summary cached by the previous fit counts
                host = host_from_dict(case["host"], case["id"])
            result, ns = _timed(fit, host, request, strategy)
            best = ns if best is None else min(best, ns)
    except Exception as e:
        e.add_note("bench/numa.py: while fitting case %s" % case["id"])
        raise
    assert result is not None and best is not None
    stats.fit_ns.append(best)
    stats.fits += isinstance(result, Placement)
    return verdict(case["id"], request, result)


def run_workload(path: Path, strategy: Strategy, repeat: int,
                 out: IO[str] | None) -> SetStats:
    with path.open() as f:
        work = json.load(f)
    stats = SetStats(str(work.get("name") or path.stem))
    gc.collect()
    gc.disable()
    try:
        for n, case in enumerate(work["cases"], 1):
            if n % 1000 == 0:
                gc.collect()
            v = run_case(case, strategy, repeat, stats)
            if out is not None:
                out.write(json.dumps(v, separators=(",", ":")) + "\n")
    finally:
        gc.enable()
    return stats


def percentile(values: list[int], q: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return float(ordered[int(rank) - 1])


def _us(ns: float) -> str:
    return "%.1f" % (ns / 1000)


def summary(s: SetStats) -> Iterator[str]:
    total_s = sum(s.fit_ns) / 1e9
    rate = len(s.fit_ns) / total_s if total_s else float("nan")
    med = statistics.median(s.fit_ns) if s.fit_ns else float("nan")
    yield ("%s: %d cases, %d fit, %d no fit, %d invalid requests"
           % (s.name, s.cases, s.fits, s.cases - s.fits - s.invalid, s.invalid))
    for label, values in (("host build", s.host_ns), ("request build", s.request_ns)):
        if values:
            yield ("  %-14s median %s us (not in the fit time)"
                   % (label + ":", _us(statistics.median(values))))
    yield ("  fit():         %.0f calls/s, median %s us, p99 %s us, max %s us"
           % (rate, _us(med), _us(percentile(s.fit_ns, 99)),
              _us(max(s.fit_ns, default=float("nan")))))


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def pin_to_one_core(cpu: int | None) -> int | None:
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    chosen = cpu if cpu is not None else allowed[-1]
    os.sched_setaffinity(0, {chosen})
    return chosen


def machine(core: int | None, repeat: int, strategy: Strategy) -> Iterable[str]:
    yield "machine: %s, %s %s, %s, %d CPUs" % (
        platform.platform(), platform.python_implementation(), platform.python_version(),
        cpu_model(), os.cpu_count() or 0)
    yield "run: one process%s, gc off while fitting, repeat %d (min), strategy %s" % (
        ", pinned to CPU %d" % core if core is not None else "", repeat, strategy.value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workloads", nargs="+", type=Path)
    parser.add_argument("--verdicts", type=Path, help="write verdicts here (JSONL)")
    parser.add_argument("--strategy", choices=[s.value for s in Strategy],
                        default=Strategy.SPREAD.value)
    parser.add_argument("--repeat", type=int, default=1, help="time each fit N times")
    parser.add_argument("--cpu", type=int, default=None, help="pin to this CPU")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    strategy = Strategy(args.strategy)
    core = pin_to_one_core(args.cpu)
    for line in machine(core, args.repeat, strategy):
        print(line)
    out = args.verdicts.open("w") if args.verdicts else None
    try:
        for path in args.workloads:
            for line in summary(run_workload(path, strategy, args.repeat, out)):
                print(line, flush=True)
    finally:
        if out is not None:
            out.close()
    if args.verdicts:
        print("verdicts: %s" % args.verdicts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
