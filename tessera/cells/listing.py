"""Servers of every cell, merged into one listing (upstream's `instance_list`).

Each cell's instances come back sorted by Nova's default order, newest first:
`created_at` descending, then (Tessera's global tie-break, where Nova uses the
per-cell integer id) the uuid descending; the lists are merged, not re-sorted. Servers
not scheduled yet come from their build requests in the API database.

A cell that fails to answer is not an error for the listing: its servers, known from
the instance mappings of the API database, come back as `UnknownServer`s (rendered
with status UNKNOWN from microversion 2.69, left out before).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import select, update

from tessera.cells.scatter import CELL_TIMEOUT, CellFailed, scatter_gather
from tessera.db.api import queries as api_q
from tessera.db.api.models import CellMappingRow, InstanceMappingRow
from tessera.db.cell import instances as inst_q
from tessera.objects import CellMapping, Instance
from tessera.routing import CellRouter

_OLDEST = datetime.min.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class UnknownServer:
    """A server whose cell did not answer: all the API database knows of it."""

    uuid: str
    project_id: str
    user_id: str | None
    created_at: datetime | None
    cell_uuid: str


@dataclass
class Gathered:
    """What the cells answered: live instances newest first, the servers of cells
    that did not answer (newest first), and those cells."""

    instances: list[Instance] = field(default_factory=list)
    unknown: list[UnknownServer] = field(default_factory=list)
    down: list[CellMapping] = field(default_factory=list)


def sort_key(item: Instance | UnknownServer) -> tuple[bool, datetime, str]:
    """Nova's default order, to be used with `reverse=True`: newest first, servers
    without a creation time last."""
    created = item.created_at
    if created is not None and created.tzinfo is None:
        created = created.replace(tzinfo=timezone.utc)
    return (created is not None, created or _OLDEST, item.uuid)


def merge_sorted(per_cell: Iterable[list[Instance]]) -> list[Instance]:
    """Merge lists each already newest first into one newest first."""
    return list(heapq.merge(*per_cell, key=sort_key, reverse=True))


def gather(router: CellRouter, project_id: str | None = None, *,
           deleted: bool = False, timeout: float = CELL_TIMEOUT) -> Gathered:
    """Every cell's instances of `project_id` (all projects with None), plus the
    project's build requests; soft-deleted ones instead with `deleted`."""
    def read(cell: CellMapping) -> list[Instance]:
        with router.cell_db(cell, readonly=True) as s:
            found = inst_q.list_instances(s, project_id=project_id, deleted=deleted)
        return sorted(found, key=sort_key, reverse=True)

    # Build requests first, cells second: an instance scheduled in between is then in
    # both (never in neither), and the cell's copy wins.
    builds: list[Instance] = []
    if project_id and not deleted:
        with router.api(readonly=True) as s:
            builds = [b.instance for b in api_q.list_build_requests(s, project_id)]
    answers = scatter_gather(router.cells(), read, timeout)
    lists = [a for a in answers.values() if not isinstance(a, CellFailed)]
    in_cells = {i.uuid for found in lists for i in found}
    lists.append(sorted((b for b in builds if b.uuid not in in_cells), key=sort_key,
                        reverse=True))
    down = [a.cell for a in answers.values() if isinstance(a, CellFailed)]
    unknown = [] if deleted else _unknown_servers(router, down, project_id)
    return Gathered(merge_sorted(lists), unknown, down)


def _unknown_servers(router: CellRouter, cells: list[CellMapping],
                     project_id: str | None) -> list[UnknownServer]:
    if not cells:
        return []
    query = (select(InstanceMappingRow, CellMappingRow.uuid)
             .join(CellMappingRow, InstanceMappingRow.cell_id == CellMappingRow.id)
             .where(CellMappingRow.uuid.in_([c.uuid for c in cells]),
                    InstanceMappingRow.queued_for_delete.is_(False)))
    if project_id:
        query = query.where(InstanceMappingRow.project_id == project_id)
    with router.api(readonly=True) as s:
        found = [UnknownServer(uuid=m.instance_uuid, project_id=m.project_id,
                               user_id=m.user_id, created_at=m.created_at,
                               cell_uuid=cell_uuid)
                 for m, cell_uuid in s.execute(query)]
    return sorted(found, key=sort_key, reverse=True)


def mark_queued_for_delete(router: CellRouter, instance_uuid: str) -> None:
    """Flag the instance's mapping as deleted, so a server deleted before its cell
    went down is not listed as UNKNOWN while the cell is down."""
    with router.api() as s:
        s.execute(update(InstanceMappingRow)
                  .where(InstanceMappingRow.instance_uuid == instance_uuid)
                  .values(queued_for_delete=True)
                  .execution_options(synchronize_session=False))
