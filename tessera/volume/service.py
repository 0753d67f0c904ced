"""The block storage service's state, in the API database: volumes and their
attachments, and the rules of the volume status (volume types: `types`).

A volume's status is derived from its attachments whenever one changes (`_settle`),
so it never disagrees with them:

    creating -> available -> reserved -> attaching -> in-use -> detaching -> available
                                 (a reserved attachment, one with a connection, one
                                 completed, one being detached)

`error` and `deleting` are set directly. Reserving a volume is a compare-and-swap on
its status in one UPDATE, so two servers racing for a volume that is not
multi-attach cannot both get it.
"""

from __future__ import annotations

import json
import uuid as uuidlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from tessera.db._util import utcnow
from tessera.db.api.volume_models import VolumeAttachmentRow, VolumeRow, VolumeTypeRow
from tessera.volume.errors import (Conflict, InvalidInput, InvalidVolume,  # noqa: F401
                                   NotFound, VolumeServiceError)
from tessera.volume.types import default_type, get_type

MAX_SIZE_GB = 16384

# Statuses a new attachment may start from.
RESERVABLE = ("available",)
RESERVABLE_MULTIATTACH = ("available", "reserved", "attaching", "in-use")
DELETABLE = ("available", "error", "error_deleting")

RESERVED, ATTACHING, ATTACHED, DETACHING = "reserved", "attaching", "attached", "detaching"


@dataclass(frozen=True)
class Attachment:
    id: str
    volume_id: str
    instance_uuid: str | None
    status: str
    mode: str = "rw"
    mountpoint: str | None = None
    host: str | None = None
    connector: dict[str, Any] | None = None
    connection_info: dict[str, Any] | None = None
    attached_at: datetime | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class Volume:
    id: str
    name: str | None
    description: str | None
    size: int
    status: str
    project_id: str
    user_id: str | None
    availability_zone: str | None
    volume_type_id: str | None
    volume_type_name: str | None
    multiattach: bool
    metadata: dict[str, str]
    attachments: tuple[Attachment, ...] = ()
    created_at: datetime | None = None
    updated_at: datetime | None = None


# -- volumes -------------------------------------------------------------------------

def _to_attachment(row: VolumeAttachmentRow) -> Attachment:
    return Attachment(id=row.uuid, volume_id=row.volume_uuid,
                      instance_uuid=row.instance_uuid, status=row.attach_status,
                      mode=row.attach_mode, mountpoint=row.mountpoint,
                      host=row.attached_host,
                      connector=json.loads(row.connector) if row.connector else None,
                      connection_info=(json.loads(row.connection_info)
                                       if row.connection_info else None),
                      attached_at=row.attach_time, created_at=row.created_at)


def _attachment_rows(session: Session, volume_uuid: str) -> list[VolumeAttachmentRow]:
    return list(session.scalars(select(VolumeAttachmentRow).where(
        VolumeAttachmentRow.volume_uuid == volume_uuid).order_by(
        VolumeAttachmentRow.created_at, VolumeAttachmentRow.id)))


def _to_volume(session: Session, row: VolumeRow) -> Volume:
    type_name = None
    if row.volume_type_id:
        vt = session.scalars(select(VolumeTypeRow.name).where(
            VolumeTypeRow.uuid == row.volume_type_id)).first()
        type_name = vt
    return Volume(id=row.uuid, name=row.name, description=row.description, size=row.size,
                  status=row.status, project_id=row.project_id, user_id=row.user_id,
                  availability_zone=row.availability_zone,
                  volume_type_id=row.volume_type_id, volume_type_name=type_name,
                  multiattach=row.multiattach, metadata=json.loads(row.metadata_json),
                  attachments=tuple(_to_attachment(a)
                                    for a in _attachment_rows(session, row.uuid)),
                  created_at=row.created_at, updated_at=row.updated_at)


def _volume_row(session: Session, volume_id: str) -> VolumeRow:
    row = session.scalars(select(VolumeRow).where(VolumeRow.uuid == volume_id)).first()
    if row is None:
        raise NotFound("Volume %s could not be found." % volume_id)
    return row


def check_size(size: Any) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, str)):
        raise InvalidInput("Invalid input received: size must be an integer")
    try:
        value = int(size)
    except ValueError:
        raise InvalidInput("Invalid input received: size %s must be an integer" % size) \
            from None
    if not 0 < value <= MAX_SIZE_GB:
        raise InvalidInput("Invalid input received: Volume size '%s' must be an integer "
                           "and greater than 0 (at most %d)." % (size, MAX_SIZE_GB))
    return value


def create_volume(session: Session, *, project_id: str, user_id: str | None, size: Any,
                  name: str | None = None, description: str | None = None,
                  volume_type: str | None = None, availability_zone: str | None = None,
                  metadata: dict[str, str] | None = None,
                  multiattach: bool = False) -> Volume:
    """A new volume in `creating` (the caller makes its file, then `set_status`).
    `multiattach` asks for a shareable volume, which needs a multiattach type."""
    gb = check_size(size)
    vtype = get_type(session, volume_type) if volume_type else default_type(session)
    if multiattach and not vtype.multiattach:
        raise InvalidInput("multiattach=True is given but volume type %s does not say "
                           "multiattach=\"<is> True\"." % vtype.name)
    if metadata is not None and not (isinstance(metadata, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())):
        raise InvalidInput("Invalid input received: metadata must be a map of strings")
    if name is not None and (not isinstance(name, str) or len(name) > 255):
        raise InvalidInput("Invalid input received: name must be a string of at most "
                           "255 characters")
    now = utcnow()
    row = VolumeRow(uuid=str(uuidlib.uuid4()), name=name, description=description,
                    size=gb, status="creating", project_id=project_id, user_id=user_id,
                    availability_zone=availability_zone or "nova",
                    volume_type_id=vtype.id, multiattach=vtype.multiattach,
                    metadata_json=json.dumps(metadata or {}), created_at=now,
                    updated_at=now)
    session.add(row)
    session.flush()
    return _to_volume(session, row)


def get_volume(session: Session, volume_id: str) -> Volume:
    return _to_volume(session, _volume_row(session, volume_id))


def list_volumes(session: Session, project_id: str | None = None) -> list[Volume]:
    """Volumes newest first (of one project, or all)."""
    query = select(VolumeRow).order_by(VolumeRow.created_at.desc(), VolumeRow.id.desc())
    if project_id is not None:
        query = query.where(VolumeRow.project_id == project_id)
    return [_to_volume(session, r) for r in session.scalars(query)]


def update_volume(session: Session, volume_id: str, **fields: Any) -> Volume:
    row = _volume_row(session, volume_id)
    for key in ("name", "description"):
        if key in fields:
            value = fields[key]
            if value is not None and (not isinstance(value, str) or len(value) > 255):
                raise InvalidInput("Invalid input received: %s must be a string of at "
                                   "most 255 characters" % key)
            setattr(row, key, value)
    if "metadata" in fields:
        meta = fields["metadata"]
        if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
            raise InvalidInput("Invalid input received: metadata must be a map of strings")
        row.metadata_json = json.dumps(meta)
    row.updated_at = utcnow()
    session.flush()
    return _to_volume(session, row)


def set_status(session: Session, volume_id: str, status: str,
               expected: tuple[str, ...] | None = None) -> bool:
    """Set the status (only from one of `expected`, when given); whether it was set."""
    query = update(VolumeRow).where(VolumeRow.uuid == volume_id)
    if expected is not None:
        query = query.where(VolumeRow.status.in_(expected))
    result = session.execute(query.values(status=status, updated_at=utcnow())
                             .execution_options(synchronize_session=False))
    session.expire_all()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def begin_extend(session: Session, volume_id: str, new_size: Any) -> int:
    """Move an available volume to `extending` for a larger size (returned, in GiB)."""
    vol = get_volume(session, volume_id)
    gb = check_size(new_size)
    if gb <= vol.size:
        raise InvalidInput("Invalid input received: New size for extend must be greater "
                           "than current size. (current: %d, extended: %d)."
                           % (vol.size, gb))
    if not set_status(session, volume_id, "extending", ("available",)):
        raise InvalidVolume("Invalid volume: Volume %s status must be available to "
                            "extend, but current status is: %s." % (volume_id, vol.status))
    return gb


def finish_extend(session: Session, volume_id: str, size: int) -> Volume:
    row = _volume_row(session, volume_id)
    row.size = size
    row.status = "available"
    row.updated_at = utcnow()
    session.flush()
    return _to_volume(session, row)


def begin_delete(session: Session, volume_id: str) -> Volume:
    """Move the volume to `deleting` (refused while attached or in a transition)."""
    vol = get_volume(session, volume_id)
    if vol.attachments or not set_status(session, volume_id, "deleting", DELETABLE):
        raise InvalidVolume(
            "Invalid volume: Volume status must be available or error or error_restoring "
            "or error_extending or error_managing and must not be migrating, attached, "
            "belong to a group, have snapshots, awaiting a transfer, or be disassociated "
            "from snapshots after volume transfer.")
    return vol


def destroy_volume(session: Session, volume_id: str) -> None:
    session.delete(_volume_row(session, volume_id))
    session.flush()


# -- attachments ---------------------------------------------------------------------

def _settle(session: Session, volume_uuid: str) -> None:
    """Derive the volume's status from its attachments (see the module docstring)."""
    rows = _attachment_rows(session, volume_uuid)
    states = {r.attach_status for r in rows}
    completed = any(r.attach_status == ATTACHED and r.attach_time is not None
                    for r in rows)
    if completed:
        status = "in-use"
    elif DETACHING in states:
        status = "detaching"
    elif ATTACHED in states or ATTACHING in states:
        status = "attaching"
    elif RESERVED in states:
        status = "reserved"
    else:
        status = "available"
    set_status(session, volume_uuid, status,
               ("available", "reserved", "attaching", "in-use", "detaching"))


def _attachment_row(session: Session, attachment_id: str) -> VolumeAttachmentRow:
    row = session.scalars(select(VolumeAttachmentRow).where(
        VolumeAttachmentRow.uuid == attachment_id)).first()
    if row is None:
        raise NotFound("VolumeAttachment %s could not be found." % attachment_id)
    return row


def create_attachment(session: Session, volume_id: str, instance_uuid: str | None,
                      connector: dict[str, Any] | None = None, mode: str = "rw",
                      store_path: str | None = None) -> Attachment:
    """Reserve the volume for `instance_uuid`: refused unless it is available or, for
    a multi-attach volume, also in use by other servers. With a `connector` the
    attachment is connected at once (as `update_attachment`)."""
    if mode not in ("rw", "ro"):
        raise InvalidInput("Invalid input received: Invalid attach mode %s, it must be "
                           "rw or ro." % mode)
    vol = get_volume(session, volume_id)
    if instance_uuid and any(a.instance_uuid == instance_uuid for a in vol.attachments):
        raise InvalidVolume("Invalid volume: volume %s already attached to server %s"
                            % (volume_id, instance_uuid))
    allowed = RESERVABLE_MULTIATTACH if vol.multiattach else RESERVABLE
    query = (update(VolumeRow)
             .where(VolumeRow.uuid == volume_id, VolumeRow.status.in_(allowed))
             .values(status=case((VolumeRow.status == "available", "reserved"),
                                 else_=VolumeRow.status), updated_at=utcnow())
             .execution_options(synchronize_session=False))
    if not session.execute(query).rowcount:  # type: ignore[attr-defined]
        current = get_volume(session, volume_id).status
        raise InvalidVolume("Invalid volume: Volume %s status must be %s to reserve, but "
                            "the current status is %s." % (
                                volume_id, " or ".join(allowed), current))
    now = utcnow()
    row = VolumeAttachmentRow(uuid=str(uuidlib.uuid4()), volume_uuid=volume_id,
                              instance_uuid=instance_uuid, attach_status=RESERVED,
                              attach_mode=mode, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    session.expire_all()
    if connector is not None:
        return update_attachment(session, row.uuid, connector, store_path)
    return _to_attachment(row)


def get_attachment(session: Session, attachment_id: str) -> Attachment:
    return _to_attachment(_attachment_row(session, attachment_id))


def list_attachments(session: Session, project_id: str | None = None,
                     volume_id: str | None = None,
                     instance_uuid: str | None = None) -> list[Attachment]:
    query = select(VolumeAttachmentRow).order_by(VolumeAttachmentRow.created_at,
                                                 VolumeAttachmentRow.id)
    if project_id is not None:
        query = query.join(VolumeRow, VolumeRow.uuid == VolumeAttachmentRow.volume_uuid
                           ).where(VolumeRow.project_id == project_id)
    if volume_id is not None:
        query = query.where(VolumeAttachmentRow.volume_uuid == volume_id)
    if instance_uuid is not None:
        query = query.where(VolumeAttachmentRow.instance_uuid == instance_uuid)
    return [_to_attachment(r) for r in session.scalars(query)]


def connection_info(vol: Volume, attachment_id: str, path: str | None) -> dict[str, Any]:
    """What a host needs to use the volume: the file backing it (`driver_volume_type`
    `file`), raw, and whether other hosts may write it at the same time."""
    return {"driver_volume_type": "file",
            "data": {"device_path": path, "format": "raw", "volume_id": vol.id,
                     "name": "volume-%s" % vol.id, "access_mode": "rw",
                     "multiattach": vol.multiattach, "attachment_id": attachment_id,
                     "encrypted": False}}


def update_attachment(session: Session, attachment_id: str, connector: Any,
                      store_path: str | None = None) -> Attachment:
    """Connect a reserved attachment to the host `connector` describes: it becomes
    `attached` with its connection info (the volume `attaching` until completed)."""
    if not isinstance(connector, dict):
        raise InvalidInput("Invalid input received: connector must be an object")
    row = _attachment_row(session, attachment_id)
    if row.attach_status not in (RESERVED, ATTACHING, ATTACHED):
        raise InvalidVolume("Invalid volume: attachment %s is %s; it cannot be connected"
                            % (attachment_id, row.attach_status))
    vol = get_volume(session, row.volume_uuid)
    row.connector = json.dumps(connector)
    row.connection_info = json.dumps(connection_info(vol, row.uuid, store_path))
    row.attach_status = ATTACHED
    row.attached_host = connector.get("host")
    row.mountpoint = connector.get("mountpoint") or row.mountpoint
    row.updated_at = utcnow()
    session.flush()
    _settle(session, row.volume_uuid)
    return get_attachment(session, attachment_id)


def complete_attachment(session: Session, attachment_id: str) -> Attachment:
    """The host uses the volume now: the volume is `in-use`."""
    row = _attachment_row(session, attachment_id)
    if row.attach_status != ATTACHED:
        raise InvalidVolume("Invalid volume: attachment %s is %s, not attached; connect "
                            "it first" % (attachment_id, row.attach_status))
    row.attach_time = row.attach_time or utcnow()
    row.updated_at = utcnow()
    session.flush()
    _settle(session, row.volume_uuid)
    return get_attachment(session, attachment_id)


def begin_detaching(session: Session, attachment_id: str) -> Attachment:
    """Mark one attachment as going away (the volume `detaching` unless another
    server still uses it)."""
    row = _attachment_row(session, attachment_id)
    row.attach_status = DETACHING
    row.updated_at = utcnow()
    session.flush()
    _settle(session, row.volume_uuid)
    return get_attachment(session, attachment_id)


def abort_detaching(session: Session, attachment_id: str) -> Attachment:
    """A detach that did not happen: the attachment is attached again."""
    row = _attachment_row(session, attachment_id)
    if row.attach_status == DETACHING:
        row.attach_status = ATTACHED
        row.attach_time = row.attach_time or utcnow()
        row.updated_at = utcnow()
        session.flush()
        _settle(session, row.volume_uuid)
    return get_attachment(session, attachment_id)


def delete_attachment(session: Session, attachment_id: str) -> Volume:
    """Remove exactly this attachment; the volume stays in use by the others, or is
    available again. Returns the volume after."""
    row = _attachment_row(session, attachment_id)
    volume_uuid = row.volume_uuid
    session.delete(row)
    session.flush()
    _settle(session, volume_uuid)
    return get_volume(session, volume_uuid)
