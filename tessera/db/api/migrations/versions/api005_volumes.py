"""Volumes, volume types and attachments of the built-in block storage service, with
Cinder's default volume type `__DEFAULT__`.

Revision ID: api005
Revises: api004
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "api005"
down_revision = "api004"
branch_labels = None
depends_on = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}
LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
STAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
DEFAULT_TYPE = ("2f4b4c5e-7d1a-4e0b-9a3c-000000000001", "__DEFAULT__", "Default Volume Type")


def _stamps() -> list[sa.Column]:
    return [sa.Column("created_at", STAMP, nullable=True),
            sa.Column("updated_at", STAMP, nullable=True)]


def upgrade() -> None:
    types = op.create_table(
        "volume_types",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("is_public", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("extra_specs", LONG_TEXT, nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name="pk_volume_types"),
        sa.UniqueConstraint("uuid", name="uq_volume_types_uuid"),
        sa.UniqueConstraint("name", name="uq_volume_types_name"),
        **MYSQL)
    stamp = datetime(2024, 1, 1)
    op.bulk_insert(types, [{"uuid": DEFAULT_TYPE[0], "name": DEFAULT_TYPE[1],
                            "description": DEFAULT_TYPE[2], "is_public": True,
                            "extra_specs": "{}", "created_at": stamp, "updated_at": stamp}])
    op.create_table(
        "volumes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("status", sa.String(255), nullable=False),
        sa.Column("project_id", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=True),
        sa.Column("availability_zone", sa.String(255), nullable=True),
        sa.Column("volume_type_id", sa.String(36), nullable=True),
        sa.Column("multiattach", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("metadata", LONG_TEXT, nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name="pk_volumes"),
        sa.UniqueConstraint("uuid", name="uq_volumes_uuid"),
        **MYSQL)
    op.create_index("ix_volumes_name", "volumes", ["name"])
    op.create_index("ix_volumes_status", "volumes", ["status"])
    op.create_index("ix_volumes_project_id", "volumes", ["project_id"])
    op.create_table(
        "volume_attachments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("volume_uuid", sa.String(36), nullable=False),
        sa.Column("instance_uuid", sa.String(36), nullable=True),
        sa.Column("attach_status", sa.String(255), nullable=False),
        sa.Column("attach_mode", sa.String(255), nullable=False),
        sa.Column("mountpoint", sa.String(255), nullable=True),
        sa.Column("attached_host", sa.String(255), nullable=True),
        sa.Column("connector", LONG_TEXT, nullable=True),
        sa.Column("connection_info", LONG_TEXT, nullable=True),
        sa.Column("attach_time", STAMP, nullable=True),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name="pk_volume_attachments"),
        sa.UniqueConstraint("uuid", name="uq_volume_attachments_uuid"),
        sa.ForeignKeyConstraint(["volume_uuid"], ["volumes.uuid"],
                                name="fk_volume_attachments_volume_uuid_volumes"),
        **MYSQL)
    op.create_index("ix_volume_attachments_volume_uuid", "volume_attachments",
                    ["volume_uuid"])
    op.create_index("ix_volume_attachments_instance_uuid", "volume_attachments",
                    ["instance_uuid"])


def downgrade() -> None:
    op.drop_table("volume_attachments")
    op.drop_table("volumes")
    op.drop_table("volume_types")
