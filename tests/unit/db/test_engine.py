"""Engine settings and units of work (SQLite in a temporary directory)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from tessera.db._util import UTCDateTime, is_duplicate
from tessera.db.engine import (dispose_engine, ensure_sqlite_dir, get_engine,
                               session_scope)


@pytest.fixture
def url(tmp_path: Path):  # type: ignore[no-untyped-def]
    url = "sqlite:///%s" % (tmp_path / "sub" / "dir" / "t.sqlite")
    yield url
    dispose_engine(url)


def test_one_engine_per_url_and_the_folder_is_made(url: str, tmp_path: Path) -> None:
    engine = get_engine(url)
    assert get_engine(url) is engine
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    assert (tmp_path / "sub" / "dir" / "t.sqlite").exists()
    dispose_engine(url)
    assert get_engine(url) is not engine


def test_ensure_sqlite_dir_ignores_other_urls(tmp_path: Path) -> None:
    ensure_sqlite_dir("sqlite://")
    ensure_sqlite_dir("postgresql://u@h/db")
    ensure_sqlite_dir("sqlite:///%s/a/b.sqlite" % tmp_path)
    assert (tmp_path / "a").is_dir()


def test_session_scope_commits_or_rolls_back(url: str) -> None:
    engine = get_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)")
    with session_scope(engine) as s:
        s.execute(sa.text("INSERT INTO t (v) VALUES ('a')"))
    with pytest.raises(RuntimeError):
        with session_scope(engine) as s:
            s.execute(sa.text("INSERT INTO t (v) VALUES ('b')"))
            raise RuntimeError
    with session_scope(engine) as s:
        with pytest.raises(sa.exc.IntegrityError) as dup:
            with s.begin_nested():  # a savepoint really is one
                s.execute(sa.text("INSERT INTO t (v) VALUES ('c')"))
                s.execute(sa.text("INSERT INTO t (v) VALUES ('a')"))
        assert is_duplicate(dup.value)
    with session_scope(engine) as s:
        assert s.scalars(sa.text("SELECT v FROM t")).all() == ["a"]


def test_foreign_keys_are_enforced(url: str) -> None:
    with get_engine(url).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE p (id INTEGER PRIMARY KEY)")
        conn.exec_driver_sql("CREATE TABLE c (id INTEGER PRIMARY KEY, "
                             "p_id INTEGER REFERENCES p(id))")
    with pytest.raises(sa.exc.IntegrityError) as err:
        with session_scope(get_engine(url)) as s:
            s.execute(sa.text("INSERT INTO c (p_id) VALUES (42)"))
    assert not is_duplicate(err.value)


def test_timestamps_are_stored_as_utc_and_read_back_aware(url: str) -> None:
    table = sa.Table("stamps", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("at", UTCDateTime()))
    engine = get_engine(url)
    table.create(engine)
    paris = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    with engine.begin() as conn:
        conn.execute(table.insert().values(at=paris))
        stored = conn.execute(sa.select(table.c.at)).scalar_one()
        raw = conn.exec_driver_sql("SELECT at FROM stamps").scalar_one()
    assert stored == paris and stored.tzinfo == UTC
    assert raw.startswith("2024-05-01 10:00:00.123456")
