"""Helpers shared by both schemas and their query modules: column types that behave
the same on SQLite, PostgreSQL and MariaDB, the clock, and inserts whose unique-key
violations become `DuplicateEntry` subclasses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Text, TypeDecorator
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tessera.db.errors import DuplicateEntry

# JSON documents: TEXT is 64 KiB on MariaDB, too small for a host with many devices.
LongText = Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC (microseconds kept on MariaDB too, so rows
    created in the same second still sort) and read back as aware UTC, equal to what
    the objects' JSON holds."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


def is_duplicate(exc: IntegrityError) -> bool:
    """Whether the backend refused a row for a taken unique key (rather than a
    foreign key or a NOT NULL)."""
    orig = exc.orig
    pgcode = getattr(orig, "pgcode", None)
    if pgcode is not None:
        return bool(pgcode == "23505")
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int):  # PyMySQL: (errno, message)
        return bool(args[0] == 1062)
    return "UNIQUE constraint failed" in str(orig)


def add_row(session: Session, row: Any, error: Callable[[], DuplicateEntry]) -> None:
    """Insert `row` in a savepoint; a unique-key violation raises `error()` and leaves
    the session's transaction usable (PostgreSQL would otherwise abort it)."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as exc:
        if is_duplicate(exc):
            raise error() from exc
        raise
