"""Where things live: the API database, and each cell's database and message transport.

Every service that crosses cells (the API, the conductor, the scheduler) goes through
one `CellRouter`: an instance's cell comes from its instance mapping, a host's cell from
its host mapping, and a cell's database and transport from its cell mapping. Mappings
rarely change; they are cached and read again when a lookup misses.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import oslo_messaging
from sqlalchemy.orm import Session

from tessera.db import errors as db_errors
from tessera.db.api import queries as api_q
from tessera.db.engine import get_engine, read_scope, session_scope
from tessera.objects import CellMapping
from tessera.rpc import get_transport


class CellRouter:
    def __init__(self, api_db_url: str, conf=None) -> None:
        self.api_db_url = api_db_url
        self.conf = conf
        self._lock = threading.Lock()
        self._cells: dict[str, CellMapping] = {}
        self._hosts: dict[str, str] = {}

    @contextmanager
    def api(self, readonly: bool = False) -> Iterator[Session]:
        scope = read_scope if readonly else session_scope
        with scope(get_engine(self.api_db_url)) as session:
            yield session

    @contextmanager
    def cell_db(self, cell: CellMapping | str, readonly: bool = False) -> Iterator[Session]:
        """A unit of work on the cell's database; `readonly` ones never wait for
        writers on SQLite."""
        mapping = self.cell(cell) if isinstance(cell, str) else cell
        scope = read_scope if readonly else session_scope
        with scope(get_engine(mapping.database_connection)) as session:
            yield session

    def transport(self, cell: CellMapping | str) -> oslo_messaging.Transport:
        mapping = self.cell(cell) if isinstance(cell, str) else cell
        return get_transport(mapping.transport_url, self.conf)

    def cells(self, refresh: bool = False) -> list[CellMapping]:
        """Every cell, cell0 included."""
        with self._lock:
            if refresh or not self._cells:
                with self.api(readonly=True) as s:
                    self._cells = {c.uuid: c for c in api_q.list_cell_mappings(s)}
            return list(self._cells.values())

    def compute_cells(self) -> list[CellMapping]:
        """The cells that hold hosts (every cell but cell0), enabled ones only."""
        return [c for c in self.cells() if not c.is_cell0 and not c.disabled]

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
        with self._lock:
            uuid = self._hosts.get(host)
        if uuid is None:
            with self.api(readonly=True) as s:
                uuid = api_q.get_host_mapping(s, host).cell_uuid
            with self._lock:
                self._hosts[host] = uuid
        return self.cell(uuid)

    def cell_of_instance(self, instance_uuid: str) -> CellMapping | None:
        """The instance's cell; None while it is not scheduled yet."""
        with self.api(readonly=True) as s:
            mapping = api_q.get_instance_mapping(s, instance_uuid)
        return self.cell(mapping.cell_uuid) if mapping.cell_uuid else None
