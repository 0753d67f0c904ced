"""Schema migrations of both databases, driven from Python (no alembic.ini).

Each database has its own Alembic history inside the package
(`tessera/db/api/migrations`, `tessera/db/cell/migrations`) and its own version table
(`alembic_version_api`, `alembic_version_cell`), so the API and a cell may even share
one database. On SQLite, migrations run with foreign keys off (batch mode rebuilds
tables that others refer to) and the foreign keys are checked once at the end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from tessera.db.engine import create_engine_for, ensure_sqlite_dir, is_sqlite

Which = Literal["api", "cell"]

VERSION_TABLES: dict[str, str] = {"api": "alembic_version_api",
                                  "cell": "alembic_version_cell"}


class MigrationError(RuntimeError):
    """A migration left the database inconsistent (e.g. dangling foreign keys)."""


def _config(which: Which) -> Config:
    if which not in VERSION_TABLES:
        raise ValueError("no such database: %r (api or cell)" % which)
    config = Config()
    config.set_main_option("script_location",
                           str(Path(__file__).parent / which / "migrations"))
    return config


def sync(url: str, which: Which, revision: str = "head") -> None:
    """Upgrade the `which` database at `url` to `revision` (creating the SQLite file
    and its folder if needed)."""
    config = _config(which)
    ensure_sqlite_dir(url)
    engine = create_engine_for(url, foreign_keys=False, pooled=False)
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
            if conn.dialect.name == "sqlite":
                dangling = conn.execute(text("PRAGMA foreign_key_check")).fetchall()
                if dangling:
                    raise MigrationError("dangling foreign keys after migration: %s"
                                         % dangling)
    finally:
        engine.dispose()


def sync_api(url: str, revision: str = "head") -> None:
    """Upgrade the API database at `url` to `revision`."""
    sync(url, "api", revision)


def sync_cell(url: str, revision: str = "head") -> None:
    """Upgrade the cell database at `url` to `revision`."""
    sync(url, "cell", revision)


def current_revision(url: str, which: Which) -> str | None:
    """The revision the `which` database at `url` is at; None when it was never
    synced (a missing SQLite file is not created)."""
    config = _config(which)
    database = make_url(url).database
    if is_sqlite(url) and database not in (None, "", ":memory:") \
            and not Path(database).exists():
        return None
    engine = create_engine_for(url, pooled=False)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table(VERSION_TABLES[which]):
                return None
            context = MigrationContext.configure(
                conn, opts={"version_table": VERSION_TABLES[which],
                            "script": ScriptDirectory.from_config(config)})
            return context.get_current_revision()
    finally:
        engine.dispose()


def revisions(which: Which) -> list[str]:
    """Every revision of the `which` history, oldest first."""
    script = ScriptDirectory.from_config(_config(which))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def head(which: Which) -> str:
    """The newest revision of the `which` history."""
    head_rev = ScriptDirectory.from_config(_config(which)).get_current_head()
    assert head_rev is not None
    return head_rev
