"""The network interfaces (VIFs) of instances (reserved; the table comes with ports).

Revision ID: cell004
Revises: cell003
"""

from __future__ import annotations

revision = "cell004"
down_revision = "cell003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
