"""bench/schedule.py runs end to end on a small cloud and checks its own bookings."""

from __future__ import annotations

import importlib.util
import os

import pytest

from .helpers import ROOT


def test_bench_runs_and_finds_no_double_booking(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_schedule",
                                                  ROOT / "bench" / "schedule.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    try:
        assert bench.main(["--hosts", "5", "--guests", "120", "--strategy", "pack"]) == 0
    finally:
        if affinity is not None:
            os.sched_setaffinity(0, affinity)
    out = capsys.readouterr().out
    assert out.startswith("machine: ")
    assert "decisions: 120 (" in out and "no valid host" in out
    assert "check: no pCPU, huge page or device given twice" in out
