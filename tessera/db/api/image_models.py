"""API database table of the image service (revision api004): one row per image,
its custom properties stored whole as JSON."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db._util import LongText
from tessera.db.api.models import Base, _Timestamps


class ImageRow(_Timestamps, Base):
    __tablename__ = "images"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str | None] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(30))
    visibility: Mapped[str] = mapped_column(String(30))
    owner: Mapped[str | None] = mapped_column(String(255), index=True)
    disk_format: Mapped[str | None] = mapped_column(String(30))
    container_format: Mapped[str | None] = mapped_column(String(30))
    size: Mapped[int | None] = mapped_column(BigInteger)
    checksum: Mapped[str | None] = mapped_column(String(32))
    os_hash_algo: Mapped[str | None] = mapped_column(String(64))
    os_hash_value: Mapped[str | None] = mapped_column(String(128))
    min_ram: Mapped[int] = mapped_column(Integer, server_default="0")
    min_disk: Mapped[int] = mapped_column(Integer, server_default="0")
    protected: Mapped[bool] = mapped_column(Boolean, server_default=false())
    properties: Mapped[str] = mapped_column(LongText)
