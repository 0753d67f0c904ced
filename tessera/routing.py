"""Where things live: the API database, and each cell's database and message transport.

Every service that crosses cells (the API, the conductor, the scheduler) goes through
one `CellRouter`: an instance's cell comes from its instance mapping, a host's cell from
its host mapping, and a cell's database and transport from its cell mapping. Mappings
rarely change; they are cached and read again when a lookup misses.

A cell whose database does not answer must not take the others down with it: cell
database connections are opened with a short connect timeout (`cell_timeout`), a
failed connection marks the cell down, and `compute_cells()` (what the scheduler
reads host states from) leaves out cells known to be down until a probe, at most every
`probe_interval` seconds, finds them answering again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import oslo_messaging
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from tessera.db import errors as db_errors
from tessera.db.api import queries as api_q
from tessera.db.engine import get_engine, read_scope, session_scope
from tessera.objects import CellMapping
from tessera.rpc import get_transport

LOG = logging.getLogger(__name__)

CELL_TIMEOUT = 3
PROBE_INTERVAL = 2.0
HOST_CACHE_TTL = 30.0

# The connect-timeout parameter of each driver that reads it from the URL's query.
_TIMEOUT_PARAMS = {"postgresql": "connect_timeout", "mysql": "connect_timeout",
                   "mariadb": "connect_timeout"}


def cell_db_url(url: str, timeout: int = CELL_TIMEOUT) -> str:
    """`url` with a connect timeout of `timeout` seconds, unless it sets its own:
    a dead cell then costs a listing seconds, not the TCP default of minutes."""
    parsed = make_url(url)
    param = _TIMEOUT_PARAMS.get(parsed.get_backend_name())
    if param is None or param in parsed.query:
        return url
    return parsed.update_query_dict({param: str(timeout)}).render_as_string(
        hide_password=False)


class CellRouter:
    def __init__(self, api_db_url: str, conf=None, *, cell_timeout: int = CELL_TIMEOUT,
                 probe_interval: float = PROBE_INTERVAL) -> None:
        self.api_db_url = api_db_url
        self.conf = conf
        self.cell_timeout = cell_timeout
        self.probe_interval = probe_interval
        self._lock = threading.Lock()
        self._cells: dict[str, CellMapping] = {}
        self._hosts: dict[str, tuple[float, str]] = {}
        self._health: dict[str, tuple[float, bool]] = {}

    @contextmanager
    def api(self, readonly: bool = False) -> Iterator[Session]:
        scope = read_scope if readonly else session_scope
        with scope(get_engine(self.api_db_url)) as session:
            yield session

    @contextmanager
    def cell_db(self, cell: CellMapping | str, readonly: bool = False) -> Iterator[Session]:
        """A unit of work on the cell's database; `readonly` ones never wait for
        writers on SQLite. A failure to reach the database marks the cell down and
        is raised as it came (callers that scatter over cells catch it)."""
        mapping = self.cell(cell) if isinstance(cell, str) else cell
        scope = read_scope if readonly else session_scope
        try:
            with scope(get_engine(cell_db_url(mapping.database_connection,
                                              self.cell_timeout))) as session:
                yield session
        except (OperationalError, InterfaceError) as exc:
            if not self.probe(mapping):
                LOG.warning("cell %s (%s) is down: %s", mapping.name, mapping.uuid,
                            str(exc.orig).splitlines()[0] if exc.orig else exc)
            raise

    def transport(self, cell: CellMapping | str) -> oslo_messaging.Transport:
        mapping = self.cell(cell) if isinstance(cell, str) else cell
        return get_transport(mapping.transport_url, self.conf)

    # -- health ------------------------------------------------------------------------

    def probe(self, cell: CellMapping) -> bool:
        """Ask the cell's database for `SELECT 1` now; remember and return whether
        it answered."""
        try:
            engine = get_engine(cell_db_url(cell.database_connection, self.cell_timeout))
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            up = True
        except SQLAlchemyError:
            up = False
        with self._lock:
            self._health[cell.uuid] = (time.monotonic(), up)
        return up

    def is_up(self, cell: CellMapping) -> bool:
        """Whether the cell's database answered when last asked (asked again when
        that is older than `probe_interval`)."""
        with self._lock:
            seen = self._health.get(cell.uuid)
        if seen is None or time.monotonic() - seen[0] > self.probe_interval:
            return self.probe(cell)
        return seen[1]

    # -- mappings ----------------------------------------------------------------------

    def cells(self, refresh: bool = False) -> list[CellMapping]:
        """Every cell, cell0 included."""
        with self._lock:
            if refresh or not self._cells:
                with self.api(readonly=True) as s:
                    self._cells = {c.uuid: c for c in api_q.list_cell_mappings(s)}
            return list(self._cells.values())

    def compute_cells(self) -> list[CellMapping]:
        """The cells that hold hosts (every cell but cell0): enabled ones whose
        database answers. A cell that is down is left out, so scheduling and host
        listings go on in the others."""
        return [c for c in self.cells()
                if not c.is_cell0 and not c.disabled and self.is_up(c)]

    def cell(self, uuid: str) -> CellMapping:
        cells = {c.uuid: c for c in self.cells()}
        if uuid not in cells:
            cells = {c.uuid: c for c in self.cells(refresh=True)}
        if uuid not in cells:
            raise db_errors.CellMappingNotFound(uuid)
        return cells[uuid]

    def cell0(self) -> CellMapping:
        found = [c for c in self.cells() if c.is_cell0] or \
            [c for c in self.cells(refresh=True) if c.is_cell0]
        if not found:
            raise db_errors.CellMappingNotFound("cell0")
        return found[0]

    def cell_of_host(self, host: str) -> CellMapping:
        """The host's cell; cached for `HOST_CACHE_TTL` seconds, since a host may be
        deleted from one cell and discovered in another."""
        with self._lock:
            cached = self._hosts.get(host)
        if cached is None or time.monotonic() - cached[0] > HOST_CACHE_TTL:
            with self.api(readonly=True) as s:
                uuid = api_q.get_host_mapping(s, host).cell_uuid
            with self._lock:
                self._hosts[host] = (time.monotonic(), uuid)
        else:
            uuid = cached[1]
        return self.cell(uuid)

    def cell_of_instance(self, instance_uuid: str) -> CellMapping | None:
        """The instance's cell; None while it is not scheduled yet."""
        with self.api(readonly=True) as s:
            mapping = api_q.get_instance_mapping(s, instance_uuid)
        return self.cell(mapping.cell_uuid) if mapping.cell_uuid else None
