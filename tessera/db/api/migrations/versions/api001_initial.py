"""API database, first schema: cell and host mappings, instance mappings, flavors.

Revision ID: api001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "api001"
down_revision = None
branch_labels = None
depends_on = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}


def _timestamps() -> list[sa.Column]:
    stamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
    return [sa.Column("created_at", stamp, nullable=True),
            sa.Column("updated_at", stamp, nullable=True)]


def upgrade() -> None:
    op.create_table(
        "cell_mappings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("transport_url", sa.Text, nullable=False),
        sa.Column("database_connection", sa.Text, nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_cell_mappings"),
        sa.UniqueConstraint("uuid", name="uq_cell_mappings_uuid"),
        **MYSQL)
    op.create_table(
        "host_mappings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("cell_id", sa.Integer, nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_host_mappings"),
        sa.ForeignKeyConstraint(["cell_id"], ["cell_mappings.id"],
                                name="fk_host_mappings_cell_id_cell_mappings"),
        sa.UniqueConstraint("host", name="uq_host_mappings_host"),
        **MYSQL)
    op.create_index("ix_host_mappings_cell_id", "host_mappings", ["cell_id"])
    op.create_table(
        "instance_mappings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("instance_uuid", sa.String(36), nullable=False),
        sa.Column("cell_id", sa.Integer, nullable=True),
        sa.Column("project_id", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_instance_mappings"),
        sa.ForeignKeyConstraint(["cell_id"], ["cell_mappings.id"],
                                name="fk_instance_mappings_cell_id_cell_mappings"),
        sa.UniqueConstraint("instance_uuid", name="uq_instance_mappings_instance_uuid"),
        **MYSQL)
    op.create_index("ix_instance_mappings_cell_id", "instance_mappings", ["cell_id"])
    op.create_index("ix_instance_mappings_project_id", "instance_mappings",
                    ["project_id"])
    op.create_table(
        "flavors",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("flavorid", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("vcpus", sa.Integer, nullable=False),
        sa.Column("memory_mb", sa.Integer, nullable=False),
        sa.Column("root_gb", sa.Integer, nullable=False),
        sa.Column("ephemeral_gb", sa.Integer, nullable=False, server_default="0"),
        sa.Column("swap", sa.Integer, nullable=False, server_default="0"),
        sa.Column("rxtx_factor", sa.Float, nullable=False, server_default="1"),
        sa.Column("is_public", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("description", sa.Text, nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_flavors"),
        sa.UniqueConstraint("flavorid", name="uq_flavors_flavorid"),
        sa.UniqueConstraint("name", name="uq_flavors_name"),
        **MYSQL)
    op.create_table(
        "flavor_extra_specs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("flavor_id", sa.Integer, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("value", sa.String(255), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_flavor_extra_specs"),
        sa.ForeignKeyConstraint(["flavor_id"], ["flavors.id"], ondelete="CASCADE",
                                name="fk_flavor_extra_specs_flavor_id_flavors"),
        sa.UniqueConstraint("flavor_id", "key", name="uq_flavor_extra_specs_flavor_id_key"),
        **MYSQL)
    op.create_index("ix_flavor_extra_specs_flavor_id", "flavor_extra_specs",
                    ["flavor_id"])
