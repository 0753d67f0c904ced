"""What both databases' Alembic environments do: run the migrations on the connection
`tessera.db.migrate` hands over in `config.attributes`, or on `sqlalchemy.url` (for
authoring with the alembic CLI)."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import MetaData, create_engine


def run(metadata: MetaData, version_table: str) -> None:
    def _run(connection: Any) -> None:
        context.configure(connection=connection, target_metadata=metadata,
                          version_table=version_table,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()

    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        url = context.config.get_main_option("sqlalchemy.url")
        with create_engine(url).begin() as conn:
            _run(conn)
