"""Block device mapping queries of a cell database (revision cell003): the volumes
attached to each instance, one row per attachment."""

from __future__ import annotations

import json
import uuid as uuidlib
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from tessera.db import errors
from tessera.db._util import utcnow
from tessera.db.cell.bdm_models import BlockDeviceMappingRow
from tessera.objects import BlockDevice, BlockDeviceStatus, Instance


class BlockDeviceNotFound(errors.NotFound):
    kind = "Block device mapping"


def _to_bdm(row: BlockDeviceMappingRow) -> BlockDevice:
    return BlockDevice(uuid=row.uuid, instance_uuid=row.instance_uuid,
                       volume_id=row.volume_id, attachment_id=row.attachment_id,
                       device_name=row.device_name, status=BlockDeviceStatus(row.status),
                       multiattach=row.multiattach, volume_size=row.volume_size,
                       connection_info=(json.loads(row.connection_info)
                                        if row.connection_info else None),
                       created_at=row.created_at, updated_at=row.updated_at)


def create_bdm(session: Session, instance_uuid: str, volume_id: str, attachment_id: str,
               device_name: str, multiattach: bool = False,
               volume_size: int | None = None) -> BlockDevice:
    """A new mapping in `attaching`; `InstanceNotFound` if the cell has no such
    instance."""
    now = utcnow()
    row = BlockDeviceMappingRow(uuid=str(uuidlib.uuid4()), instance_uuid=instance_uuid,
                                volume_id=volume_id, attachment_id=attachment_id,
                                device_name=device_name,
                                status=BlockDeviceStatus.ATTACHING.value,
                                multiattach=multiattach, volume_size=volume_size,
                                created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    return _to_bdm(row)


def list_bdms(session: Session, instance_uuid: str) -> list[BlockDevice]:
    """The instance's block devices, in the order they were attached."""
    rows = session.scalars(select(BlockDeviceMappingRow).where(
        BlockDeviceMappingRow.instance_uuid == instance_uuid).order_by(
        BlockDeviceMappingRow.created_at, BlockDeviceMappingRow.id))
    return [_to_bdm(r) for r in rows]


def volume_ids_of(session: Session, instance_uuids: list[str]) -> dict[str, list[str]]:
    """The volumes of each of these instances (only those with any), in attach order."""
    out: dict[str, list[str]] = {}
    if not instance_uuids:
        return out
    rows = session.execute(select(BlockDeviceMappingRow.instance_uuid,
                                  BlockDeviceMappingRow.volume_id).where(
        BlockDeviceMappingRow.instance_uuid.in_(instance_uuids)).order_by(
        BlockDeviceMappingRow.created_at, BlockDeviceMappingRow.id))
    for instance_uuid, volume_id in rows:
        out.setdefault(instance_uuid, []).append(volume_id)
    return out


def _row_by_attachment(session: Session, attachment_id: str) -> BlockDeviceMappingRow:
    row = session.scalars(select(BlockDeviceMappingRow).where(
        BlockDeviceMappingRow.attachment_id == attachment_id)).first()
    if row is None:
        raise BlockDeviceNotFound(attachment_id)
    return row


def get_bdm_by_attachment(session: Session, attachment_id: str) -> BlockDevice:
    return _to_bdm(_row_by_attachment(session, attachment_id))


def update_bdm(session: Session, attachment_id: str, **fields: Any) -> BlockDevice:
    """Set `status`, `connection_info` or `device_name` of the mapping of this
    attachment."""
    row = _row_by_attachment(session, attachment_id)
    for key, value in fields.items():
        if key == "status":
            row.status = BlockDeviceStatus(value).value
        elif key == "connection_info":
            row.connection_info = json.dumps(value) if value is not None else None
        elif key == "device_name":
            row.device_name = value
        else:
            raise TypeError("cannot set %s of a block device mapping" % key)
    row.updated_at = utcnow()
    session.flush()
    return _to_bdm(row)


def swap_status(session: Session, attachment_id: str, expected: BlockDeviceStatus,
                status: BlockDeviceStatus) -> bool:
    """Move the mapping from `expected` to `status` in one UPDATE (two detaches of
    one volume cannot both start); whether it moved."""
    result = session.execute(update(BlockDeviceMappingRow).where(
        BlockDeviceMappingRow.attachment_id == attachment_id,
        BlockDeviceMappingRow.status == expected.value).values(
        status=status.value, updated_at=utcnow()).execution_options(
        synchronize_session=False))
    session.expire_all()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def delete_bdm(session: Session, attachment_id: str) -> bool:
    """Remove the mapping of this attachment; whether there was one."""
    result = session.execute(delete(BlockDeviceMappingRow).where(
        BlockDeviceMappingRow.attachment_id == attachment_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def with_block_devices(session: Session, instance: Instance) -> Instance:
    """The instance carrying its block devices."""
    return instance.model_copy(update={"block_devices": list_bdms(session,
                                                                  instance.uuid)})
