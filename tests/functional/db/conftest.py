"""Database fixtures: every test module here runs against SQLite, PostgreSQL and
MariaDB.

`db_server` (one per module and backend) creates fresh, uniquely named databases on
demand and drops them when the module is done. `db_url` asks `require_service` first,
so a missing server skips the test (or fails it under TESSERA_REQUIRE_SERVICES=1).
`api_url` / `cell_url` are databases migrated to head and emptied after each test.
The servers themselves are `tests.support.databases.DatabaseServer`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from tessera.db.api.models import Base as ApiBase
from tessera.db.cell.models import Base as CellBase
from tessera.db.engine import get_engine
from tests.support.databases import SERVICE_NAMES, DatabaseServer


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
