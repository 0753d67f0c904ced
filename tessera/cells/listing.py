"""Servers of every cell, merged into one listing (upstream's `instance_list`).

Each cell's instances come back sorted by Nova's default order, newest first:
`created_at` descending, then (Tessera's global tie-break, where Nova uses the
per-cell integer id) the uuid descending; the lists are merged, not re-sorted. Servers
not scheduled yet come from their build requests in the API database.

A cell that fails to answer is not an error for the listing: its servers, known from
the instance mappings of the API database, come back as `UnknownServer`s (rendered
with status UNKNOWN from microversion 2.69, left out before).

A page is pushed down to the cells: with `limit` (and `after`, the marker's instance)
each cell returns at most `limit` rows older than the marker, in the order above, from
its `(created_at, uuid)` index; the merge of those holds the page. Nothing older than
the page is read.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from tessera.cells.scatter import CELL_TIMEOUT, CellFailed, scatter_gather
from tessera.db.api import queries as api_q
from tessera.db.api.models import CellMappingRow, InstanceMappingRow
from tessera.db.cell.models import InstanceRow
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


def newest_first(session: Session, project_id: str | None = None, *,
                 deleted: bool = False, after: Instance | None = None,
                 limit: int | None = None) -> list[Instance]:
    """One cell's instances in the listing order, those older than `after` only, at
    most `limit` of them (instances always have a creation time)."""
    query = select(InstanceRow.body).where(InstanceRow.deleted == (1 if deleted else 0))
    if project_id is not None:
        query = query.where(InstanceRow.project_id == project_id)
    if after is not None and after.created_at is not None:
        query = query.where(or_(InstanceRow.created_at < after.created_at,
                                and_(InstanceRow.created_at == after.created_at,
                                     InstanceRow.uuid < after.uuid)))
    query = query.order_by(InstanceRow.created_at.desc(), InstanceRow.uuid.desc())
    if limit is not None:
        query = query.limit(limit)
    found = [Instance.from_json(body) for body in session.scalars(query)]
    # Re-sorted with the merge's own key, so a database's collation of uuids can
    # never break the merge's assumption.
    return sorted(found, key=sort_key, reverse=True)


def gather(router: CellRouter, project_id: str | None = None, *,
           deleted: bool = False, timeout: float = CELL_TIMEOUT,
           limit: int | None = None, after: Instance | None = None) -> Gathered:
    """Every cell's instances of `project_id` (all projects with None), plus the
    project's build requests; soft-deleted ones instead with `deleted`. With `limit`
    and/or `after`, only the first `limit` servers older than `after` (the merged
    page; the down cells' servers are then left out when `after` is given, as they
    list before every live one)."""
    def read(cell: CellMapping) -> list[Instance]:
        with router.cell_db(cell, readonly=True) as s:
            return newest_first(s, project_id, deleted=deleted, after=after,
                                limit=limit)

    # Build requests first, cells second: an instance scheduled in between is then in
    # both (never in neither), and the cell's copy wins.
    builds: list[Instance] = []
    if project_id and not deleted:
        with router.api(readonly=True) as s:
            builds = [b.instance for b in api_q.list_build_requests(s, project_id)]
    answers = scatter_gather(router.cells(), read, timeout)
    lists = [a for a in answers.values() if not isinstance(a, CellFailed)]
    in_cells = {i.uuid for found in lists for i in found}
    bound = sort_key(after) if after is not None else None
    lists.append(sorted((b for b in builds if b.uuid not in in_cells
                         and (bound is None or sort_key(b) < bound)),
                        key=sort_key, reverse=True))
    down = [a.cell for a in answers.values() if isinstance(a, CellFailed)]
    unknown = [] if deleted or after is not None else _unknown_servers(
        router, down, project_id)
    merged = merge_sorted(lists)
    if limit is not None:
        merged, unknown = merged[:limit], unknown[:limit]
    return Gathered(merged, unknown, down)


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


def unknown_server(router: CellRouter, instance_uuid: str) -> UnknownServer | None:
    """The server as the API database knows it when its cell's database does not
    answer now; None if it is not mapped to a cell, or its cell answers."""
    cell = router.cell_of_instance(instance_uuid)
    if cell is None or router.probe(cell):
        return None
    with router.api(readonly=True) as s:
        mapping = s.scalars(select(InstanceMappingRow).where(
            InstanceMappingRow.instance_uuid == instance_uuid,
            InstanceMappingRow.queued_for_delete.is_(False))).first()
        if mapping is None:
            return None
        return UnknownServer(uuid=mapping.instance_uuid, project_id=mapping.project_id,
                             user_id=mapping.user_id, created_at=mapping.created_at,
                             cell_uuid=cell.uuid)


def mark_queued_for_delete(router: CellRouter, instance_uuid: str) -> None:
    """Flag the instance's mapping as deleted, so a server deleted before its cell
    went down is not listed as UNKNOWN while the cell is down."""
    with router.api() as s:
        s.execute(update(InstanceMappingRow)
                  .where(InstanceMappingRow.instance_uuid == instance_uuid)
                  .values(queued_for_delete=True)
                  .execution_options(synchronize_session=False))
