"""Service and compute node queries of a cell database (re-exported by
`tessera.db.cell.queries`).

A compute node's usage is written optimistically, as Placement writes resource
providers: `save_usage` succeeds only if the node's generation is still the one the
writer read, and bumps it; the loser gets `GenerationConflict`, re-reads and retries.
No lock is held between the read and the write.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tessera.db import errors
from tessera.db._util import add_row, is_duplicate, utcnow
from tessera.db.cell.models import ComputeNodeRow, ServiceRow
from tessera.objects import ComputeNode, Service

_SERVICE_FIELDS = ("host", "binary", "topic", "disabled", "disabled_reason",
                   "forced_down", "last_seen_up", "report_count", "version")
_NODE_FIELDS = ("host", "hypervisor_hostname", "hypervisor_type", "hypervisor_version",
                "vcpus", "memory_mb", "local_gb", "vcpus_used", "memory_mb_used",
                "local_gb_used", "running_vms", "cpu_allocation_ratio",
                "ram_allocation_ratio", "disk_allocation_ratio")


# -- services ----------------------------------------------------------------------

def _to_service(row: ServiceRow) -> Service:
    return Service(**{f: getattr(row, f) for f in _SERVICE_FIELDS})


def _service_row(session: Session, host: str, binary: str) -> ServiceRow | None:
    return session.scalars(select(ServiceRow).where(
        ServiceRow.host == host, ServiceRow.binary == binary)).first()


def create_or_get_service(session: Session, service: Service) -> Service:
    """The service record of (host, binary), created from `service` if there is none
    (a service registers itself at start; a restart finds its old record)."""
    row = _service_row(session, service.host, service.binary)
    if row is not None:
        return _to_service(row)
    row = ServiceRow(uuid=str(uuidlib.uuid4()), created_at=utcnow(),
                     **{f: getattr(service, f) for f in _SERVICE_FIELDS})
    try:
        add_row(session, row, lambda: errors.ServiceExists(service.host))
    except errors.ServiceExists:  # registered concurrently: take theirs
        row = _service_row(session, service.host, service.binary)
        assert row is not None
    return _to_service(row)


def get_service(session: Session, host: str, binary: str) -> Service:
    row = _service_row(session, host, binary)
    if row is None:
        raise errors.ServiceNotFound("%s on %s" % (binary, host))
    return _to_service(row)


def list_services(session: Session, *, binary: str | None = None,
                  host: str | None = None) -> list[Service]:
    query = select(ServiceRow).order_by(ServiceRow.host, ServiceRow.binary)
    if binary is not None:
        query = query.where(ServiceRow.binary == binary)
    if host is not None:
        query = query.where(ServiceRow.host == host)
    return [_to_service(row) for row in session.scalars(query)]


def _update_service(session: Session, host: str, binary: str, **values: object) -> Service:
    result = session.execute(update(ServiceRow).where(
        ServiceRow.host == host, ServiceRow.binary == binary).values(
        updated_at=utcnow(), **values).execution_options(synchronize_session=False))
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise errors.ServiceNotFound("%s on %s" % (binary, host))
    session.expire_all()
    return get_service(session, host, binary)


def heartbeat(session: Session, host: str, binary: str) -> Service:
    """Record that the service is alive: last_seen_up = now, report_count + 1 (in one
    UPDATE, so concurrent reports are all counted)."""
    return _update_service(session, host, binary, last_seen_up=utcnow(),
                           report_count=ServiceRow.report_count + 1)


def set_service_disabled(session: Session, host: str, binary: str, disabled: bool,
                         reason: str | None = None) -> Service:
    return _update_service(session, host, binary, disabled=disabled,
                           disabled_reason=reason if disabled else None)


# -- compute nodes -----------------------------------------------------------------

def _to_node(row: ComputeNodeRow) -> ComputeNode:
    node = ComputeNode.from_json(row.numa_topology)
    return node.model_copy(update={"generation": row.generation,
                                   "updated_at": row.updated_at})


def _node_row(session: Session, hypervisor_hostname: str) -> ComputeNodeRow:
    row = session.scalars(select(ComputeNodeRow).where(
        ComputeNodeRow.hypervisor_hostname == hypervisor_hostname)).first()
    if row is None:
        raise errors.ComputeNodeNotFound(hypervisor_hostname)
    return row


def create_or_update_compute_node(session: Session, node: ComputeNode) -> ComputeNode:
    """Store a compute service's report of its node: capacity, topology and usage.

    An existing node (same uuid) is overwritten and its generation bumped, so any
    usage write prepared from the previous state fails with `GenerationConflict`.
    `ComputeNodeExists` if another node already has this hypervisor_hostname.
    """
    now = utcnow()
    row = session.scalars(select(ComputeNodeRow).where(
        ComputeNodeRow.uuid == node.uuid)).first()
    if row is None:
        stored = node.model_copy(update={"updated_at": now})
        row = ComputeNodeRow(uuid=node.uuid, numa_topology=stored.to_json(),
                             generation=node.generation, created_at=now, updated_at=now,
                             **{f: getattr(node, f) for f in _NODE_FIELDS})
        add_row(session, row, lambda: errors.ComputeNodeExists(node.hypervisor_hostname))
        return stored
    stored = node.model_copy(update={"generation": row.generation + 1, "updated_at": now})
    for field in _NODE_FIELDS:
        setattr(row, field, getattr(node, field))
    row.numa_topology, row.generation, row.updated_at = stored.to_json(), \
        stored.generation, now
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        if is_duplicate(exc):
            raise errors.ComputeNodeExists(node.hypervisor_hostname) from exc
        raise
    return stored


def get_compute_node(session: Session, hypervisor_hostname: str) -> ComputeNode:
    return _to_node(_node_row(session, hypervisor_hostname))


def get_compute_node_by_uuid(session: Session, node_uuid: str) -> ComputeNode:
    row = session.scalars(select(ComputeNodeRow).where(
        ComputeNodeRow.uuid == node_uuid)).first()
    if row is None:
        raise errors.ComputeNodeNotFound(node_uuid)
    return _to_node(row)


def list_compute_nodes(session: Session, *, host: str | None = None,
                       mapped: bool | None = None) -> list[ComputeNode]:
    """Compute nodes by hypervisor_hostname; `mapped=False` gives those that
    `discover_hosts` has not seen yet."""
    query = select(ComputeNodeRow).order_by(ComputeNodeRow.hypervisor_hostname)
    if host is not None:
        query = query.where(ComputeNodeRow.host == host)
    if mapped is not None:
        query = query.where((ComputeNodeRow.mapped != 0) if mapped
                            else (ComputeNodeRow.mapped == 0))
    return [_to_node(row) for row in session.scalars(query)]


def mark_compute_nodes_mapped(session: Session, node_uuids: Iterable[str]) -> int:
    """Flag nodes whose host now has a host mapping; returns how many changed."""
    uuids = list(node_uuids)
    if not uuids:
        return 0
    result = session.execute(update(ComputeNodeRow).where(
        ComputeNodeRow.uuid.in_(uuids), ComputeNodeRow.mapped == 0).values(
        mapped=1).execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


def save_usage(session: Session, node: ComputeNode, expected_generation: int) -> ComputeNode:
    """Write `node`'s usage (counters and the topology with its pins, pages and
    devices; the other columns too, so they always mirror the JSON) if the stored
    generation is still `expected_generation`.

    One `UPDATE ... WHERE generation = :expected`: of two writers that read the same
    generation exactly one matches the row. Returns the node at generation + 1;
    raises `GenerationConflict` (or `ComputeNodeNotFound`) otherwise.
    """
    now = utcnow()
    stored = node.model_copy(update={"generation": expected_generation + 1,
                                     "updated_at": now})
    result = session.execute(update(ComputeNodeRow).where(
        ComputeNodeRow.uuid == node.uuid,
        ComputeNodeRow.generation == expected_generation).values(
        numa_topology=stored.to_json(), generation=expected_generation + 1,
        updated_at=now, **{f: getattr(node, f) for f in _NODE_FIELDS},
    ).execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        actual = session.scalar(select(ComputeNodeRow.generation).where(
            ComputeNodeRow.uuid == node.uuid))
        if actual is None:
            raise errors.ComputeNodeNotFound(node.uuid)
        raise errors.GenerationConflict(node.uuid, expected_generation, actual)
    session.expire_all()
    return stored


def compute_node_generations(session: Session) -> dict[str, tuple[str, int]]:
    """Every compute node's uuid -> (host, generation): what a reader caching compute
    nodes checks to know which ones to read again."""
    rows = session.execute(select(ComputeNodeRow.uuid, ComputeNodeRow.host,
                                  ComputeNodeRow.generation))
    return {uuid: (host, generation) for uuid, host, generation in rows}


def get_compute_nodes(session: Session, uuids: Iterable[str]) -> list[ComputeNode]:
    """The compute nodes with these uuids (unknown ones are left out)."""
    wanted = list(uuids)
    if not wanted:
        return []
    rows = session.scalars(select(ComputeNodeRow).where(ComputeNodeRow.uuid.in_(wanted)))
    return [_to_node(row) for row in rows]


def get_compute_node_generation(session: Session, hypervisor_hostname: str) -> int | None:
    """The node's generation alone (None when there is no such node)."""
    return session.scalar(select(ComputeNodeRow.generation).where(
        ComputeNodeRow.hypervisor_hostname == hypervisor_hostname))
