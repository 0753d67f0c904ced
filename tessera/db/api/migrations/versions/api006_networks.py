"""Networks, subnets, ports and security groups of the built-in networking service (reserved; the tables come with the service).

Revision ID: api006
Revises: api005
"""

from __future__ import annotations

revision = "api006"
down_revision = "api005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
