"""Cells v2 management: what `tessera-manage cell_v2 ...` does, as plain functions the
all-in-one and the tests call directly.

cell0 is a cell with a database and no hosts (transport `none:///`): instances that
could not be scheduled are buried there. Every other cell is created with the URLs of
its database and message transport; `discover_hosts` then maps each compute host found
in a cell database to that cell, which is what makes the host schedulable.
"""

from __future__ import annotations

import re
import uuid as uuidlib
from collections.abc import Callable
from pathlib import Path, PurePath

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from tessera.db import errors, migrate
from tessera.db.api import queries as api_q
from tessera.db.cell import queries as cell_q
from tessera.db.engine import get_engine, session_scope
from tessera.objects import CELL0_UUID, CellMapping, HostMapping

CELL0_NAME = "cell0"
CELL0_TRANSPORT_URL = "none:///"

Report = Callable[[str], None]


def _quiet(_message: str) -> None:
    pass


def cell0_url(cell_url: str) -> str:
    """The cell0 database next to a cell's: `_cell0` appended to the database name,
    as upstream does (before the extension for a SQLite file, so `cell1.sqlite`
    becomes `cell1_cell0.sqlite`)."""
    url = make_url(cell_url)
    database = url.database or ""
    if url.get_backend_name() == "sqlite":
        if database in ("", ":memory:"):
            raise ValueError("an in-memory SQLite database has no cell0 beside it")
        path = PurePath(database)
        database = str(path.with_name(path.stem + "_cell0" + path.suffix))
    else:
        database += "_cell0"
    return url.set(database=database).render_as_string(hide_password=False)


def absolute_url(url: str) -> str:
    """`url` with a relative SQLite file path made absolute: a cell mapping is read by
    services started from other directories."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:") \
            or PurePath(database).is_absolute():
        return url
    return parsed.set(database=str(Path(database).resolve())).render_as_string(
        hide_password=False)


_PASSWORD = re.compile(r"(?<=:)[^:@/]+(?=@)")


def mask_password(url: str) -> str:
    """`url` with every password (`user:secret@host`, several for multi-host
    transport URLs) replaced by `****`."""
    return _PASSWORD.sub("****", url)


def map_cell0(api_url: str, cell_url: str | None = None,
              database_connection: str | None = None) -> tuple[CellMapping, bool]:
    """Create the cell0 mapping (database: `database_connection`, else `cell0_url` of
    `cell_url`) and bring its schema to head. Returns the mapping and whether it was
    created; an existing cell0 is kept as it is."""
    with session_scope(get_engine(api_url)) as session:
        try:
            cell0, created = api_q.get_cell0_mapping(session), False
        except errors.CellMappingNotFound:
            if database_connection is None:
                if cell_url is None:
                    raise ValueError("cell0 needs a database connection") from None
                database_connection = cell0_url(cell_url)
            database_connection = absolute_url(database_connection)
            cell0 = api_q.create_cell_mapping(session, CellMapping(
                uuid=CELL0_UUID, name=CELL0_NAME, transport_url=CELL0_TRANSPORT_URL,
                database_connection=database_connection))
            created = True
    migrate.sync_cell(cell0.database_connection)
    return cell0, created


def create_cell(api_url: str, *, name: str | None, transport_url: str,
                database_connection: str, disabled: bool = False) -> CellMapping:
    """Map a new cell; `CellMappingExists` if a cell already has both URLs. A relative
    SQLite path is stored absolute."""
    database_connection = absolute_url(database_connection)
    with session_scope(get_engine(api_url)) as session:
        for cell in api_q.list_cell_mappings(session):
            if (cell.transport_url, cell.database_connection) == (transport_url,
                                                                  database_connection):
                raise errors.CellMappingExists(
                    cell.uuid, "The specified transport_url and database_connection "
                    "combination already exists for another cell with uuid %s."
                    % cell.uuid)
        return api_q.create_cell_mapping(session, CellMapping(
            uuid=str(uuidlib.uuid4()), name=name, transport_url=transport_url,
            database_connection=database_connection, disabled=disabled))


def discover_hosts(api_url: str, cell_uuid: str | None = None,
                   report: Report = _quiet) -> list[HostMapping]:
    """Map every compute host of each cell (or of `cell_uuid`) that has no host
    mapping yet, and flag its compute nodes mapped. Returns the new mappings.

    A cell whose database cannot be read is reported and skipped. Two runs at once
    may race: the loser gets `HostMappingExists` (upstream: not safe in parallel).
    """
    with session_scope(get_engine(api_url)) as session:
        cells = ([api_q.get_cell_mapping(session, cell_uuid)] if cell_uuid
                 else api_q.list_cell_mappings(session))
    report("Found %d cell mappings." % len(cells))
    created: list[HostMapping] = []
    for cell in cells:
        if cell.is_cell0:
            report("Skipping cell0 since it does not contain hosts.")
            continue
        report("Getting computes from cell '%s': %s" % (cell.name, cell.uuid))
        try:
            created += _discover_in_cell(api_url, cell, report)
        except SQLAlchemyError as exc:
            report("ERROR: cell '%s' (%s) could not be read: %s"
                   % (cell.name, cell.uuid, exc.__class__.__name__))
    return created


def _discover_in_cell(api_url: str, cell: CellMapping, report: Report) -> list[HostMapping]:
    cell_engine = get_engine(cell.database_connection)
    with session_scope(cell_engine) as session:
        nodes = cell_q.list_compute_nodes(session, mapped=False)
    report("Found %d unmapped computes in cell: %s" % (len(nodes), cell.uuid))
    created: list[HostMapping] = []
    with session_scope(get_engine(api_url)) as session:
        mapped_hosts = {m.host for m in api_q.list_host_mappings(session)}
        for node in nodes:
            report("Checking host mapping for compute host '%s': %s"
                   % (node.host, node.uuid))
            if node.host in mapped_hosts:
                continue
            report("Creating host mapping for compute host '%s': %s"
                   % (node.host, node.uuid))
            created.append(api_q.create_host_mapping(
                session, HostMapping(host=node.host, cell_uuid=cell.uuid)))
            mapped_hosts.add(node.host)
    with session_scope(cell_engine) as session:
        cell_q.mark_compute_nodes_mapped(session, [n.uuid for n in nodes])
    return created


def list_cells(api_url: str) -> list[CellMapping]:
    """Every cell mapping, sorted by name (as `list_cells` prints them)."""
    with session_scope(get_engine(api_url)) as session:
        cells = api_q.list_cell_mappings(session)
    return sorted(cells, key=lambda c: (c.name or "", c.uuid))


def list_hosts(api_url: str, cell_uuid: str | None = None
               ) -> list[tuple[CellMapping, HostMapping]]:
    """Host mappings with their cells, of one cell or of all, sorted by cell name
    then host; `CellMappingNotFound` for an unknown `cell_uuid`."""
    with session_scope(get_engine(api_url)) as session:
        cells = {c.uuid: c for c in api_q.list_cell_mappings(session)}
        if cell_uuid is not None and cell_uuid not in cells:
            raise errors.CellMappingNotFound(cell_uuid)
        hosts = api_q.list_host_mappings(session, cell_uuid)
    pairs = [(cells[h.cell_uuid], h) for h in hosts]
    return sorted(pairs, key=lambda p: (p[0].name or "", p[0].uuid, p[1].host))
