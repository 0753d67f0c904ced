"""Instance and instance fault queries of a cell database (re-exported by
`tessera.db.cell.queries`).

The `body` column holds the whole Instance JSON and is the source of truth; the
scalar columns are copies written in the same statement, for filtering, sorting and
for the task-state compare-and-swap of `save_instance` (upstream's
`expected_task_state`): a save that expects the instance to be, say, SPAWNING fails
with `UnexpectedTaskState` if a delete has moved it to DELETING meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from tessera.db import errors
from tessera.db._util import add_row, utcnow
from tessera.db.cell.models import InstanceFaultRow, InstanceRow
from tessera.objects import Instance, InstanceFault, TaskState, VmState

ANY_TASK_STATE: Final = object()
"""Default of `save_instance(expected_task_state=...)`: save whatever the task state."""

TaskStates = TaskState | None | Iterable[TaskState | None]


def _columns(instance: Instance) -> dict[str, Any]:
    return {"display_name": instance.display_name, "project_id": instance.project_id,
            "user_id": instance.user_id, "host": instance.host, "node": instance.node,
            "vm_state": instance.vm_state.value,
            "task_state": instance.task_state.value if instance.task_state else None,
            "power_state": int(instance.power_state),
            "availability_zone": instance.availability_zone,
            "created_at": instance.created_at, "updated_at": instance.updated_at,
            "launched_at": instance.launched_at, "terminated_at": instance.terminated_at,
            "deleted": 1 if instance.deleted else 0, "body": instance.to_json()}


def _row(session: Session, uuid: str, read_deleted: bool = False) -> InstanceRow:
    query = select(InstanceRow).where(InstanceRow.uuid == uuid)
    if not read_deleted:
        query = query.where(InstanceRow.deleted == 0)
    row = session.scalars(query).first()
    if row is None:
        raise errors.InstanceNotFound(uuid)
    return row


def create_instance(session: Session, instance: Instance) -> Instance:
    """Store a new instance (created_at defaults to now); `InstanceExists` if the
    uuid is taken."""
    stored = instance.model_copy(update={"created_at": instance.created_at or utcnow()})
    add_row(session, InstanceRow(uuid=stored.uuid, **_columns(stored)),
            lambda: errors.InstanceExists(instance.uuid))
    return stored


def get_instance(session: Session, uuid: str, *, read_deleted: bool = False) -> Instance:
    return Instance.from_json(_row(session, uuid, read_deleted).body)


def save_instance(session: Session, instance: Instance,
                  expected_task_state: TaskStates | object = ANY_TASK_STATE) -> Instance:
    """Write the instance whole (updated_at = now). With `expected_task_state` (a
    state, None, or several), only if the stored task state is one of them, in the
    same UPDATE; otherwise `UnexpectedTaskState` and nothing is written."""
    stored = instance.model_copy(update={"updated_at": utcnow()})
    query = update(InstanceRow).where(InstanceRow.uuid == instance.uuid)
    if expected_task_state is not ANY_TASK_STATE:
        expected = _expected(expected_task_state)
        values = [s for s in expected if s is not None]
        clauses = [InstanceRow.task_state.in_(values)] if values else []
        if None in expected:
            clauses.append(InstanceRow.task_state.is_(None))
        query = query.where(or_(*clauses))
    result = session.execute(query.values(**_columns(stored)).execution_options(
        synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        actual = session.execute(select(InstanceRow.task_state).where(
            InstanceRow.uuid == instance.uuid)).first()
        if actual is None:
            raise errors.InstanceNotFound(instance.uuid)
        raise errors.UnexpectedTaskState(instance.uuid, expected_task_state, actual[0])
    session.expire_all()
    return stored


def _expected(states: Any) -> list[str | None]:
    if states is None or isinstance(states, (TaskState, str)):
        states = [states]
    return [TaskState(s).value if s is not None else None for s in states]


def list_instances_by_host(session: Session, host: str) -> list[Instance]:
    """The live instances a compute host holds (to rebuild its usage on restart)."""
    return list_instances(session, host=host)


def list_instances(session: Session, *, project_id: str | None = None,
                   host: str | None = None, vm_state: VmState | None = None,
                   deleted: bool = False, marker: str | None = None,
                   limit: int | None = None) -> list[Instance]:
    """Instances sorted by created_at then uuid (stable pages); `marker` is the uuid
    after which to start, `MarkerNotFound` if there is no such instance."""
    query = select(InstanceRow.body).where(InstanceRow.deleted == (1 if deleted else 0))
    if project_id is not None:
        query = query.where(InstanceRow.project_id == project_id)
    if host is not None:
        query = query.where(InstanceRow.host == host)
    if vm_state is not None:
        query = query.where(InstanceRow.vm_state == VmState(vm_state).value)
    if marker is not None:
        mark = session.execute(select(InstanceRow.created_at, InstanceRow.uuid).where(
            InstanceRow.uuid == marker)).first()
        if mark is None:
            raise errors.MarkerNotFound(marker)
        query = query.where(or_(InstanceRow.created_at > mark.created_at,
                                and_(InstanceRow.created_at == mark.created_at,
                                     InstanceRow.uuid > mark.uuid)))
    query = query.order_by(InstanceRow.created_at, InstanceRow.uuid)
    if limit is not None:
        query = query.limit(limit)
    return [Instance.from_json(body) for body in session.scalars(query)]


def soft_delete_instance(session: Session, uuid: str) -> Instance:
    """Mark the instance deleted (terminated_at = now if unset); it disappears from
    lists and gets, unless read with `read_deleted` / `deleted=True`."""
    instance = get_instance(session, uuid)
    now = utcnow()
    deleted = instance.model_copy(update={
        "deleted": True, "terminated_at": instance.terminated_at or now,
        "updated_at": now})
    session.execute(update(InstanceRow).where(InstanceRow.uuid == uuid).values(
        **_columns(deleted)).execution_options(synchronize_session=False))
    session.expire_all()
    return deleted


def add_instance_fault(session: Session, fault: InstanceFault) -> InstanceFault:
    """Record why an instance failed (message cut to 255 characters, as upstream);
    `InstanceNotFound` if the instance is unknown to this cell."""
    _row(session, fault.instance_uuid, read_deleted=True)
    stored = fault.model_copy(update={"created_at": fault.created_at or utcnow(),
                                      "message": fault.message[:255]})
    session.add(InstanceFaultRow(
        instance_uuid=stored.instance_uuid, code=stored.code, message=stored.message,
        details=stored.details, host=stored.host, created_at=stored.created_at))
    session.flush()
    return stored


def get_latest_fault(session: Session, instance_uuid: str) -> InstanceFault | None:
    row = session.scalars(select(InstanceFaultRow).where(
        InstanceFaultRow.instance_uuid == instance_uuid).order_by(
        InstanceFaultRow.created_at.desc(), InstanceFaultRow.id.desc())).first()
    if row is None:
        return None
    return InstanceFault(instance_uuid=row.instance_uuid, code=row.code,
                         message=row.message, details=row.details or "", host=row.host,
                         created_at=row.created_at)
