"""Queries of the `security_groups` table (revision api006): list, show, create and
delete groups, and each project's `default` group, created the first time the project
uses the service."""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tessera.db._util import utcnow
from tessera.db.api.network_models import PortSecurityGroupRow, SecurityGroupRow
from tessera.network import errors
from tessera.network.types import SecurityGroup

DEFAULT_NAME = "default"
DEFAULT_DESCRIPTION = "Default security group"


def _to_group(row: SecurityGroupRow) -> SecurityGroup:
    return SecurityGroup(id=row.uuid, project_id=row.project_id, name=row.name or "",
                         description=row.description or "", stateful=row.stateful,
                         is_default=row.default_for is not None,
                         created_at=row.created_at, updated_at=row.updated_at)


def _row(session: Session, group_id: str) -> SecurityGroupRow:
    row = session.scalars(select(SecurityGroupRow)
                          .where(SecurityGroupRow.uuid == group_id)).first()
    if row is None:
        raise errors.SecurityGroupNotFound(group_id)
    return row


def ensure_default(session: Session, project_id: str) -> SecurityGroup:
    """The project's `default` group, created if it has none (a concurrent creator's
    group wins: `default_for` is unique)."""
    query = select(SecurityGroupRow).where(SecurityGroupRow.default_for == project_id)
    row = session.scalars(query).first()
    if row is not None:
        return _to_group(row)
    now = utcnow()
    row = SecurityGroupRow(uuid=str(uuidlib.uuid4()), project_id=project_id,
                           name=DEFAULT_NAME, description=DEFAULT_DESCRIPTION,
                           stateful=True, default_for=project_id,
                           created_at=now, updated_at=now)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        row = session.scalars(query).one()
    return _to_group(row)


def create(session: Session, project_id: str, name: str, description: str = "",
           stateful: bool = True) -> SecurityGroup:
    now = utcnow()
    row = SecurityGroupRow(uuid=str(uuidlib.uuid4()), project_id=project_id, name=name,
                           description=description, stateful=stateful,
                           default_for=None, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    return _to_group(row)


def get(session: Session, group_id: str) -> SecurityGroup:
    return _to_group(_row(session, group_id))


def list_groups(session: Session, project_ids: Sequence[str] | None = None,
                names: Sequence[str] | None = None,
                ids: Sequence[str] | None = None) -> list[SecurityGroup]:
    """Groups, oldest first; each filter given keeps the groups matching one of its
    values."""
    query = select(SecurityGroupRow).order_by(SecurityGroupRow.id)
    if project_ids is not None:
        query = query.where(SecurityGroupRow.project_id.in_(project_ids))
    if names is not None:
        query = query.where(SecurityGroupRow.name.in_(names))
    if ids is not None:
        query = query.where(SecurityGroupRow.uuid.in_(ids))
    return [_to_group(r) for r in session.scalars(query)]


def update(session: Session, group_id: str, *, name: str | None = None,
           description: str | None = None) -> SecurityGroup:
    row = _row(session, group_id)
    if row.default_for is not None and name not in (None, DEFAULT_NAME):
        raise errors.InvalidInput("Updating default security group not allowed.")
    if name is not None:
        row.name = name
    if description is not None:
        row.description = description
    row.updated_at = utcnow()
    session.flush()
    return _to_group(row)


def ports_using(session: Session, group_id: str) -> int:
    """How many ports the group is applied to."""
    row = _row(session, group_id)
    links = session.scalars(select(PortSecurityGroupRow.id)
                            .where(PortSecurityGroupRow.security_group_id == row.id))
    return len(list(links))


def delete(session: Session, group_id: str) -> None:
    """Delete a group no port uses (`InUse` otherwise)."""
    if ports_using(session, group_id):
        raise errors.InUse("Security Group %s in use." % group_id)
    session.delete(_row(session, group_id))
    session.flush()


def resolve(session: Session, project_id: str | None, refs: Sequence[str]) -> list[str]:
    """The ids of the groups `refs` names (ids, or names unique in the project)."""
    out: list[str] = []
    for ref in refs:
        row = session.scalars(select(SecurityGroupRow)
                              .where(SecurityGroupRow.uuid == ref)).first()
        if row is None:
            rows = list(session.scalars(select(SecurityGroupRow).where(
                SecurityGroupRow.name == ref, SecurityGroupRow.project_id == project_id)))
            if len(rows) != 1:
                raise errors.SecurityGroupNotFound(ref)
            row = rows[0]
        out.append(row.uuid)
    return out
