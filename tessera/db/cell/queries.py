"""Queries of a cell database. Every function takes a `Session` (one unit of work,
see `tessera.db.engine.session_scope`) and returns `tessera.objects` objects.

Services and compute nodes live in `hosts`, instances and faults in `instances`; this
module adds migrations and re-exports the lot, so callers import one module.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tessera.db import errors
from tessera.db._util import add_row, utcnow
from tessera.db.cell.hosts import (create_or_get_service, create_or_update_compute_node,
                                   get_compute_node, get_compute_node_by_uuid,
                                   get_service, heartbeat, list_compute_nodes,
                                   list_services, mark_compute_nodes_mapped, save_usage,
                                   set_service_disabled)
from tessera.db.cell.instances import (ANY_TASK_STATE, add_instance_fault,
                                       create_instance, get_instance, get_latest_fault,
                                       list_instances, list_instances_by_host,
                                       save_instance, soft_delete_instance)
from tessera.db.cell.models import MigrationRow
from tessera.objects import Migration, MigrationStatus

__all__ = [
    "create_or_get_service", "get_service", "list_services", "heartbeat",
    "set_service_disabled", "create_or_update_compute_node", "get_compute_node",
    "get_compute_node_by_uuid", "list_compute_nodes", "mark_compute_nodes_mapped",
    "save_usage", "ANY_TASK_STATE", "create_instance", "get_instance", "save_instance",
    "list_instances", "list_instances_by_host", "soft_delete_instance",
    "add_instance_fault", "get_latest_fault", "create_migration", "get_migration",
    "save_migration", "list_migrations_for_instance", "list_migrations",
]


def _columns(migration: Migration) -> dict[str, Any]:
    return {"instance_uuid": migration.instance_uuid,
            "migration_type": migration.migration_type,
            "status": migration.status.value, "source_compute": migration.source_compute,
            "dest_compute": migration.dest_compute, "source_node": migration.source_node,
            "dest_node": migration.dest_node, "body": migration.to_json(),
            "created_at": migration.created_at, "updated_at": migration.updated_at}


def _row(session: Session, uuid: str) -> MigrationRow:
    row = session.scalars(select(MigrationRow).where(MigrationRow.uuid == uuid)).first()
    if row is None:
        raise errors.MigrationNotFound(uuid)
    return row


def create_migration(session: Session, migration: Migration) -> Migration:
    """Record a move (created_at defaults to now); `MigrationExists` if the uuid is
    taken."""
    stored = migration.model_copy(update={"created_at": migration.created_at or utcnow()})
    add_row(session, MigrationRow(uuid=stored.uuid, **_columns(stored)),
            lambda: errors.MigrationExists(migration.uuid))
    return stored


def get_migration(session: Session, uuid: str) -> Migration:
    return Migration.from_json(_row(session, uuid).body)


def save_migration(session: Session, migration: Migration) -> Migration:
    """Write the migration whole (its status above all); updated_at = now."""
    row = _row(session, migration.uuid)
    stored = migration.model_copy(update={"updated_at": utcnow()})
    for name, value in _columns(stored).items():
        setattr(row, name, value)
    session.flush()
    return stored


def list_migrations_for_instance(session: Session, instance_uuid: str) -> list[Migration]:
    """An instance's moves, oldest first."""
    rows = session.scalars(select(MigrationRow.body).where(
        MigrationRow.instance_uuid == instance_uuid).order_by(
        MigrationRow.created_at, MigrationRow.id))
    return [Migration.from_json(body) for body in rows]


def list_migrations(session: Session, *,
                    status: MigrationStatus | Iterable[MigrationStatus] | None = None,
                    host: str | None = None) -> list[Migration]:
    """Migrations in one of `status` and/or touching `host` (as source or
    destination), oldest first: what a compute service looks for at start."""
    query = select(MigrationRow.body).order_by(MigrationRow.created_at, MigrationRow.id)
    if status is not None:
        statuses = [status] if isinstance(status, (MigrationStatus, str)) else status
        query = query.where(MigrationRow.status.in_(
            [MigrationStatus(s).value for s in statuses]))
    if host is not None:
        query = query.where(or_(MigrationRow.source_compute == host,
                                MigrationRow.dest_compute == host))
    return [Migration.from_json(body) for body in session.scalars(query)]
