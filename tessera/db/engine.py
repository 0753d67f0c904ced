"""Engines and units of work for the API and cell databases.

One engine per URL per process (`get_engine`), so every caller shares a connection pool.
SQLite is the all-in-one's database and is set up to be used safely from several
threads: foreign keys on, write-ahead logging (readers do not block the writer), a busy
timeout instead of instant "database is locked" errors, and `BEGIN IMMEDIATE` for every
transaction. The last one matters for compare-and-swap writes: a deferred transaction
that read first and writes later cannot wait for the write lock (SQLite answers
SQLITE_BUSY at once), an immediate one simply queues. PostgreSQL and MariaDB get
`pool_pre_ping` so a connection the server dropped is replaced rather than failing a
request, and READ COMMITTED on MariaDB so both behave alike.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool, StaticPool

SQLITE_BUSY_TIMEOUT_MS = 30_000

_ENGINES: dict[str, Engine] = {}
_LOCK = threading.Lock()


def get_engine(url: str) -> Engine:
    """The process-wide engine of `url`, created on first use."""
    with _LOCK:
        engine = _ENGINES.get(url)
        if engine is None:
            ensure_sqlite_dir(url)
            engine = _ENGINES[url] = create_engine_for(url)
        return engine


def dispose_engine(url: str) -> None:
    """Close the pooled connections of `url`'s engine and forget it (before dropping
    a database, or in tests)."""
    with _LOCK:
        engine = _ENGINES.pop(url, None)
    if engine is not None:
        engine.dispose()


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def ensure_sqlite_dir(url: str) -> None:
    """Create the folder of a SQLite file URL (SQLite creates the file, not its
    folder); other URLs are left alone."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "",
                                                                         ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def create_engine_for(url: str, *, foreign_keys: bool = True,
                      pooled: bool = True) -> Engine:
    """A new engine for `url` with Tessera's settings. `foreign_keys=False` is for
    SQLite schema migrations, which rebuild tables that others refer to."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if parsed.get_backend_name() in ("mysql", "mariadb"):
            kwargs.update(isolation_level="READ COMMITTED", pool_recycle=3600)
        if not pooled:
            kwargs["poolclass"] = NullPool
        return create_engine(url, **kwargs)
    memory = parsed.database in (None, "", ":memory:")
    kwargs = {"connect_args": {"check_same_thread": False,
                               "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
    if memory:
        # One shared connection, or every checkout would see its own empty database.
        kwargs["poolclass"] = StaticPool
    elif not pooled:
        kwargs["poolclass"] = NullPool
    engine = create_engine(url, **kwargs)
    _set_up_sqlite(engine, foreign_keys=foreign_keys, wal=not memory)
    return engine


def _set_up_sqlite(engine: Engine, *, foreign_keys: bool, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=%s" % ("ON" if foreign_keys else "OFF"))
        cursor.execute("PRAGMA busy_timeout=%d" % SQLITE_BUSY_TIMEOUT_MS)
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front (and queue on busy_timeout) rather than
        # failing to upgrade a read lock; readers start deferred and, with WAL, run
        # beside a writer.
        readonly = conn.get_execution_options().get(_READONLY)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


_READONLY = "tessera_readonly"


@contextmanager
def read_scope(engine: Engine) -> Iterator[Session]:
    """A unit of work that only reads: on SQLite it does not wait for writers."""
    with session_scope(engine.execution_options(**{_READONLY: True})) as session:
        yield session


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back if it raises.

    Objects stay readable after the commit (`expire_on_commit=False`); callers get
    `tessera.objects` from the query modules anyway, never ORM rows.
    """
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
