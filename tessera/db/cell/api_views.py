"""Read-mostly queries of a cell database for the compute API's admin views
(os-services, os-hypervisors): rows with both their integer id (before microversion
2.53) and their uuid (from 2.53), which the `Service` object does not carry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tessera.db import errors
from tessera.db._util import utcnow
from tessera.db.cell.models import ComputeNodeRow, ServiceRow
from tessera.objects import ComputeNode


@dataclass(frozen=True)
class ServiceRecord:
    id: int
    uuid: str
    host: str
    binary: str
    disabled: bool
    disabled_reason: str | None
    forced_down: bool
    last_seen_up: datetime | None
    updated_at: datetime | None


@dataclass(frozen=True)
class NodeRecord:
    id: int
    node: ComputeNode


def _service(row: ServiceRow) -> ServiceRecord:
    return ServiceRecord(id=row.id, uuid=row.uuid, host=row.host, binary=row.binary,
                         disabled=row.disabled, disabled_reason=row.disabled_reason,
                         forced_down=row.forced_down, last_seen_up=row.last_seen_up,
                         updated_at=row.updated_at or row.created_at)


def list_service_records(session: Session) -> list[ServiceRecord]:
    return [_service(r) for r in session.scalars(select(ServiceRow).order_by(ServiceRow.id))]


def update_service_record(session: Session, key: str | int, **values: object
                          ) -> ServiceRecord:
    """Update a service found by uuid (or integer id); `ServiceNotFound` otherwise."""
    clause = ServiceRow.uuid == str(key)
    if isinstance(key, int) or str(key).isdigit():
        clause = or_(clause, ServiceRow.id == int(key))
    row = session.scalars(select(ServiceRow).where(clause)).first()
    if row is None:
        raise errors.ServiceNotFound(key)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    session.flush()
    return _service(row)


def list_node_records(session: Session) -> list[NodeRecord]:
    rows = session.scalars(select(ComputeNodeRow).order_by(ComputeNodeRow.id))
    return [NodeRecord(id=r.id, node=ComputeNode.from_json(r.numa_topology).model_copy(
        update={"generation": r.generation, "updated_at": r.updated_at})) for r in rows]
