"""One cell's trouble stays in that cell, and the scheduler's trouble in the conductor:
an all-in-one on SQLite and in-process RPC (real services, real databases).

- a cell whose database answers but fails every query (its schema is missing) is left
  out of a scheduling decision, and boots go on in the healthy cell;
- a scheduler that raises leaves the build in cell0 in ERROR with a fault saying so,
  and no host claims anything;
- a page of the cross-cell listing asks each cell for at most `limit` rows after the
  marker, and gives the same page as merging everything.
"""

from __future__ import annotations

import logging
import uuid as uuidlib
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import event

from tessera import cells
from tessera.db import cells as cell_admin
from tessera.db.cell import hosts as host_q
from tessera.db.cell import instances as inst_q
from tessera.db.engine import dispose_engine, get_engine, session_scope
from tessera.db.migrate import sync_cell
from tessera.deploy import AllInOne, Settings
from tessera.objects import Instance, VmState
from tests.functional.control.helpers import CTX, HOSTS, PINNED_1G, settled

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def aio(tmp_path: Path) -> Iterator[AllInOne]:
    settings = Settings(api_db="sqlite:///%s/api.sqlite" % tmp_path,
                        cell_db="sqlite:///%s/cell1.sqlite" % tmp_path,
                        transport_url="fake://robust-%s" % tmp_path.name,
                        hosts=[HOSTS["nfv-2s-smt"]])
    with AllInOne(settings) as cloud:
        cloud.api.create_flavor(PINNED_1G)
        yield cloud
    for url in (settings.api_db, settings.cell_db):
        dispose_engine(url)


def _scheduler(cloud: AllInOne):
    return next(s for s in cloud.services if s.topic == "tessera-scheduler").endpoints[0]


def test_a_cell_failing_its_queries_is_skipped_by_the_scheduler(
        aio: AllInOne, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    broken = "sqlite:///%s/broken.sqlite" % tmp_path
    get_engine(broken).connect().close()  # the file exists and answers SELECT 1
    cell_admin.create_cell(aio.settings.api_db, name="broken", transport_url="fake://x",
                           database_connection=broken)
    _scheduler(aio).cache.router.cells(refresh=True)
    with caplog.at_level(logging.WARNING, "tessera.scheduler.manager"):
        [inst] = aio.api.create(CTX, PINNED_1G, name="still-boots")
        done = settled(aio.api, inst.uuid)
    assert done.vm_state is VmState.ACTIVE, aio.api.fault(inst.uuid)
    assert done.host == "nfv-2s-smt"
    assert any("skipping cell broken" in r.getMessage() for r in caplog.records)
    dispose_engine(broken)


class Crash:
    """A filter that fails: the scheduler raises out of select_destinations."""

    name = "Crash"

    def check(self, host, spec, ctx):  # type: ignore[no-untyped-def]
        raise RuntimeError("filter crashed")


def test_a_failing_scheduler_buries_the_build_in_cell0_and_claims_nothing(
        aio: AllInOne) -> None:
    _scheduler(aio).filters = [Crash()]
    [inst] = aio.api.create(CTX, PINNED_1G, name="unlucky")
    done = settled(aio.api, inst.uuid, (VmState.ERROR,))
    assert done.host is None
    cell = aio.router.cell_of_instance(inst.uuid)
    assert cell is not None and cell.is_cell0
    fault = aio.api.fault(inst.uuid)
    assert fault is not None and fault.message == "the scheduler failed: RuntimeError"
    with aio.router.cell_db(aio.router.cell_of_host("nfv-2s-smt")) as s:
        assert inst_q.list_instances_by_host(s, "nfv-2s-smt") == []
        [node] = host_q.get_compute_nodes(s, list(host_q.compute_node_generations(s)))
    assert node.vcpus_used == 0 and node.running_vms == 0
    assert all(not c.pinned for c in node.numa.cells)


def _instance(i: int) -> Instance:
    return Instance(uuid=str(uuidlib.UUID(int=i)), project_id="demo", user_id="alice",
                    flavor=PINNED_1G, vm_state=VmState.ACTIVE, task_state=None,
                    created_at=T0 + timedelta(seconds=i // 2))  # pairs share a time


def test_a_page_is_pushed_down_to_each_cell(aio: AllInOne, tmp_path: Path) -> None:
    cell2 = "sqlite:///%s/cell2.sqlite" % tmp_path
    sync_cell(cell2)
    cell_admin.create_cell(aio.settings.api_db, name="cell2", transport_url="fake://c2",
                           database_connection=cell2)
    aio.router.cells(refresh=True)
    made = [_instance(i) for i in range(1, 21)]
    for inst in made:
        url = aio.settings.cell_db if inst.uuid[-1] in "02468ace" else cell2
        with session_scope(get_engine(url)) as s:
            inst_q.create_instance(s, inst)
    everything = cells.gather(aio.router, "demo").instances
    assert [i.uuid for i in everything] == [i.uuid for i in reversed(made)]

    statements: list[str] = []

    def record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if "FROM instances" in statement:
            statements.append(statement)

    engines = [get_engine(u) for u in (aio.settings.cell_db, cell2)]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        first = cells.gather(aio.router, "demo", limit=3)
        second = cells.gather(aio.router, "demo", limit=3, after=first.instances[-1])
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)
    assert first.instances == everything[:3]
    assert second.instances == everything[3:6]
    assert len(statements) == 4 and all("LIMIT" in s for s in statements)
    dispose_engine(cell2)
