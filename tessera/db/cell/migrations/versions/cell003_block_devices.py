"""Block device mappings of instances (volumes attached to servers).

Revision ID: cell003
Revises: cell002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "cell003"
down_revision = "cell002"
branch_labels = None
depends_on = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}
LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
STAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "block_device_mappings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("instance_uuid", sa.String(36), nullable=False),
        sa.Column("volume_id", sa.String(36), nullable=False),
        sa.Column("attachment_id", sa.String(255), nullable=True),
        sa.Column("device_name", sa.String(255), nullable=True),
        sa.Column("status", sa.String(255), nullable=False),
        sa.Column("multiattach", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("volume_size", sa.Integer, nullable=True),
        sa.Column("connection_info", LONG_TEXT, nullable=True),
        sa.Column("created_at", STAMP, nullable=True),
        sa.Column("updated_at", STAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_block_device_mappings"),
        sa.UniqueConstraint("uuid", name="uq_block_device_mappings_uuid"),
        sa.UniqueConstraint("attachment_id", name="uq_block_device_mappings_attachment_id"),
        sa.ForeignKeyConstraint(["instance_uuid"], ["instances.uuid"],
                                name="fk_block_device_mappings_instance_uuid_instances"),
        **MYSQL)
    op.create_index("ix_block_device_mappings_instance_uuid", "block_device_mappings",
                    ["instance_uuid"])
    op.create_index("ix_block_device_mappings_volume_id", "block_device_mappings",
                    ["volume_id"])


def downgrade() -> None:
    op.drop_table("block_device_mappings")
