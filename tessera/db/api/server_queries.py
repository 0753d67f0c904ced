"""Queries of the API-only tables (revision api003): key pairs, instance actions and
their events, server extras. They return the typed objects defined here, which only
the compute API uses (they never cross RPC)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tessera.db import errors
from tessera.db._util import add_row, utcnow
from tessera.db.api.server_models import (InstanceActionEventRow, InstanceActionRow,
                                          KeyPairRow, ServerExtraRow)
from tessera.objects import Flavor
from tessera.objects.base import TesseraObject


class KeyPairNotFound(errors.NotFound):
    pass


class KeyPairExists(errors.DuplicateEntry):
    pass


class InstanceActionNotFound(errors.NotFound):
    pass


class KeyPair(TesseraObject):
    name: str
    user_id: str
    fingerprint: str
    public_key: str
    type: str = "ssh"
    id: int | None = None
    created_at: datetime | None = None


class InstanceActionEvent(TesseraObject):
    event: str
    result: str | None = None
    traceback: str | None = None
    details: str | None = None
    host: str | None = None
    start_time: datetime | None = None
    finish_time: datetime | None = None


class InstanceAction(TesseraObject):
    id: int | None = None
    instance_uuid: str
    request_id: str
    action: str
    project_id: str | None = None
    user_id: str | None = None
    message: str | None = None
    start_time: datetime | None = None
    finish_time: datetime | None = None
    updated_at: datetime | None = None
    events: tuple[InstanceActionEvent, ...] = ()


class ServerExtra(TesseraObject):
    instance_uuid: str
    description: str | None = None
    tags: tuple[str, ...] = ()


# -- key pairs ----------------------------------------------------------------------

def _to_keypair(row: KeyPairRow) -> KeyPair:
    return KeyPair(id=row.id, name=row.name, user_id=row.user_id,
                   fingerprint=row.fingerprint, public_key=row.public_key, type=row.type,
                   created_at=row.created_at)


def create_keypair(session: Session, keypair: KeyPair) -> KeyPair:
    """Store a key pair; `KeyPairExists` if the user already has one by that name."""
    row = KeyPairRow(name=keypair.name, user_id=keypair.user_id,
                     fingerprint=keypair.fingerprint, public_key=keypair.public_key,
                     type=keypair.type, created_at=utcnow())
    add_row(session, row, lambda: KeyPairExists(
        keypair.name, "Key pair '%s' already exists." % keypair.name))
    return _to_keypair(row)


def get_keypair(session: Session, user_id: str, name: str) -> KeyPair:
    row = session.scalars(select(KeyPairRow).where(
        KeyPairRow.user_id == user_id, KeyPairRow.name == name)).first()
    if row is None:
        raise KeyPairNotFound(name, "Keypair %s not found for user %s" % (name, user_id))
    return _to_keypair(row)


def list_keypairs(session: Session, user_id: str, *, marker: str | None = None,
                  limit: int | None = None) -> list[KeyPair]:
    """A user's key pairs sorted by name; `marker` is the name after which to start."""
    query = select(KeyPairRow).where(KeyPairRow.user_id == user_id).order_by(
        KeyPairRow.name)
    if marker is not None:
        get_keypair(session, user_id, marker)
        query = query.where(KeyPairRow.name > marker)
    if limit is not None:
        query = query.limit(limit)
    return [_to_keypair(r) for r in session.scalars(query)]


def delete_keypair(session: Session, user_id: str, name: str) -> None:
    result = session.execute(delete(KeyPairRow).where(
        KeyPairRow.user_id == user_id, KeyPairRow.name == name))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise KeyPairNotFound(name, "Keypair %s not found for user %s" % (name, user_id))


# -- instance actions ---------------------------------------------------------------

def _to_action(row: InstanceActionRow, events: list[InstanceActionEventRow] | None = None
               ) -> InstanceAction:
    return InstanceAction(
        id=row.id, instance_uuid=row.instance_uuid, request_id=row.request_id,
        action=row.action, project_id=row.project_id, user_id=row.user_id,
        message=row.message, start_time=row.start_time, finish_time=row.finish_time,
        updated_at=row.updated_at,
        events=tuple(InstanceActionEvent(event=e.event, result=e.result,
                                         traceback=e.traceback, details=e.details,
                                         host=e.host, start_time=e.start_time,
                                         finish_time=e.finish_time)
                     for e in events or ()))


def start_action(session: Session, action: InstanceAction) -> InstanceAction:
    """Record an action (start_time defaults to now) with its events."""
    now = utcnow()
    row = InstanceActionRow(instance_uuid=action.instance_uuid,
                            request_id=action.request_id, action=action.action,
                            project_id=action.project_id, user_id=action.user_id,
                            message=action.message, start_time=action.start_time or now,
                            finish_time=action.finish_time, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    for event in action.events:
        session.add(InstanceActionEventRow(
            action_id=row.id, event=event.event, result=event.result,
            traceback=event.traceback, details=event.details, host=event.host,
            start_time=event.start_time or now, finish_time=event.finish_time,
            created_at=now))
    session.flush()
    return get_action(session, action.instance_uuid, action.request_id)


def finish_action(session: Session, action_id: int, result: str, host: str | None,
                  message: str | None = None) -> None:
    """Close an open action and its open events with `result` (Success or Error)."""
    row = session.get(InstanceActionRow, action_id)
    if row is None or row.finish_time is not None:
        return
    now = utcnow()
    row.finish_time, row.updated_at = now, now
    if message is not None:
        row.message = message[:255]
    for event in session.scalars(select(InstanceActionEventRow).where(
            InstanceActionEventRow.action_id == action_id)):
        if event.finish_time is None:
            event.finish_time, event.result, event.updated_at = now, result, now
            event.host = event.host or host
    session.flush()


def list_actions(session: Session, instance_uuid: str) -> list[InstanceAction]:
    """An instance's actions, newest first (as Nova lists them), without events."""
    rows = session.scalars(select(InstanceActionRow).where(
        InstanceActionRow.instance_uuid == instance_uuid).order_by(
        InstanceActionRow.created_at.desc(), InstanceActionRow.id.desc()))
    return [_to_action(r) for r in rows]


def get_action(session: Session, instance_uuid: str, request_id: str) -> InstanceAction:
    row = session.scalars(select(InstanceActionRow).where(
        InstanceActionRow.instance_uuid == instance_uuid,
        InstanceActionRow.request_id == request_id)).first()
    if row is None:
        raise InstanceActionNotFound(request_id, "Action %s not found" % request_id)
    events = list(session.scalars(select(InstanceActionEventRow).where(
        InstanceActionEventRow.action_id == row.id).order_by(InstanceActionEventRow.id)))
    return _to_action(row, events)


# -- server extras ------------------------------------------------------------------

def get_extra(session: Session, instance_uuid: str) -> ServerExtra:
    row = session.scalars(select(ServerExtraRow).where(
        ServerExtraRow.instance_uuid == instance_uuid)).first()
    if row is None:
        return ServerExtra(instance_uuid=instance_uuid)
    return ServerExtra(instance_uuid=instance_uuid, description=row.description,
                       tags=tuple(json.loads(row.tags)))


def get_extras(session: Session, uuids: list[str]) -> dict[str, ServerExtra]:
    """The extras of many servers at once (missing ones are empty)."""
    out = {u: ServerExtra(instance_uuid=u) for u in uuids}
    for row in session.scalars(select(ServerExtraRow).where(
            ServerExtraRow.instance_uuid.in_(uuids))):
        out[row.instance_uuid] = ServerExtra(instance_uuid=row.instance_uuid,
                                             description=row.description,
                                             tags=tuple(json.loads(row.tags)))
    return out


def save_extra(session: Session, extra: ServerExtra) -> ServerExtra:
    """Write a server's description and tags whole (insert or update)."""
    row = session.scalars(select(ServerExtraRow).where(
        ServerExtraRow.instance_uuid == extra.instance_uuid)).first()
    now = utcnow()
    if row is None:
        row = ServerExtraRow(instance_uuid=extra.instance_uuid, created_at=now)
        session.add(row)
    row.description, row.tags, row.updated_at = (extra.description,
                                                 json.dumps(list(extra.tags)), now)
    session.flush()
    return extra


def update_flavor_description(session: Session, flavorid: str,
                              description: str | None) -> "Flavor":
    """Set a flavor's description (the only field Nova lets one update, 2.55+)."""
    from tessera.db.api import flavors as flavor_q
    from tessera.db.api.models import FlavorRow
    row = session.scalars(select(FlavorRow).where(FlavorRow.flavorid == flavorid)).first()
    if row is None:
        raise errors.FlavorNotFound(flavorid)
    row.description, row.updated_at = description, utcnow()
    session.flush()
    return flavor_q.get_flavor(session, flavorid)
