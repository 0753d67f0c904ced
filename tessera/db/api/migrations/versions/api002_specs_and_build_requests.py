"""Persisted request specs and build requests; cells can be disabled, instance
mappings queued for delete.

The two new columns go into tables that may already hold rows, so they are NOT NULL
with a server default (batch mode on SQLite).

Revision ID: api002
Revises: api001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "api002"
down_revision = "api001"
branch_labels = None
depends_on = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}
LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


def _timestamps() -> list[sa.Column]:
    stamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
    return [sa.Column("created_at", stamp, nullable=True),
            sa.Column("updated_at", stamp, nullable=True)]


def upgrade() -> None:
    op.create_table(
        "request_specs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("instance_uuid", sa.String(36), nullable=False),
        sa.Column("spec", LONG_TEXT, nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_request_specs"),
        sa.UniqueConstraint("instance_uuid", name="uq_request_specs_instance_uuid"),
        **MYSQL)
    op.create_table(
        "build_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("instance_uuid", sa.String(36), nullable=False),
        sa.Column("project_id", sa.String(255), nullable=False),
        sa.Column("instance", LONG_TEXT, nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_build_requests"),
        sa.UniqueConstraint("instance_uuid", name="uq_build_requests_instance_uuid"),
        **MYSQL)
    op.create_index("ix_build_requests_project_id", "build_requests", ["project_id"])
    with op.batch_alter_table("cell_mappings") as batch:
        batch.add_column(sa.Column("disabled", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table("instance_mappings") as batch:
        batch.add_column(sa.Column("queued_for_delete", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
