"""Database fixtures: every test module here runs against SQLite, PostgreSQL and
MariaDB.

`db_server` (one per module and backend) creates fresh, uniquely named databases on
demand and drops them when the module is done. `db_url` asks `require_service` first,
so a missing server skips the test (or fails it under TESSERA_REQUIRE_SERVICES=1).
`api_url` / `cell_url` are databases migrated to head and emptied after each test.
The admin URLs can be changed with TESSERA_TEST_POSTGRESQL_URL / TESSERA_TEST_MYSQL_URL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tessera.db import migrate
from tessera.db.api.models import Base as ApiBase
from tessera.db.cell.models import Base as CellBase
from tessera.db.engine import dispose_engine, get_engine

ADMIN_URLS = {
    "postgresql": os.environ.get("TESSERA_TEST_POSTGRESQL_URL",
                                 "postgresql+psycopg2://postgres@127.0.0.1:5432/test"),
    "mysql": os.environ.get("TESSERA_TEST_MYSQL_URL",
                            "mysql+pymysql://root@127.0.0.1:3306/test"),
}
SERVICE_NAMES = {"postgresql": "PostgreSQL", "mysql": "MariaDB"}


class DatabaseServer:
    """One backend for one test module: makes databases, drops them at the end."""

    def __init__(self, backend: str, tmp: Path, module: str) -> None:
        self.backend, self.tmp = backend, tmp
        self.prefix = "tessera_%s_%s" % (module.rsplit(".", 1)[-1][:20],
                                         uuid.uuid4().hex[:6])
        self.available, self.detail = True, ""
        self._urls: dict[str, str] = {}
        self._synced: set[str] = set()
        self._admin: sa.Engine | None = None
        if backend != "sqlite":
            self._admin = sa.create_engine(ADMIN_URLS[backend], isolation_level="AUTOCOMMIT",
                                           poolclass=sa.NullPool,
                                           connect_args={"connect_timeout": 3})
            try:
                with self._admin.connect():
                    pass
            except sa.exc.DBAPIError as exc:
                self.available, self.detail = False, str(exc.orig).splitlines()[0]

    def url(self, name: str = "main") -> str:
        """A fresh database called `name` (the same one on later calls)."""
        if name not in self._urls:
            if self._admin is None:
                self._urls[name] = "sqlite:///%s" % (self.tmp / ("%s.sqlite" % name))
            else:
                database = "%s_%s" % (self.prefix, name)
                with self._admin.connect() as conn:
                    charset = " CHARACTER SET utf8mb4" if self.backend == "mysql" else ""
                    conn.exec_driver_sql("CREATE DATABASE %s%s" % (database, charset))
                self._urls[name] = make_url(ADMIN_URLS[self.backend]).set(
                    database=database).render_as_string(hide_password=False)
        return self._urls[name]

    def synced(self, name: str, which: migrate.Which) -> str:
        """A database migrated to head once per module."""
        url = self.url(name)
        if url not in self._synced:
            migrate.sync(url, which)
            self._synced.add(url)
        return url

    def drop_all(self) -> None:
        for url in self._urls.values():
            dispose_engine(url)
            if self._admin is not None:
                force = " WITH (FORCE)" if self.backend == "postgresql" else ""
                with self._admin.connect() as conn:
                    conn.exec_driver_sql("DROP DATABASE IF EXISTS %s%s"
                                         % (make_url(url).database, force))
        if self._admin is not None:
            self._admin.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "mysql"])
def db_server(request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseServer]:
    server = DatabaseServer(request.param, tmp_path_factory.mktemp(request.param),
                            request.module.__name__)
    yield server
    server.drop_all()


@pytest.fixture
def backend(db_server: DatabaseServer, require_service: Callable[..., None]) -> str:
    """The backend under test, once its server answered."""
    if db_server.backend != "sqlite":
        require_service(SERVICE_NAMES[db_server.backend], db_server.available,
                        db_server.detail)
    return db_server.backend


@pytest.fixture
def db_url(db_server: DatabaseServer, backend: str) -> str:
    """A fresh, empty database of this module on the backend under test."""
    return db_server.url("main")


def _empty(url: str, metadata: sa.MetaData) -> None:
    with get_engine(url).begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def api_url(db_server: DatabaseServer, backend: str) -> Iterator[str]:
    """An API database at head, emptied after the test."""
    url = db_server.synced("api", "api")
    yield url
    _empty(url, ApiBase.metadata)


@pytest.fixture
def cell_url(db_server: DatabaseServer, backend: str) -> Iterator[str]:
    """A cell database at head, emptied after the test."""
    url = db_server.synced("cell", "cell")
    yield url
    _empty(url, CellBase.metadata)
