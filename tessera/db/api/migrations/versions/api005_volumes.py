"""Volumes, volume types and attachments of the built-in block storage service (reserved; the tables come with the service).

Revision ID: api005
Revises: api004
"""

from __future__ import annotations

revision = "api005"
down_revision = "api004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
