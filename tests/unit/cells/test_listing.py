"""Merging cells' answers: Nova's order (newest first, then uuid), and a cell that
raises or hangs becomes a `CellFailed` without costing more than the timeout."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from tessera.cells import CellFailed, UnknownServer, merge_sorted, scatter_gather, sort_key
from tessera.objects import CellMapping, Flavor, Instance

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
FLAVOR = Flavor(flavorid="f", name="f", vcpus=1, memory_mb=512, root_gb=1)


def inst(uuid: str, seconds: int | None) -> Instance:
    created = None if seconds is None else T0 + timedelta(seconds=seconds)
    return Instance(uuid=uuid, project_id="p", user_id="u", flavor=FLAVOR,
                    created_at=created)


def cell(name: str) -> CellMapping:
    return CellMapping(uuid="uuid-" + name, name=name, transport_url="fake://",
                       database_connection="sqlite://")


@pytest.mark.parametrize("cells, expected", [
    ("two cells interleave", ["d", "c", "b", "a"]),
    ("equal times tie-break on uuid, descending", ["y", "x"]),
    ("no creation time sorts last", ["n", "z"]),
])
def test_merge_order(cells: str, expected: list[str]) -> None:
    inputs = {
        "two cells interleave": [[inst("d", 4), inst("b", 2)], [inst("c", 3), inst("a", 1)]],
        "equal times tie-break on uuid, descending": [[inst("x", 1)], [inst("y", 1)]],
        "no creation time sorts last": [[inst("n", 1), inst("z", None)], []],
    }[cells]
    assert [i.uuid for i in merge_sorted(inputs)] == expected


def test_unknown_servers_sort_like_instances() -> None:
    a = UnknownServer("a", "p", None, T0, "c")
    b = UnknownServer("b", "p", None, T0 + timedelta(seconds=1), "c")
    assert sorted([a, b], key=sort_key, reverse=True) == [b, a]


def test_scatter_gather_isolates_failing_and_slow_cells() -> None:
    release = threading.Event()

    def ask(c: CellMapping) -> str:
        if c.name == "broken":
            raise ConnectionError("refused")
        if c.name == "stuck":
            release.wait(5)
        return c.name

    started = time.monotonic()
    answers = scatter_gather([cell("ok"), cell("broken"), cell("stuck")], ask, timeout=0.3)
    release.set()
    assert time.monotonic() - started < 2
    assert answers["uuid-ok"] == "ok"
    assert isinstance(answers["uuid-broken"], CellFailed)
    assert isinstance(answers["uuid-broken"].error, ConnectionError)
    assert isinstance(answers["uuid-stuck"], CellFailed)
    assert answers["uuid-stuck"].error is None
