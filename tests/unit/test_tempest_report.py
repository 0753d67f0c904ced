"""tools/tempest.py's report: what counts as passed, failed, skipped and never ran."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

import tempest  # noqa: E402  (tools/tempest.py)

A, B = "tempest.api.compute.x.ClassA", "tempest.api.compute.x.ClassB"
C = "tempest.api.compute.x.ClassC"
EXPECTED = [A + ".test_1", A + ".test_2", B + ".test_1", B + ".test_2", C + ".test_1"]


def _run(results):
    return {"expected": EXPECTED, "results": {
        k: {"status": s, "detail": d} for k, (s, d) in results.items()}}


def test_everything_ran_and_passed_or_was_skipped(capsys):
    status = tempest.report(_run({
        A + ".test_1": ("success", ""), A + ".test_2": ("skip", "Pause is not available."),
        "setUpClass (%s)" % B: ("skip", "Volume service not enabled."),
        C + ".test_1": ("success", "")}))
    out = capsys.readouterr().out
    assert status == 0
    assert "Tempest: 2 passed, 0 failed, 3 skipped, 0 never ran (of 5 selected)" in out
    assert "skipped   2: Volume service not enabled." in out


def test_a_failed_class_setup_hides_its_tests(capsys):
    status = tempest.report(_run({
        A + ".test_1": ("success", ""), A + ".test_2": ("fail", "Traceback\nBadRequest"),
        "setUpClass (%s)" % B: ("fail", "Details: 400"),
        C + ".test_1": ("success", "")}))
    out = capsys.readouterr().out
    assert status == 1
    assert "FAILED %s.test_2\n    BadRequest" % A in out
    assert "NEVER RAN %s.test_1" % B in out and "NEVER RAN %s.test_2" % B in out
    assert "Tempest: 2 passed, 2 failed, 0 skipped, 2 never ran (of 5 selected)" in out


def test_selection_reads_regexes_and_skips_comments(tmp_path):
    listing = tmp_path / "slice.txt"
    listing.write_text("# a comment\n^tempest\\.api\\.compute\\.flavors\\.\n\n")
    assert tempest.read_selection(listing, None) == ["^tempest\\.api\\.compute\\.flavors\\."]
    assert tempest.read_selection(listing, "^x") == ["^x"]
