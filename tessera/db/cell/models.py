"""Tables of a cell database (SQLAlchemy 2 typed models).

The schema is created by the Alembic history in `migrations/`; these models must match
its head (a test compares them). Instances, compute nodes and migrations keep their
whole object JSON as the source of truth (`body`, `numa_topology`); the scalar columns
beside it are copies kept in sync on every write, there to filter, sort and
compare-and-swap on.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (Boolean, Float, ForeignKey, Index, Integer, MetaData, String,
                        UniqueConstraint, false)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tessera.db._util import LongText, UTCDateTime

NAMING = {"ix": "ix_%(table_name)s_%(column_0_N_name)s",
          "uq": "uq_%(table_name)s_%(column_0_N_name)s",
          "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
          "pk": "pk_%(table_name)s"}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ServiceRow(Base):
    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("host", "binary"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    host: Mapped[str] = mapped_column(String(255))
    binary: Mapped[str] = mapped_column(String(255))
    topic: Mapped[str | None] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, server_default=false())
    disabled_reason: Mapped[str | None] = mapped_column(String(255))
    forced_down: Mapped[bool] = mapped_column(Boolean, server_default=false())
    last_seen_up: Mapped[datetime | None] = mapped_column(UTCDateTime())
    report_count: Mapped[int] = mapped_column(Integer, server_default="0")
    version: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ComputeNodeRow(Base):
    """`numa_topology` holds the whole ComputeNode JSON: topology, page pools, PCI
    devices and their usage. `generation` guards every usage write."""

    __tablename__ = "compute_nodes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    host: Mapped[str] = mapped_column(String(255), index=True)
    hypervisor_hostname: Mapped[str] = mapped_column(String(255), unique=True)
    hypervisor_type: Mapped[str] = mapped_column(String(255))
    hypervisor_version: Mapped[int] = mapped_column(Integer)
    vcpus: Mapped[int] = mapped_column(Integer)
    memory_mb: Mapped[int] = mapped_column(Integer)
    local_gb: Mapped[int] = mapped_column(Integer)
    vcpus_used: Mapped[int] = mapped_column(Integer, server_default="0")
    memory_mb_used: Mapped[int] = mapped_column(Integer, server_default="0")
    local_gb_used: Mapped[int] = mapped_column(Integer, server_default="0")
    running_vms: Mapped[int] = mapped_column(Integer, server_default="0")
    cpu_allocation_ratio: Mapped[float] = mapped_column(Float)
    ram_allocation_ratio: Mapped[float] = mapped_column(Float)
    disk_allocation_ratio: Mapped[float] = mapped_column(Float)
    numa_topology: Mapped[str] = mapped_column(LongText)
    generation: Mapped[int] = mapped_column(Integer, server_default="0")
    mapped: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InstanceRow(Base):
    """`body` is the whole Instance JSON; `deleted` is 0, or 1 once soft-deleted."""

    __tablename__ = "instances"
    __table_args__ = (Index("ix_instances_created_at_uuid", "created_at", "uuid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(255))
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    user_id: Mapped[str] = mapped_column(String(255))
    host: Mapped[str | None] = mapped_column(String(255), index=True)
    node: Mapped[str | None] = mapped_column(String(255))
    vm_state: Mapped[str] = mapped_column(String(255))
    task_state: Mapped[str | None] = mapped_column(String(255))
    power_state: Mapped[int] = mapped_column(Integer, server_default="0")
    availability_zone: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    launched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    terminated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted: Mapped[int] = mapped_column(Integer, server_default="0")
    body: Mapped[str] = mapped_column(LongText)


class InstanceFaultRow(Base):
    __tablename__ = "instance_faults"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_uuid: Mapped[str] = mapped_column(
        ForeignKey("instances.uuid"), index=True)
    code: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(String(255))
    details: Mapped[str | None] = mapped_column(LongText)
    host: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MigrationRow(Base):
    """`body` is the whole Migration JSON (with both flavors)."""

    __tablename__ = "migrations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    instance_uuid: Mapped[str] = mapped_column(String(36), index=True)
    migration_type: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(255), index=True)
    source_compute: Mapped[str] = mapped_column(String(255), index=True)
    dest_compute: Mapped[str | None] = mapped_column(String(255), index=True)
    source_node: Mapped[str | None] = mapped_column(String(255))
    dest_node: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(LongText)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# The cell003 table (block device mappings) joins this metadata.
from tessera.db.cell import bdm_models as _bdm_models  # noqa: E402,F401
