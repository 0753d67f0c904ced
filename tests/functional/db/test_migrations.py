"""Both Alembic histories: up from empty, the upgrade path keeping data, and models
that match the migrated schema, on every backend."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tessera.db import migrate
from tessera.db.api.models import Base as ApiBase
from tessera.db.cell.models import Base as CellBase
from tessera.db.engine import get_engine

from .conftest import DatabaseServer

METADATA = {"api": ApiBase.metadata, "cell": CellBase.metadata}
WHICH = ["api", "cell"]


def _value(column: sa.Column, n: int, inserted: dict[str, list[dict]]) -> Any:
    """A value that fits `column` (a reflected one, as the old schema had it)."""
    for fk in column.foreign_keys:
        parent = inserted[fk.column.table.name][0]
        return parent[fk.column.name]
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return True
    if isinstance(kind, sa.Integer):
        return n % 100
    if isinstance(kind, sa.Float):
        return 1.5
    if isinstance(kind, sa.DateTime):
        return datetime(2020, 1, 2, 3, 4, 5, 123456)
    return "%s-%s-%d" % (column.table.name, column.name, n)


def _insert_one_row_each(conn: sa.Connection, which: str, counter: itertools.count,
                         inserted: dict[str, list[dict]]) -> None:
    """Insert one row (every column filled) into each table of `which` that exists."""
    meta = sa.MetaData()
    meta.reflect(conn)
    for table in meta.sorted_tables:
        if table.name not in METADATA[which].tables:
            continue
        n = next(counter)
        row = {c.name: _value(c, n, inserted) for c in table.columns
               if not (c.primary_key and c.autoincrement in (True, "auto"))}
        pk = conn.execute(table.insert().values(**row)).inserted_primary_key
        row["id"] = pk[0]
        inserted.setdefault(table.name, []).append(row)


@pytest.mark.parametrize("which", WHICH)
def test_migrations_from_empty_to_head(db_server: DatabaseServer, backend: str,
                                       which: migrate.Which) -> None:
    url = db_server.url("empty_" + which)
    assert migrate.current_revision(url, which) is None
    migrate.sync(url, which)
    assert migrate.current_revision(url, which) == migrate.head(which)
    migrate.sync(url, which)  # idempotent
    tables = set(sa.inspect(get_engine(url)).get_table_names())
    assert set(METADATA[which].tables) | {migrate.VERSION_TABLES[which]} == tables


@pytest.mark.parametrize("which", WHICH)
def test_upgrade_path_keeps_every_row(db_server: DatabaseServer, backend: str,
                                      which: migrate.Which) -> None:
    url = db_server.url("walk_" + which)
    revisions = migrate.revisions(which)
    assert len(revisions) >= 2, "the upgrade path should really be walked"
    counter, inserted = itertools.count(1), {}  # type: ignore[var-annotated]
    engine = get_engine(url)
    for revision in revisions:
        migrate.sync(url, which, revision)
        assert migrate.current_revision(url, which) == revision
        with engine.begin() as conn:
            _insert_one_row_each(conn, which, counter, inserted)
    assert set(inserted) == set(METADATA[which].tables)
    meta = sa.MetaData()
    with engine.connect() as conn:
        meta.reflect(conn)
        for name, rows in inserted.items():
            table = meta.tables[name]
            # at least these rows: a migration may seed rows of its own (api004: images)
            assert conn.scalar(sa.select(sa.func.count()).select_from(table)) >= len(rows)
            for row in rows:
                stored = conn.execute(sa.select(table).where(
                    table.c.id == row["id"])).mappings().one()
                assert {k: stored[k] for k in row} == row, name


@pytest.mark.parametrize("which", WHICH)
def test_models_match_the_migrated_schema(db_server: DatabaseServer, backend: str,
                                          which: migrate.Which) -> None:
    url = db_server.synced("empty_" + which, which)
    metadata = METADATA[which]

    def ours(obj: Any, name: str | None, kind: str, reflected: bool, _other: Any) -> bool:
        return not (kind == "table" and name not in metadata.tables)

    with get_engine(url).connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "compare_type": True, "include_object": ours})
        assert compare_metadata(context, metadata) == []


def test_version_tables_are_separate(db_server: DatabaseServer, backend: str) -> None:
    """Both histories can share one database without seeing each other."""
    url = db_server.url("shared")
    migrate.sync_api(url)
    assert migrate.current_revision(url, "cell") is None
    migrate.sync_cell(url, migrate.revisions("cell")[0])
    assert migrate.current_revision(url, "api") == migrate.head("api")
    assert migrate.current_revision(url, "cell") == migrate.revisions("cell")[0]
