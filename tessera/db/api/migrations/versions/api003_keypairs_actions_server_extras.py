"""Key pairs, instance actions with their events, and the server attributes only the
API reads (description, tags).

Instance actions live in the API database, not a cell's: the API records the `create`
action before the instance has a cell (it is still a build request), and the API is
the only writer of actions in Tessera.

Revision ID: api003
Revises: api002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "api003"
down_revision = "api002"
branch_labels = None
depends_on = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}
LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
STAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _timestamps() -> list[sa.Column]:
    return [sa.Column("created_at", STAMP, nullable=True),
            sa.Column("updated_at", STAMP, nullable=True)]


def upgrade() -> None:
    op.create_table(
        "key_pairs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(255), nullable=False),
        sa.Column("public_key", sa.Text, nullable=False),
        sa.Column("type", sa.String(255), nullable=False, server_default="ssh"),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_key_pairs"),
        sa.UniqueConstraint("user_id", "name", name="uq_key_pairs_user_id_name"),
        **MYSQL)
    op.create_table(
        "instance_actions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("instance_uuid", sa.String(36), nullable=False),
        sa.Column("request_id", sa.String(255), nullable=False),
        sa.Column("action", sa.String(255), nullable=False),
        sa.Column("project_id", sa.String(255), nullable=True),
        sa.Column("user_id", sa.String(255), nullable=True),
        sa.Column("message", sa.String(255), nullable=True),
        sa.Column("start_time", STAMP, nullable=True),
        sa.Column("finish_time", STAMP, nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_instance_actions"),
        **MYSQL)
    op.create_index("ix_instance_actions_instance_uuid", "instance_actions",
                    ["instance_uuid"])
    op.create_table(
        "instance_action_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("action_id", sa.Integer, nullable=False),
        sa.Column("event", sa.String(255), nullable=False),
        sa.Column("result", sa.String(255), nullable=True),
        sa.Column("traceback", sa.Text, nullable=True),
        sa.Column("details", sa.Text, nullable=True),
        sa.Column("host", sa.String(255), nullable=True),
        sa.Column("start_time", STAMP, nullable=True),
        sa.Column("finish_time", STAMP, nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_instance_action_events"),
        sa.ForeignKeyConstraint(["action_id"], ["instance_actions.id"],
                                name="fk_instance_action_events_action_id_instance_actions",
                                ondelete="CASCADE"),
        **MYSQL)
    op.create_index("ix_instance_action_events_action_id", "instance_action_events",
                    ["action_id"])
    op.create_table(
        "server_extras",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("instance_uuid", sa.String(36), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("tags", sa.Text, nullable=False, server_default="[]"),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_server_extras"),
        sa.UniqueConstraint("instance_uuid", name="uq_server_extras_instance_uuid"),
        **MYSQL)
