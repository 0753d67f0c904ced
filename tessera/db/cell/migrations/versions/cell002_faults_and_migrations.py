"""Instance faults and migrations (resize, cold migration); compute nodes get the
`mapped` flag that `tessera-manage cell_v2 discover_hosts` sets.

`mapped` goes into a table that may already hold rows, so it is NOT NULL with a
server default (batch mode on SQLite).

Revision ID: cell002
Revises: cell001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "cell002"
down_revision = "cell001"
branch_labels = None
depends_on = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}
LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
STAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "instance_faults",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("instance_uuid", sa.String(36), nullable=False),
        sa.Column("code", sa.Integer, nullable=False),
        sa.Column("message", sa.String(255), nullable=False),
        sa.Column("details", LONG_TEXT, nullable=True),
        sa.Column("host", sa.String(255), nullable=True),
        sa.Column("created_at", STAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_instance_faults"),
        sa.ForeignKeyConstraint(["instance_uuid"], ["instances.uuid"],
                                name="fk_instance_faults_instance_uuid_instances"),
        **MYSQL)
    op.create_index("ix_instance_faults_instance_uuid", "instance_faults",
                    ["instance_uuid"])
    op.create_table(
        "migrations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("instance_uuid", sa.String(36), nullable=False),
        sa.Column("migration_type", sa.String(255), nullable=False),
        sa.Column("status", sa.String(255), nullable=False),
        sa.Column("source_compute", sa.String(255), nullable=False),
        sa.Column("dest_compute", sa.String(255), nullable=True),
        sa.Column("source_node", sa.String(255), nullable=True),
        sa.Column("dest_node", sa.String(255), nullable=True),
        sa.Column("body", LONG_TEXT, nullable=False),
        sa.Column("created_at", STAMP, nullable=True),
        sa.Column("updated_at", STAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_migrations"),
        sa.UniqueConstraint("uuid", name="uq_migrations_uuid"),
        **MYSQL)
    for column in ("instance_uuid", "status", "source_compute", "dest_compute"):
        op.create_index("ix_migrations_%s" % column, "migrations", [column])
    with op.batch_alter_table("compute_nodes") as batch:
        batch.add_column(sa.Column("mapped", sa.Integer, nullable=False,
                                   server_default="0"))
