"""Alembic environment of the cell database (see `tessera.db.migration_env`)."""

from tessera.db.cell.models import Base
from tessera.db.migration_env import run

run(Base.metadata, "alembic_version_cell")
