"""The network interfaces (VIFs) of instances: no table. An instance's VIFs
(`Instance.vifs`, one `InstanceVif` per port) are stored in its `instances.body` JSON:
they are read and written with the instance as one document (the driver builds the
guest's interfaces from it), they change only at build, delete and a failed build, and
the ports themselves (addresses, binding) live in the API database (api006), where the
Networking API serves them. A separate table would duplicate that state.

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
