"""Block devices of an instance: the volumes attached to it, one per attachment of
the block storage service."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from tessera.objects.base import TesseraObject


class BlockDeviceStatus(str, Enum):
    ATTACHING = "attaching"   # reserved by the API, the compute host not done yet
    ATTACHED = "attached"     # the guest has the disk
    DETACHING = "detaching"   # being taken away


class BlockDevice(TesseraObject):
    """One volume attached to an instance. `attachment_id` names the attachment in
    the block storage service: a detach removes exactly that one, so a multi-attach
    volume stays attached to every other server."""

    uuid: str
    instance_uuid: str
    volume_id: str
    attachment_id: str | None = None
    device_name: str | None = None
    status: BlockDeviceStatus = BlockDeviceStatus.ATTACHING
    multiattach: bool = False
    volume_size: int | None = None
    connection_info: dict[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def path(self) -> str | None:
        """The file or device backing the volume on the host, once connected."""
        data = (self.connection_info or {}).get("data") or {}
        return data.get("device_path")
