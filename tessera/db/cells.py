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
from datetime import datetime, timezone
from collections.abc import Callable
from pathlib import Path, PurePath

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from tessera.db import errors, migrate
from tessera.db.api import queries as api_q
from tessera.db.api.models import CellMappingRow, HostMappingRow, InstanceMappingRow
from tessera.db.cell import queries as cell_q
from tessera.db.cell.models import ComputeNodeRow, InstanceRow
from tessera.db.engine import get_engine, session_scope
from tessera.objects import CELL0_UUID, CellMapping, ComputeNode, HostMapping

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

    A host still mapped to one cell is never remapped to another: it moves only once
    `delete_host` has unmapped it from its old cell. A host unmapped in several cells
    (it moved, its old record stayed behind) goes to the cell it reported to last.
    A cell whose database cannot be read is reported and skipped. Two runs at once
    may race: the loser gets `HostMappingExists` (upstream: not safe in parallel).
    """
    with session_scope(get_engine(api_url)) as session:
        cells = ([api_q.get_cell_mapping(session, cell_uuid)] if cell_uuid
                 else api_q.list_cell_mappings(session))
    report("Found %d cell mappings." % len(cells))
    found: list[tuple[CellMapping, list[ComputeNode]]] = []
    for cell in cells:
        if cell.is_cell0:
            report("Skipping cell0 since it does not contain hosts.")
            continue
        report("Getting computes from cell '%s': %s" % (cell.name, cell.uuid))
        try:
            with session_scope(get_engine(cell.database_connection)) as session:
                nodes = cell_q.list_compute_nodes(session, mapped=False)
        except SQLAlchemyError as exc:
            report("ERROR: cell '%s' (%s) could not be read: %s"
                   % (cell.name, cell.uuid, exc.__class__.__name__))
            continue
        report("Found %d unmapped computes in cell: %s" % (len(nodes), cell.uuid))
        found.append((cell, nodes))
    latest = _latest_cell_of_hosts(found)
    created: list[HostMapping] = []
    for cell, nodes in found:
        created += _map_in_cell(api_url, cell, nodes, latest, report)
    return created


def _latest_cell_of_hosts(found: list[tuple[CellMapping, list[ComputeNode]]]
                          ) -> dict[str, str]:
    """For each unmapped host, the cell whose node of it was updated last."""
    oldest = datetime.min.replace(tzinfo=timezone.utc)

    def when(node: ComputeNode) -> datetime:
        t = node.updated_at
        return oldest if t is None else (t if t.tzinfo else t.replace(tzinfo=timezone.utc))

    best: dict[str, tuple[datetime, str]] = {}
    for cell, nodes in found:
        for node in nodes:
            if node.host not in best or when(node) > best[node.host][0]:
                best[node.host] = (when(node), cell.uuid)
    return {host: uuid for host, (_, uuid) in best.items()}


def _map_in_cell(api_url: str, cell: CellMapping, nodes: list[ComputeNode],
                 latest: dict[str, str], report: Report) -> list[HostMapping]:
    """Map this cell's unmapped hosts; nodes of a host that belongs elsewhere stay
    unmapped here (so the host can come back after a `delete_host`)."""
    created: list[HostMapping] = []
    here: list[str] = []
    with session_scope(get_engine(api_url)) as session:
        owners = {m.host: m.cell_uuid for m in api_q.list_host_mappings(session)}
        for node in nodes:
            report("Checking host mapping for compute host '%s': %s"
                   % (node.host, node.uuid))
            owner = owners.get(node.host)
            if owner is None and latest.get(node.host, cell.uuid) == cell.uuid:
                report("Creating host mapping for compute host '%s': %s"
                       % (node.host, node.uuid))
                created.append(api_q.create_host_mapping(
                    session, HostMapping(host=node.host, cell_uuid=cell.uuid)))
                owners[node.host] = owner = cell.uuid
            if owner == cell.uuid:
                here.append(node.uuid)
            elif owner is None:
                report("Compute host '%s' reported to another cell more recently; "
                       "not mapping it here." % node.host)
            else:
                report("Compute host '%s' is mapped to another cell (%s); run "
                       "delete_host there before it can be mapped to this one."
                       % (node.host, owner))
    with session_scope(get_engine(cell.database_connection)) as session:
        cell_q.mark_compute_nodes_mapped(session, here)
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


# -- removing and changing mappings ---------------------------------------------------

class HostInAnotherCell(errors.DBError):
    """`delete_host` named a host that is mapped, but to a different cell."""


class HostHasInstances(errors.DBError):
    """`delete_host` named a host that still holds live instances."""


class CellHasHosts(errors.DBError):
    """`delete_cell` without force, on a cell that still has hosts."""


class CellHasInstances(errors.DBError):
    """`delete_cell` on a cell whose database still holds live instances."""


class CellHasInstanceMappings(errors.DBError):
    """`delete_cell` without force, on a cell whose instances are all deleted but
    still mapped."""


class InvalidCellUpdate(errors.DBError):
    """`update_cell` asked for something that cannot be (cell0 disabled)."""


def _cell_row(session, cell_uuid: str) -> CellMappingRow:
    row = session.scalars(select(CellMappingRow).where(
        CellMappingRow.uuid == cell_uuid)).first()
    if row is None:
        raise errors.CellMappingNotFound(cell_uuid)
    return row


def _live_instances(cell: CellMapping, host: str | None = None) -> int:
    with session_scope(get_engine(cell.database_connection)) as session:
        query = select(func.count()).select_from(InstanceRow).where(
            InstanceRow.deleted == 0)
        if host is not None:
            query = query.where(InstanceRow.host == host)
        return int(session.scalar(query) or 0)


def _set_nodes_mapped(cell: CellMapping, mapped: bool, host: str | None = None) -> None:
    with session_scope(get_engine(cell.database_connection)) as session:
        stmt = update(ComputeNodeRow).values(mapped=1 if mapped else 0)
        if host is not None:
            stmt = stmt.where(ComputeNodeRow.host == host)
        session.execute(stmt.execution_options(synchronize_session=False))


def delete_host(api_url: str, cell_uuid: str, host: str) -> None:
    """Unmap `host` from its cell (its compute nodes there become unmapped, so a
    later `discover_hosts` may map it again, here or in the cell it moved to).

    Raises `CellMappingNotFound`, `HostMappingNotFound`, `HostInAnotherCell` or
    `HostHasInstances` (upstream's exit codes 1 to 4, in that order)."""
    with session_scope(get_engine(api_url)) as session:
        cell = api_q.get_cell_mapping(session, cell_uuid)
        mapping = api_q.get_host_mapping(session, host)
    if mapping.cell_uuid != cell.uuid:
        raise HostInAnotherCell("The host %s was not found in the cell %s."
                                % (host, cell_uuid))
    if _live_instances(cell, host):
        raise HostHasInstances("There are instances on the host %s." % host)
    _set_nodes_mapped(cell, False, host)
    with session_scope(get_engine(api_url)) as session:
        api_q.delete_host_mapping(session, host)


def delete_cell(api_url: str, cell_uuid: str, force: bool = False) -> None:
    """Remove a cell mapping. Refused (`CellHasHosts`) while hosts are mapped to it
    unless `force`, which unmaps them too; always refused (`CellHasInstances`) while
    its database holds live instances; refused (`CellHasInstanceMappings`) when only
    mappings of deleted instances remain, unless `force` deletes them."""
    with session_scope(get_engine(api_url)) as session:
        cell = api_q.get_cell_mapping(session, cell_uuid)
        hosts = api_q.list_host_mappings(session, cell_uuid)
        row = _cell_row(session, cell_uuid)
        mappings = int(session.scalar(select(func.count()).select_from(
            InstanceMappingRow).where(InstanceMappingRow.cell_id == row.id)) or 0)
    if hosts and not force:
        raise CellHasHosts("There are existing hosts mapped to cell with uuid %s."
                           % cell_uuid)
    if mappings:
        if _live_instances(cell):
            raise CellHasInstances("There are existing instances mapped to cell with "
                                   "uuid %s." % cell_uuid)
        if not force:
            raise CellHasInstanceMappings(
                "There are instance mappings to cell with uuid %s, but all instances "
                "have been deleted in the cell." % cell_uuid)
    if hosts and not cell.is_cell0:
        _set_nodes_mapped(cell, False)
    with session_scope(get_engine(api_url)) as session:
        row = _cell_row(session, cell_uuid)
        session.execute(delete(InstanceMappingRow).where(
            InstanceMappingRow.cell_id == row.id))
        session.execute(delete(HostMappingRow).where(HostMappingRow.cell_id == row.id))
        session.delete(row)


def update_cell(api_url: str, cell_uuid: str, *, name: str | None = None,
                transport_url: str | None = None,
                database_connection: str | None = None,
                disabled: bool | None = None) -> CellMapping:
    """Change a cell mapping's name, URLs or disabled flag (services read it again
    on restart). `CellMappingNotFound`; `CellMappingExists` when another cell has
    the resulting pair of URLs; `InvalidCellUpdate` to disable cell0."""
    if database_connection is not None:
        database_connection = absolute_url(database_connection)
    with session_scope(get_engine(api_url)) as session:
        row = _cell_row(session, cell_uuid)
        if disabled and row.uuid == CELL0_UUID:
            raise InvalidCellUpdate("Cell0 cannot be disabled.")
        pair = (transport_url or row.transport_url,
                database_connection or row.database_connection)
        for other in api_q.list_cell_mappings(session):
            if other.uuid != cell_uuid and \
                    (other.transport_url, other.database_connection) == pair:
                raise errors.CellMappingExists(
                    other.uuid, "The specified transport_url and/or "
                    "database_connection combination already exists for another cell "
                    "with uuid %s." % other.uuid)
        if name is not None:
            row.name = name
        row.transport_url, row.database_connection = pair
        if disabled is not None:
            row.disabled = disabled
        session.flush()
        return api_q.get_cell_mapping(session, cell_uuid)
