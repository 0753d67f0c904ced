"""Queries of the API database. Every function takes a `Session` (one unit of work,
see `tessera.db.engine.session_scope`) and returns `tessera.objects` objects.

Request specs and build requests are stored as their objects' JSON; a request spec
is stored in its persisted form (per-request fields blanked, as upstream does).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tessera.db import errors
from tessera.db._util import add_row, utcnow
from tessera.db.api.flavors import (create_flavor, delete_flavor, get_flavor,
                                    get_flavor_by_name, list_flavors,
                                    set_flavor_extra_specs, unset_flavor_extra_spec)
from tessera.db.api.models import (BuildRequestRow, CellMappingRow, HostMappingRow,
                                   InstanceMappingRow, RequestSpecRow)
from tessera.objects import (CELL0_UUID, BuildRequest, CellMapping, HostMapping,
                             Instance, InstanceMapping, RequestSpec)

__all__ = [
    "create_flavor", "delete_flavor", "get_flavor", "get_flavor_by_name",
    "list_flavors", "set_flavor_extra_specs", "unset_flavor_extra_spec",
    "create_request_spec", "get_request_spec", "save_request_spec",
    "delete_request_spec", "create_cell_mapping", "get_cell_mapping",
    "list_cell_mappings", "get_cell0_mapping", "create_host_mapping",
    "get_host_mapping", "list_host_mappings", "delete_host_mapping",
    "create_instance_mapping", "get_instance_mapping", "set_instance_mapping_cell",
    "list_instance_mappings", "create_build_request", "get_build_request",
    "delete_build_request", "list_build_requests",
]


# -- request specs -----------------------------------------------------------------

def create_request_spec(session: Session, spec: RequestSpec) -> RequestSpec:
    """Persist the spec of a new instance; `RequestSpecExists` if it has one."""
    stored = spec.to_persisted()
    row = RequestSpecRow(instance_uuid=spec.instance_uuid, spec=stored.to_json(),
                         created_at=utcnow())
    add_row(session, row, lambda: errors.RequestSpecExists(spec.instance_uuid))
    return stored


def _spec_row(session: Session, instance_uuid: str) -> RequestSpecRow:
    row = session.scalars(select(RequestSpecRow).where(
        RequestSpecRow.instance_uuid == instance_uuid)).first()
    if row is None:
        raise errors.RequestSpecNotFound(instance_uuid)
    return row


def get_request_spec(session: Session, instance_uuid: str) -> RequestSpec:
    return RequestSpec.from_json(_spec_row(session, instance_uuid).spec)


def save_request_spec(session: Session, spec: RequestSpec) -> RequestSpec:
    """Rewrite the stored spec whole (after a move changed it)."""
    row = _spec_row(session, spec.instance_uuid)
    stored = spec.to_persisted()
    row.spec, row.updated_at = stored.to_json(), utcnow()
    session.flush()
    return stored


def delete_request_spec(session: Session, instance_uuid: str) -> None:
    session.delete(_spec_row(session, instance_uuid))
    session.flush()


# -- cell mappings -----------------------------------------------------------------

def _to_cell(row: CellMappingRow) -> CellMapping:
    return CellMapping(uuid=row.uuid, name=row.name, transport_url=row.transport_url,
                       database_connection=row.database_connection,
                       disabled=row.disabled)


def _cell_row(session: Session, cell_uuid: str) -> CellMappingRow:
    row = session.scalars(select(CellMappingRow).where(
        CellMappingRow.uuid == cell_uuid)).first()
    if row is None:
        raise errors.CellMappingNotFound(cell_uuid)
    return row


def create_cell_mapping(session: Session, cell: CellMapping) -> CellMapping:
    row = CellMappingRow(uuid=cell.uuid, name=cell.name, transport_url=cell.transport_url,
                         database_connection=cell.database_connection,
                         disabled=cell.disabled, created_at=utcnow())
    add_row(session, row, lambda: errors.CellMappingExists(cell.uuid))
    return _to_cell(row)


def get_cell_mapping(session: Session, cell_uuid: str) -> CellMapping:
    return _to_cell(_cell_row(session, cell_uuid))


def get_cell0_mapping(session: Session) -> CellMapping:
    return get_cell_mapping(session, CELL0_UUID)


def list_cell_mappings(session: Session) -> list[CellMapping]:
    """Every cell, cell0 first, then in the order they were created."""
    rows = session.scalars(select(CellMappingRow).order_by(
        CellMappingRow.uuid != CELL0_UUID, CellMappingRow.id))
    return [_to_cell(row) for row in rows]


# -- host mappings -----------------------------------------------------------------

def _to_host(row: HostMappingRow) -> HostMapping:
    return HostMapping(host=row.host, cell_uuid=row.cell.uuid)


def create_host_mapping(session: Session, mapping: HostMapping) -> HostMapping:
    """Map a compute host to its cell; `HostMappingExists` if it is mapped already,
    `CellMappingNotFound` if the cell is unknown."""
    cell = _cell_row(session, mapping.cell_uuid)
    row = HostMappingRow(host=mapping.host, cell=cell, created_at=utcnow())
    add_row(session, row, lambda: errors.HostMappingExists(mapping.host))
    return _to_host(row)


def _host_row(session: Session, host: str) -> HostMappingRow:
    row = session.scalars(select(HostMappingRow).where(HostMappingRow.host == host)).first()
    if row is None:
        raise errors.HostMappingNotFound(host)
    return row


def get_host_mapping(session: Session, host: str) -> HostMapping:
    return _to_host(_host_row(session, host))


def list_host_mappings(session: Session, cell_uuid: str | None = None) -> list[HostMapping]:
    """Host mappings by host name, of one cell or of all."""
    query = select(HostMappingRow).order_by(HostMappingRow.host)
    if cell_uuid is not None:
        query = query.join(HostMappingRow.cell).where(CellMappingRow.uuid == cell_uuid)
    return [_to_host(row) for row in session.scalars(query)]


def delete_host_mapping(session: Session, host: str) -> None:
    session.delete(_host_row(session, host))
    session.flush()


# -- instance mappings -------------------------------------------------------------

def _to_instance_mapping(row: InstanceMappingRow) -> InstanceMapping:
    return InstanceMapping(instance_uuid=row.instance_uuid,
                           cell_uuid=row.cell.uuid if row.cell else None,
                           project_id=row.project_id, user_id=row.user_id,
                           queued_for_delete=row.queued_for_delete)


def _instance_mapping_row(session: Session, instance_uuid: str) -> InstanceMappingRow:
    row = session.scalars(select(InstanceMappingRow).where(
        InstanceMappingRow.instance_uuid == instance_uuid)).first()
    if row is None:
        raise errors.InstanceMappingNotFound(instance_uuid)
    return row


def create_instance_mapping(session: Session, mapping: InstanceMapping) -> InstanceMapping:
    cell = _cell_row(session, mapping.cell_uuid) if mapping.cell_uuid else None
    row = InstanceMappingRow(instance_uuid=mapping.instance_uuid, cell=cell,
                             project_id=mapping.project_id, user_id=mapping.user_id,
                             queued_for_delete=mapping.queued_for_delete,
                             created_at=utcnow())
    add_row(session, row, lambda: errors.InstanceMappingExists(mapping.instance_uuid))
    return _to_instance_mapping(row)


def get_instance_mapping(session: Session, instance_uuid: str) -> InstanceMapping:
    return _to_instance_mapping(_instance_mapping_row(session, instance_uuid))


def set_instance_mapping_cell(session: Session, instance_uuid: str,
                              cell_uuid: str | None) -> InstanceMapping:
    """Point the instance at the cell that now holds it (after scheduling)."""
    row = _instance_mapping_row(session, instance_uuid)
    row.cell = _cell_row(session, cell_uuid) if cell_uuid else None
    row.updated_at = utcnow()
    session.flush()
    return _to_instance_mapping(row)


def list_instance_mappings(session: Session, project_id: str, *,
                           marker: str | None = None,
                           limit: int | None = None) -> list[InstanceMapping]:
    """A project's instance mappings in creation order; `marker` is the instance
    uuid after which to start."""
    query = select(InstanceMappingRow).where(
        InstanceMappingRow.project_id == project_id).order_by(InstanceMappingRow.id)
    if marker is not None:
        marker_id = session.scalar(select(InstanceMappingRow.id).where(
            InstanceMappingRow.instance_uuid == marker))
        if marker_id is None:
            raise errors.MarkerNotFound(marker)
        query = query.where(InstanceMappingRow.id > marker_id)
    if limit is not None:
        query = query.limit(limit)
    return [_to_instance_mapping(row) for row in session.scalars(query)]


# -- build requests ----------------------------------------------------------------

def _to_build_request(row: BuildRequestRow) -> BuildRequest:
    return BuildRequest(instance_uuid=row.instance_uuid, project_id=row.project_id,
                        instance=Instance.from_json(row.instance),
                        created_at=row.created_at)


def _build_request_row(session: Session, instance_uuid: str) -> BuildRequestRow:
    row = session.scalars(select(BuildRequestRow).where(
        BuildRequestRow.instance_uuid == instance_uuid)).first()
    if row is None:
        raise errors.BuildRequestNotFound(instance_uuid)
    return row


def create_build_request(session: Session, request: BuildRequest) -> BuildRequest:
    row = BuildRequestRow(instance_uuid=request.instance_uuid,
                          project_id=request.project_id,
                          instance=request.instance.to_json(),
                          created_at=request.created_at or utcnow())
    add_row(session, row, lambda: errors.BuildRequestExists(request.instance_uuid))
    return _to_build_request(row)


def get_build_request(session: Session, instance_uuid: str) -> BuildRequest:
    return _to_build_request(_build_request_row(session, instance_uuid))


def delete_build_request(session: Session, instance_uuid: str) -> None:
    session.delete(_build_request_row(session, instance_uuid))
    session.flush()


def list_build_requests(session: Session, project_id: str) -> list[BuildRequest]:
    rows = session.scalars(select(BuildRequestRow).where(
        BuildRequestRow.project_id == project_id).order_by(BuildRequestRow.id))
    return [_to_build_request(row) for row in rows]
