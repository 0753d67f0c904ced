"""Cells v2 mappings in the API database: which cell holds a host, an instance."""

from __future__ import annotations

from datetime import datetime

from tessera.objects.base import TesseraObject
from tessera.objects.instance import Instance

CELL0_UUID = "00000000-0000-0000-0000-000000000000"


class CellMapping(TesseraObject):
    uuid: str
    name: str | None = None
    transport_url: str
    database_connection: str
    disabled: bool = False

    @property
    def is_cell0(self) -> bool:
        return self.uuid == CELL0_UUID


class HostMapping(TesseraObject):
    host: str
    cell_uuid: str


class InstanceMapping(TesseraObject):
    instance_uuid: str
    cell_uuid: str | None = None
    project_id: str
    user_id: str | None = None
    queued_for_delete: bool = False


class BuildRequest(TesseraObject):
    """An instance accepted by the API and not yet scheduled to a cell."""

    instance_uuid: str
    project_id: str
    instance: Instance
    created_at: datetime | None = None
