"""Alembic environment of the api database (see `tessera.db.migration_env`)."""

from tessera.db.api.models import Base
from tessera.db.migration_env import run

run(Base.metadata, "alembic_version_api")
