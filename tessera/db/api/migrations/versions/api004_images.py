"""Images of the built-in image service (Image API v2 subset), seeded with the images
Tessera always offered (cirros, ubuntu-24.04, fedora-nfv) so that their ids keep
resolving.

Revision ID: api004
Revises: api003
"""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "api004"
down_revision = "api003"
branch_labels = None
depends_on = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}
LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
STAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

SEED = (("1b9a0b1e-0c38-4c6e-9a57-6f0d6d1c0001", "cirros", 21430272, {}),
        ("1b9a0b1e-0c38-4c6e-9a57-6f0d6d1c0002", "ubuntu-24.04", 614989824, {}),
        ("1b9a0b1e-0c38-4c6e-9a57-6f0d6d1c0003", "fedora-nfv", 514989824,
         {"hw_cpu_policy": "dedicated"}))


def upgrade() -> None:
    images = op.create_table(
        "images",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("visibility", sa.String(30), nullable=False),
        sa.Column("owner", sa.String(255), nullable=True),
        sa.Column("disk_format", sa.String(30), nullable=True),
        sa.Column("container_format", sa.String(30), nullable=True),
        sa.Column("size", sa.BigInteger, nullable=True),
        sa.Column("checksum", sa.String(32), nullable=True),
        sa.Column("os_hash_algo", sa.String(64), nullable=True),
        sa.Column("os_hash_value", sa.String(128), nullable=True),
        sa.Column("min_ram", sa.Integer, nullable=False, server_default="0"),
        sa.Column("min_disk", sa.Integer, nullable=False, server_default="0"),
        sa.Column("protected", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("properties", LONG_TEXT, nullable=False),
        sa.Column("created_at", STAMP, nullable=True),
        sa.Column("updated_at", STAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_images"),
        sa.UniqueConstraint("uuid", name="uq_images_uuid"),
        **MYSQL)
    op.create_index("ix_images_name", "images", ["name"])
    op.create_index("ix_images_owner", "images", ["owner"])
    stamp = datetime(2024, 1, 1)
    op.bulk_insert(images, [
        {"uuid": uuid, "name": name, "status": "active", "visibility": "public",
         "owner": None, "disk_format": "qcow2", "container_format": "bare",
         "size": size, "min_ram": 0, "min_disk": 0, "protected": False,
         "properties": json.dumps(props), "created_at": stamp, "updated_at": stamp}
        for uuid, name, size, props in SEED])


def downgrade() -> None:
    op.drop_table("images")
