"""Cell database, first schema: services, compute nodes and instances.

Revision ID: cell001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "cell001"
down_revision = None
branch_labels = None
depends_on = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}
LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
STAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _str(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(255), nullable=nullable)


def _int(name: str, default: str | None = None) -> sa.Column:
    return sa.Column(name, sa.Integer, nullable=False, server_default=default)


def _stamp(name: str) -> sa.Column:
    return sa.Column(name, STAMP, nullable=True)


def upgrade() -> None:
    op.create_table(
        "services",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False),
        _str("host"), _str("binary"), _str("topic", nullable=True),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        _str("disabled_reason", nullable=True),
        sa.Column("forced_down", sa.Boolean, nullable=False, server_default=sa.false()),
        _stamp("last_seen_up"),
        _int("report_count", "0"), _int("version", "0"),
        _stamp("created_at"), _stamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_services"),
        sa.UniqueConstraint("uuid", name="uq_services_uuid"),
        sa.UniqueConstraint("host", "binary", name="uq_services_host_binary"),
        **MYSQL)
    op.create_table(
        "compute_nodes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False),
        _str("host"), _str("hypervisor_hostname"), _str("hypervisor_type"),
        _int("hypervisor_version"), _int("vcpus"), _int("memory_mb"), _int("local_gb"),
        _int("vcpus_used", "0"), _int("memory_mb_used", "0"), _int("local_gb_used", "0"),
        _int("running_vms", "0"),
        sa.Column("cpu_allocation_ratio", sa.Float, nullable=False),
        sa.Column("ram_allocation_ratio", sa.Float, nullable=False),
        sa.Column("disk_allocation_ratio", sa.Float, nullable=False),
        sa.Column("numa_topology", LONG_TEXT, nullable=False),
        _int("generation", "0"),
        _stamp("created_at"), _stamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_compute_nodes"),
        sa.UniqueConstraint("uuid", name="uq_compute_nodes_uuid"),
        sa.UniqueConstraint("hypervisor_hostname",
                            name="uq_compute_nodes_hypervisor_hostname"),
        **MYSQL)
    op.create_index("ix_compute_nodes_host", "compute_nodes", ["host"])
    op.create_table(
        "instances",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False),
        _str("display_name", nullable=True), _str("project_id"), _str("user_id"),
        _str("host", nullable=True), _str("node", nullable=True), _str("vm_state"),
        _str("task_state", nullable=True), _int("power_state", "0"),
        _str("availability_zone", nullable=True),
        _stamp("created_at"), _stamp("updated_at"), _stamp("launched_at"),
        _stamp("terminated_at"),
        _int("deleted", "0"),
        sa.Column("body", LONG_TEXT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_instances"),
        sa.UniqueConstraint("uuid", name="uq_instances_uuid"),
        **MYSQL)
    op.create_index("ix_instances_host", "instances", ["host"])
    op.create_index("ix_instances_project_id", "instances", ["project_id"])
    op.create_index("ix_instances_created_at_uuid", "instances", ["created_at", "uuid"])
