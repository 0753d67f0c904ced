"""The dry run names, per host, the filter and the real blocking resource."""

from __future__ import annotations

import pytest

from tessera.explain import dry_run, recorded, summary
from tessera.objects import Rejection
from tests.unit.scheduler.helpers import flavor, pinned, small, spec

ISOLATE = {"hw__cpu_thread_policy": "isolate"}

CASES = [
    # name, flavor, host kwargs, expected (filter, resource, host_cell, message part)
    ("isolate needs whole cores", pinned(4, 1024, **ISOLATE), {},
     [("NUMATopologyFilter", "siblings", 0,
       "3 free whole thread-sibling sets, needs 4 under isolate"),
      ("NUMATopologyFilter", "siblings", 1,
       "3 free whole thread-sibling sets, needs 4 under isolate")]),
    ("too many pinned vCPUs", pinned(8, 1024), {},
     [("NUMATopologyFilter", "cpu", 0, "6 free dedicated pCPUs, needs 8"),
      ("NUMATopologyFilter", "cpu", 1, "6 free dedicated pCPUs, needs 8")]),
    ("1G pages run out", pinned(2, 6144, hw__mem_page_size="1GB"), {},
     [("NUMATopologyFilter", "pages", 0, "4 free 1G pages"),
      ("NUMATopologyFilter", "pages", 1, "4 free 1G pages")]),
    ("RAM of a floating guest", flavor(2, 65536), {},
     [("RamFilter", "memory", None, "")]),
    ("a disabled host", pinned(2, 1024), {"service_disabled": True},
     [("ComputeFilter", "service", None, "disabled")]),
]


@pytest.mark.parametrize("name,f,host_kw,expected", CASES, ids=[c[0] for c in CASES])
def test_blockers_name_the_resource(name, f, host_kw, expected):
    [v] = dry_run(spec(f), [small(**host_kw)])
    assert not v.fits and v.placement is None
    got = [(b.filter, b.resource, b.host_cell, b.reason) for b in v.blockers]
    assert len(got) == len(expected), got
    for (fi, res, cell, part), (gf, gr, gc, reason) in zip(expected, got):
        assert (fi, res, cell) == (gf, gr, gc) and part in reason, got


def test_every_filter_is_shown_not_only_the_first():
    [v] = dry_run(spec(pinned(8, 1024)), [small(service_disabled=True)])
    assert {"service", "cpu"} <= v.resources


def test_a_fitting_host_carries_its_placement_and_others_their_reasons():
    busy, free = small("busy", pinned="1-3,9-11"), small("free")
    verdicts = dry_run(spec(pinned(4, 1024, hw__numa_nodes="2")), [busy, free])
    assert [v.fits for v in verdicts] == [False, True]
    assert verdicts[1].placement is not None and verdicts[1].placement.host == "free"
    text = summary(verdicts)
    assert "busy: NUMATopologyFilter: cell 0: 0 free dedicated pCPUs" in text
    assert "free: fits" in text


def test_recorded_rejections_split_numa_reasons_by_cell():
    out = recorded([Rejection(host="h1", filter="NUMATopologyFilter",
                              reason="cell 0: 2 free dedicated pCPUs, needs 4; "
                                     "cell 1: 4 free 1G pages, needs 8192 MiB"),
                    Rejection(host="h2", filter="RamFilter", reason="no RAM")])
    assert out == [
        {"host": "h1", "blockers": [
            {"filter": "NUMATopologyFilter", "host_cell": 0,
             "reason": "2 free dedicated pCPUs, needs 4"},
            {"filter": "NUMATopologyFilter", "host_cell": 1,
             "reason": "4 free 1G pages, needs 8192 MiB"}]},
        {"host": "h2", "blockers": [{"filter": "RamFilter", "host_cell": None,
                                     "reason": "no RAM"}]}]
