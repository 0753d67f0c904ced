"""Tables of the API database (SQLAlchemy 2 typed models).

The schema itself is created by the Alembic history in `migrations/`; these models
must match its head (a test compares them). JSON documents (request specs, build
requests) are stored whole, as the objects' versioned JSON.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (Boolean, Float, ForeignKey, Integer, MetaData, String, Text,
                        UniqueConstraint, false, true)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from tessera.db._util import LongText, UTCDateTime

NAMING = {"ix": "ix_%(table_name)s_%(column_0_N_name)s",
          "uq": "uq_%(table_name)s_%(column_0_N_name)s",
          "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
          "pk": "pk_%(table_name)s"}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class _Timestamps:
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CellMappingRow(_Timestamps, Base):
    __tablename__ = "cell_mappings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    transport_url: Mapped[str] = mapped_column(Text)
    database_connection: Mapped[str] = mapped_column(Text)
    disabled: Mapped[bool] = mapped_column(Boolean, server_default=false())


class HostMappingRow(_Timestamps, Base):
    __tablename__ = "host_mappings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("cell_mappings.id"), index=True)
    host: Mapped[str] = mapped_column(String(255), unique=True)
    cell: Mapped[CellMappingRow] = relationship(lazy="joined")


class InstanceMappingRow(_Timestamps, Base):
    __tablename__ = "instance_mappings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    cell_id: Mapped[int | None] = mapped_column(ForeignKey("cell_mappings.id"),
                                                index=True)
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    user_id: Mapped[str | None] = mapped_column(String(255))
    queued_for_delete: Mapped[bool] = mapped_column(Boolean, server_default=false())
    cell: Mapped[CellMappingRow | None] = relationship(lazy="joined")


class FlavorRow(_Timestamps, Base):
    __tablename__ = "flavors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flavorid: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    vcpus: Mapped[int] = mapped_column(Integer)
    memory_mb: Mapped[int] = mapped_column(Integer)
    root_gb: Mapped[int] = mapped_column(Integer)
    ephemeral_gb: Mapped[int] = mapped_column(Integer, server_default="0")
    swap: Mapped[int] = mapped_column(Integer, server_default="0")
    rxtx_factor: Mapped[float] = mapped_column(Float, server_default="1")
    is_public: Mapped[bool] = mapped_column(Boolean, server_default=true())
    disabled: Mapped[bool] = mapped_column(Boolean, server_default=false())
    description: Mapped[str | None] = mapped_column(Text)
    extra_specs: Mapped[list[FlavorExtraSpecRow]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", passive_deletes=True)


class FlavorExtraSpecRow(_Timestamps, Base):
    __tablename__ = "flavor_extra_specs"
    __table_args__ = (UniqueConstraint("flavor_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flavor_id: Mapped[int] = mapped_column(
        ForeignKey("flavors.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(255))
    value: Mapped[str | None] = mapped_column(String(255))


class RequestSpecRow(_Timestamps, Base):
    __tablename__ = "request_specs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    spec: Mapped[str] = mapped_column(LongText)


class BuildRequestRow(_Timestamps, Base):
    __tablename__ = "build_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    instance: Mapped[str] = mapped_column(LongText)


# The api003 tables (key pairs, instance actions, server extras) join this metadata.
from tessera.db.api import server_models as _server_models  # noqa: E402,F401
from tessera.db.api import image_models as _image_models  # noqa: E402,F401
from tessera.db.api import volume_models as _volume_models  # noqa: E402,F401
from tessera.db.api import network_models as _network_models  # noqa: E402,F401
