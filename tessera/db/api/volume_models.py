"""API database tables of the block storage service (revision api005): volume types
(extra specs stored whole as JSON), volumes, and their attachments to servers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, false, true
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db._util import LongText, UTCDateTime
from tessera.db.api.models import Base, _Timestamps


class VolumeTypeRow(_Timestamps, Base):
    __tablename__ = "volume_types"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    is_public: Mapped[bool] = mapped_column(Boolean, server_default=true())
    extra_specs: Mapped[str] = mapped_column(LongText)


class VolumeRow(_Timestamps, Base):
    __tablename__ = "volumes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str | None] = mapped_column(String(255), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(255), index=True)
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    user_id: Mapped[str | None] = mapped_column(String(255))
    availability_zone: Mapped[str | None] = mapped_column(String(255))
    volume_type_id: Mapped[str | None] = mapped_column(String(36))
    multiattach: Mapped[bool] = mapped_column(Boolean, server_default=false())
    metadata_json: Mapped[str] = mapped_column("metadata", LongText)


class VolumeAttachmentRow(_Timestamps, Base):
    __tablename__ = "volume_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    volume_uuid: Mapped[str] = mapped_column(ForeignKey("volumes.uuid"), index=True)
    instance_uuid: Mapped[str | None] = mapped_column(String(36), index=True)
    attach_status: Mapped[str] = mapped_column(String(255))
    attach_mode: Mapped[str] = mapped_column(String(255))
    mountpoint: Mapped[str | None] = mapped_column(String(255))
    attached_host: Mapped[str | None] = mapped_column(String(255))
    connector: Mapped[str | None] = mapped_column(LongText)
    connection_info: Mapped[str | None] = mapped_column(LongText)
    attach_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
