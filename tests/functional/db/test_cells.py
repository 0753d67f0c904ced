"""Cells v2 management functions (what tessera-manage cell_v2 runs) on every
backend: map_cell0, create_cell, discover_hosts, list_cells, list_hosts."""

from __future__ import annotations

import pytest

from tessera import objects as o
from tessera.db import cells, errors, migrate
from tessera.db.cell import queries as cell_q
from tessera.db.engine import get_engine, session_scope

from . import samples
from .conftest import DatabaseServer


def _add_nodes(cell_url: str, *names: str) -> None:
    with session_scope(get_engine(cell_url)) as s:
        for name in names:
            cell_q.create_or_update_compute_node(s, samples.node(name))


def test_map_cell0(api_url: str, cell_url: str, db_server: DatabaseServer,
                   backend: str) -> None:
    explicit = None if backend == "sqlite" else db_server.url("cell0")
    cell0, created = cells.map_cell0(api_url, cell_url, explicit)
    assert created and cell0.is_cell0 and cell0.transport_url == "none:///"
    if explicit is None:
        assert cell0.database_connection == cells.cell0_url(cell_url)
    assert migrate.current_revision(cell0.database_connection, "cell") == \
        migrate.head("cell")
    again, created = cells.map_cell0(api_url, cell_url, "sqlite:///elsewhere")
    assert again == cell0 and not created


def test_create_cell_refuses_the_same_urls(api_url: str, cell_url: str) -> None:
    cell = cells.create_cell(api_url, name="cell1", transport_url="rabbit://h/",
                             database_connection=cell_url)
    assert cells.list_cells(api_url) == [cell]
    with pytest.raises(errors.CellMappingExists):
        cells.create_cell(api_url, name="again", transport_url="rabbit://h/",
                          database_connection=cell_url)
    other = cells.create_cell(api_url, name="cell2", transport_url="rabbit://h2/",
                              database_connection=cell_url, disabled=True)
    assert other.disabled and [c.name for c in cells.list_cells(api_url)] == [
        "cell1", "cell2"]


def test_discover_hosts(api_url: str, cell_url: str, db_server: DatabaseServer) -> None:
    cell2_url = db_server.synced("cell2", "cell")
    cells.map_cell0(api_url, cell_url, db_server.url("cell0"))
    cell1 = cells.create_cell(api_url, name="cell1", transport_url="fake://",
                              database_connection=cell_url)
    cell2 = cells.create_cell(api_url, name="cell2", transport_url="fake://2",
                              database_connection=cell2_url)
    _add_nodes(cell_url, "c1", "c2")
    _add_nodes(cell2_url, "c3")
    lines: list[str] = []
    created = cells.discover_hosts(api_url, report=lines.append)
    assert sorted((m.host, m.cell_uuid) for m in created) == [
        ("c1", cell1.uuid), ("c2", cell1.uuid), ("c3", cell2.uuid)]
    assert "Skipping cell0 since it does not contain hosts." in lines
    assert "Found 3 cell mappings." in lines
    assert cells.discover_hosts(api_url) == []
    with session_scope(get_engine(cell_url)) as s:
        assert cell_q.list_compute_nodes(s, mapped=False) == []
    _add_nodes(cell_url, "c4")
    assert [m.host for m in cells.discover_hosts(api_url, cell2.uuid)] == []
    assert [m.host for m in cells.discover_hosts(api_url, cell1.uuid)] == ["c4"]
    assert [(c.name, h.host) for c, h in cells.list_hosts(api_url)] == [
        ("cell1", "c1"), ("cell1", "c2"), ("cell1", "c4"), ("cell2", "c3")]
    assert [h.host for _c, h in cells.list_hosts(api_url, cell2.uuid)] == ["c3"]
    with pytest.raises(errors.CellMappingNotFound):
        cells.list_hosts(api_url, "nope")
    with pytest.raises(errors.CellMappingNotFound):
        cells.discover_hosts(api_url, "nope")


def test_discover_hosts_reports_an_unreadable_cell(api_url: str, cell_url: str,
                                                   tmp_path: object) -> None:
    broken = cells.create_cell(api_url, name="broken", transport_url="fake://",
                               database_connection="sqlite:///%s/none.sqlite" % tmp_path)
    cell1 = cells.create_cell(api_url, name="cell1", transport_url="fake://x",
                              database_connection=cell_url)
    _add_nodes(cell_url, "c1")
    lines: list[str] = []
    assert [m.host for m in cells.discover_hosts(api_url, report=lines.append)] == ["c1"]
    assert any(line.startswith("ERROR: cell 'broken' (%s)" % broken.uuid)
               for line in lines)
    assert [h for _c, h in cells.list_hosts(api_url)] == [
        o.HostMapping(host="c1", cell_uuid=cell1.uuid)]
