"""Real database servers for tests: fresh, uniquely named databases made on demand and
dropped afterwards, on SQLite, PostgreSQL or MariaDB.

The admin URLs can be changed with TESSERA_TEST_POSTGRESQL_URL / TESSERA_TEST_MYSQL_URL.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tessera.db import migrate
from tessera.db.engine import dispose_engine

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
