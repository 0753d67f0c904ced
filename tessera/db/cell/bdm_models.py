"""Cell database table of block device mappings (revision cell003): one row per
volume attached (or being attached) to an instance, keyed by its attachment id in
the block storage service."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db._util import LongText, UTCDateTime
from tessera.db.cell.models import Base


class BlockDeviceMappingRow(Base):
    __tablename__ = "block_device_mappings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    instance_uuid: Mapped[str] = mapped_column(ForeignKey("instances.uuid"), index=True)
    volume_id: Mapped[str] = mapped_column(String(36), index=True)
    attachment_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    device_name: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(255))
    multiattach: Mapped[bool] = mapped_column(Boolean, server_default=false())
    volume_size: Mapped[int | None] = mapped_column(Integer)
    connection_info: Mapped[str | None] = mapped_column(LongText)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
