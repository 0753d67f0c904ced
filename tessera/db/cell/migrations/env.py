"""Alembic environment of the cell database.

`tessera.db.migrate` hands over an open connection in `config.attributes`; a
`sqlalchemy.url` main option works too, for authoring with the alembic CLI.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from tessera.db.cell.models import Base

VERSION_TABLE = "alembic_version_cell"


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=Base.metadata,
                      version_table=VERSION_TABLE,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    with create_engine(context.config.get_main_option("sqlalchemy.url")).begin() as conn:
        _run(conn)
