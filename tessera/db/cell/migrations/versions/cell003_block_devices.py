"""Block device mappings of instances (volumes attached to servers) (reserved; the table comes with the volume attachments).

Revision ID: cell003
Revises: cell002
"""

from __future__ import annotations

revision = "cell003"
down_revision = "cell002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
