"""Queries of the `networks` and `subnets` tables (revision api006)."""

from __future__ import annotations

import json
import uuid as uuidlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tessera.db._util import utcnow
from tessera.db.api.network_models import (IPAllocationRow, NetworkRow, PortRow,
                                           SubnetRow)
from tessera.network import errors, ipam
from tessera.network.types import AllocationPool, Network, Subnet


def _to_network(session: Session, row: NetworkRow) -> Network:
    subnets = session.scalars(select(SubnetRow.uuid).where(SubnetRow.network_id == row.id)
                              .order_by(SubnetRow.id))
    return Network(id=row.uuid, project_id=row.project_id, name=row.name or "",
                   description=row.description or "", admin_state_up=row.admin_state_up,
                   shared=row.shared, router_external=row.router_external,
                   status=row.status, mtu=row.mtu, network_type=row.network_type,
                   physical_network=row.physical_network,
                   segmentation_id=row.segmentation_id, vif_type=row.vif_type,
                   vif_details=json.loads(row.vif_details or "{}"),
                   subnet_ids=list(subnets), created_at=row.created_at,
                   updated_at=row.updated_at)


def network_row(session: Session, network_id: str) -> NetworkRow:
    row = session.scalars(select(NetworkRow).where(NetworkRow.uuid == network_id)).first()
    if row is None:
        raise errors.NetworkNotFound(network_id)
    return row


def create_network(session: Session, network: Network) -> Network:
    now = utcnow()
    row = NetworkRow(uuid=network.id or str(uuidlib.uuid4()),
                     project_id=network.project_id, name=network.name,
                     description=network.description,
                     admin_state_up=network.admin_state_up, shared=network.shared,
                     router_external=network.router_external, status=network.status,
                     mtu=network.mtu, network_type=network.network_type,
                     physical_network=network.physical_network,
                     segmentation_id=network.segmentation_id, vif_type=network.vif_type,
                     vif_details=json.dumps(network.vif_details),
                     created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    return _to_network(session, row)


def get_network(session: Session, network_id: str) -> Network:
    return _to_network(session, network_row(session, network_id))


def list_networks(session: Session, project_id: str | None = None,
                  ids: Sequence[str] | None = None) -> list[Network]:
    """Networks, oldest first: all of them, or those of `project_id` and the shared
    ones; `ids` keeps only those."""
    query = select(NetworkRow).order_by(NetworkRow.id)
    if project_id is not None:
        query = query.where((NetworkRow.project_id == project_id) | NetworkRow.shared)
    if ids is not None:
        query = query.where(NetworkRow.uuid.in_(ids))
    return [_to_network(session, r) for r in session.scalars(query)]


UPDATABLE = ("name", "description", "admin_state_up", "shared", "mtu")


def update_network(session: Session, network_id: str, **fields: Any) -> Network:
    row = network_row(session, network_id)
    for key, value in fields.items():
        if key not in UPDATABLE:
            raise errors.InvalidInput("Cannot update read-only attribute %s" % key)
        setattr(row, key, value)
    row.updated_at = utcnow()
    session.flush()
    return _to_network(session, row)


def delete_network(session: Session, network_id: str) -> None:
    """Delete a network without ports, and its subnets."""
    row = network_row(session, network_id)
    ports = session.scalar(select(func.count(PortRow.id))
                           .where(PortRow.network_id == row.id))
    if ports:
        raise errors.InUse("Unable to complete operation on network %s. There are one or "
                           "more ports still in use on the network." % network_id)
    for subnet in session.scalars(select(SubnetRow).where(SubnetRow.network_id == row.id)):
        session.delete(subnet)
    session.flush()
    session.delete(row)
    session.flush()


# -- subnets ------------------------------------------------------------------------

def _to_subnet(row: SubnetRow, network_uuid: str) -> Subnet:
    return Subnet(id=row.uuid, network_id=network_uuid, project_id=row.project_id,
                  name=row.name or "", description=row.description or "",
                  ip_version=row.ip_version, cidr=row.cidr, gateway_ip=row.gateway_ip,
                  enable_dhcp=row.enable_dhcp,
                  allocation_pools=[AllocationPool(**p)
                                    for p in json.loads(row.allocation_pools)],
                  dns_nameservers=json.loads(row.dns_nameservers),
                  created_at=row.created_at, updated_at=row.updated_at)


def subnet_row(session: Session, subnet_id: str) -> SubnetRow:
    row = session.scalars(select(SubnetRow).where(SubnetRow.uuid == subnet_id)).first()
    if row is None:
        raise errors.SubnetNotFound(subnet_id)
    return row


def create_subnet(session: Session, subnet: Subnet) -> Subnet:
    """Store a subnet after checking its CIDR, gateway and pools (the gateway defaults
    to the first address, the pools to the rest) and that it overlaps no other subnet
    of the network."""
    net_row = network_row(session, subnet.network_id)
    net = ipam.parse_cidr(subnet.cidr, subnet.ip_version)
    fields = subnet.model_fields_set
    gateway = subnet.gateway_ip if "gateway_ip" in fields else ipam.default_gateway(net)
    if gateway is not None:
        ipam.address(gateway, net, "gateway_ip")
    pools = subnet.allocation_pools or ipam.default_pools(net, gateway)
    ipam.check_pools(net, pools, gateway)
    for other in session.scalars(select(SubnetRow).where(SubnetRow.network_id == net_row.id)):
        if ipam.parse_cidr(other.cidr, other.ip_version).overlaps(net):
            raise errors.InvalidInput("Invalid input for operation: Requested subnet with "
                                      "cidr: %s for network: %s overlaps with another "
                                      "subnet." % (subnet.cidr, subnet.network_id))
    now = utcnow()
    row = SubnetRow(uuid=subnet.id or str(uuidlib.uuid4()), network_id=net_row.id,
                    project_id=subnet.project_id, name=subnet.name,
                    description=subnet.description, ip_version=subnet.ip_version,
                    cidr=str(net), gateway_ip=gateway, enable_dhcp=subnet.enable_dhcp,
                    allocation_pools=json.dumps([p.model_dump() for p in pools]),
                    dns_nameservers=json.dumps(subnet.dns_nameservers),
                    created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    return _to_subnet(row, net_row.uuid)


def get_subnet(session: Session, subnet_id: str) -> Subnet:
    row = subnet_row(session, subnet_id)
    return _to_subnet(row, session.get(NetworkRow, row.network_id).uuid)  # type: ignore[union-attr]


def list_subnets(session: Session, network_ids: Sequence[str] | None = None) -> list[Subnet]:
    query = (select(SubnetRow, NetworkRow.uuid)
             .join(NetworkRow, NetworkRow.id == SubnetRow.network_id).order_by(SubnetRow.id))
    if network_ids is not None:
        query = query.where(NetworkRow.uuid.in_(network_ids))
    return [_to_subnet(row, uuid) for row, uuid in session.execute(query)]


def update_subnet(session: Session, subnet_id: str, **fields: Any) -> Subnet:
    row = subnet_row(session, subnet_id)
    for key, value in fields.items():
        if key not in ("name", "description", "enable_dhcp", "dns_nameservers"):
            raise errors.InvalidInput("Cannot update read-only attribute %s" % key)
        setattr(row, key, json.dumps(value) if key == "dns_nameservers" else value)
    row.updated_at = utcnow()
    session.flush()
    return get_subnet(session, subnet_id)


def delete_subnet(session: Session, subnet_id: str) -> None:
    """Delete a subnet no port has an address on."""
    row = subnet_row(session, subnet_id)
    used = session.scalar(select(func.count(IPAllocationRow.id))
                          .where(IPAllocationRow.subnet_id == row.id))
    if used:
        raise errors.InUse("Unable to complete operation on subnet %s: one or more ports "
                           "have an IP allocation from this subnet." % subnet_id)
    session.delete(row)
    session.flush()
