"""Queries of the `ports` table (revision api006) with their fixed IPs and security
groups: create (a MAC address and addresses from the subnets' pools), show, list,
update, delete, and binding a port to a host, which gives it its network's VIF type
and details."""

from __future__ import annotations

import json
import random
import uuid as uuidlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tessera.db._util import is_duplicate, utcnow
from tessera.db.api.network_models import (IPAllocationRow, NetworkRow, PortRow,
                                           PortSecurityGroupRow, SecurityGroupRow,
                                           SubnetRow)
from tessera.network import binding, errors, ipam
from tessera.network import networks as nets
from tessera.network.types import VIF_UNBOUND, AllocationPool, FixedIP, Port

MAC_PREFIX = "fa:16:3e"  # the prefix OpenStack ports get
_ATTEMPTS = 16


def _random_mac() -> str:
    return MAC_PREFIX + "".join(":%02x" % random.randrange(256) for _ in range(3))


def _to_port(session: Session, row: PortRow) -> Port:
    ips = session.execute(select(SubnetRow.uuid, IPAllocationRow.ip_address)
                          .join(SubnetRow, SubnetRow.id == IPAllocationRow.subnet_id)
                          .where(IPAllocationRow.port_id == row.id)
                          .order_by(IPAllocationRow.id))
    groups = session.scalars(select(SecurityGroupRow.uuid)
                             .join(PortSecurityGroupRow,
                                   PortSecurityGroupRow.security_group_id
                                   == SecurityGroupRow.id)
                             .where(PortSecurityGroupRow.port_id == row.id)
                             .order_by(PortSecurityGroupRow.id))
    network = session.get(NetworkRow, row.network_id)
    return Port(id=row.uuid, network_id=network.uuid if network else "",
                project_id=row.project_id, name=row.name or "",
                description=row.description or "", mac_address=row.mac_address,
                admin_state_up=row.admin_state_up, status=row.status,
                device_id=row.device_id, device_owner=row.device_owner,
                host_id=row.host_id, vnic_type=row.vnic_type, vif_type=row.vif_type,
                vif_details=json.loads(row.vif_details or "{}"),
                fixed_ips=[FixedIP(subnet_id=s, ip_address=a) for s, a in ips],
                security_group_ids=list(groups), created_at=row.created_at,
                updated_at=row.updated_at)


def port_row(session: Session, port_id: str) -> PortRow:
    row = session.scalars(select(PortRow).where(PortRow.uuid == port_id)).first()
    if row is None:
        raise errors.PortNotFound(port_id)
    return row


def _allocate(session: Session, port: PortRow, network: NetworkRow,
              requested: Sequence[dict[str, Any]] | None) -> None:
    """Give the port its fixed IPs: each requested one (`subnet_id` and/or
    `ip_address`), or else the next free address of the network's first IPv4 and
    first IPv6 subnet that has one."""
    subnets = list(session.scalars(select(SubnetRow).where(SubnetRow.network_id == network.id)
                                   .order_by(SubnetRow.id)))
    if requested is None:
        wanted: list[tuple[SubnetRow, str | None]] = []
        for version in (4, 6):
            of_version = [s for s in subnets if s.ip_version == version]
            if of_version:
                wanted.append((of_version[0], None))
    else:
        wanted = [_requested_subnet(subnets, item, network.uuid) for item in requested]
    for subnet, ip in wanted:
        _allocate_one(session, port, subnet, ip)


def _requested_subnet(subnets: list[SubnetRow], item: dict[str, Any],
                      network_id: str) -> tuple[SubnetRow, str | None]:
    subnet_id, ip = item.get("subnet_id"), item.get("ip_address")
    if subnet_id is None and ip is None:
        raise errors.InvalidInput("A fixed IP needs a subnet_id or an ip_address.")
    for subnet in subnets:
        net = ipam.parse_cidr(subnet.cidr, subnet.ip_version)
        if subnet_id is not None and subnet.uuid != subnet_id:
            continue
        if ip is not None:
            try:
                ipam.address(str(ip), net)
            except errors.InvalidInput:
                if subnet_id is not None:
                    raise
                continue
        return subnet, None if ip is None else str(ip)
    if subnet_id is not None:
        raise errors.InvalidInput("Subnet %s is not on network %s." % (subnet_id,
                                                                       network_id))
    raise errors.InvalidInput("IP address %s is not in any subnet of network %s."
                              % (ip, network_id))


def _allocate_one(session: Session, port: PortRow, subnet: SubnetRow,
                  ip: str | None) -> None:
    pools = [AllocationPool(**p) for p in json.loads(subnet.allocation_pools)]
    for _ in range(_ATTEMPTS):
        address = ip
        if address is None:
            taken = session.scalars(select(IPAllocationRow.ip_address)
                                    .where(IPAllocationRow.subnet_id == subnet.id))
            address = ipam.next_free(pools, [*taken, *([subnet.gateway_ip]
                                                       if subnet.gateway_ip else [])])
            if address is None:
                raise errors.IpAddressGenerationFailure(
                    "No more IP addresses available on network's subnet %s." % subnet.uuid)
        elif address == subnet.gateway_ip:
            raise errors.AddressInUse("IP address %s is the gateway of subnet %s."
                                      % (address, subnet.uuid))
        try:
            with session.begin_nested():
                session.add(IPAllocationRow(port_id=port.id, subnet_id=subnet.id,
                                            ip_address=address))
            return
        except IntegrityError as exc:
            if not is_duplicate(exc):
                raise
            if ip is not None:
                raise errors.AddressInUse("IP address %s already allocated in subnet %s."
                                          % (ip, subnet.uuid)) from None
    raise errors.IpAddressGenerationFailure("No free IP address found on subnet %s."
                                            % subnet.uuid)


def _set_groups(session: Session, port: PortRow, group_ids: Sequence[str]) -> None:
    for link in session.scalars(select(PortSecurityGroupRow)
                                .where(PortSecurityGroupRow.port_id == port.id)):
        session.delete(link)
    session.flush()
    for group_id in dict.fromkeys(group_ids):
        group = session.scalars(select(SecurityGroupRow)
                                .where(SecurityGroupRow.uuid == group_id)).first()
        if group is None:
            raise errors.SecurityGroupNotFound(group_id)
        session.add(PortSecurityGroupRow(port_id=port.id, security_group_id=group.id))
    session.flush()


def create_port(session: Session, network_id: str, project_id: str | None, *,
                name: str = "", description: str = "", mac_address: str | None = None,
                fixed_ips: Sequence[dict[str, Any]] | None = None,
                device_id: str = "", device_owner: str = "", host_id: str = "",
                admin_state_up: bool = True, vnic_type: str = "normal",
                security_groups: Sequence[str] = ()) -> Port:
    """A new port on the network (bound at once when `host_id` is given)."""
    network = nets.network_row(session, network_id)
    now = utcnow()
    row = None
    for _ in range(_ATTEMPTS):
        candidate = PortRow(uuid=str(uuidlib.uuid4()), network_id=network.id,
                            project_id=project_id, name=name, description=description,
                            mac_address=(mac_address or _random_mac()).lower(),
                            admin_state_up=admin_state_up, status="DOWN",
                            device_id=device_id, device_owner=device_owner, host_id="",
                            vnic_type=vnic_type, vif_type=VIF_UNBOUND, vif_details="{}",
                            created_at=now, updated_at=now)
        try:
            with session.begin_nested():
                session.add(candidate)
            row = candidate
            break
        except IntegrityError as exc:
            if not is_duplicate(exc):
                raise
            if mac_address is not None:
                raise errors.AddressInUse("Unable to complete operation for network %s. "
                                          "The mac address %s is in use."
                                          % (network_id, mac_address)) from None
    if row is None:
        raise errors.Conflict("No free MAC address found for network %s." % network_id)
    _allocate(session, row, network, fixed_ips)
    _set_groups(session, row, security_groups)
    if host_id:
        _bind(row, network, host_id)
    session.flush()
    return _to_port(session, row)


def get_port(session: Session, port_id: str) -> Port:
    return _to_port(session, port_row(session, port_id))


def list_ports(session: Session, project_id: str | None = None,
               network_ids: Sequence[str] | None = None,
               device_ids: Sequence[str] | None = None) -> list[Port]:
    """Ports, oldest first, optionally of one project, some networks or devices."""
    query = select(PortRow).order_by(PortRow.id)
    if project_id is not None:
        query = query.where(PortRow.project_id == project_id)
    if network_ids is not None:
        query = query.join(NetworkRow, NetworkRow.id == PortRow.network_id).where(
            NetworkRow.uuid.in_(network_ids))
    if device_ids is not None:
        query = query.where(PortRow.device_id.in_(device_ids))
    return [_to_port(session, r) for r in session.scalars(query)]


def _bind(row: PortRow, network: NetworkRow, host: str) -> None:
    if host:
        details = json.loads(network.vif_details or "{}")
        row.host_id, row.vif_type = host, network.vif_type
        row.vif_details = json.dumps(binding.port_details(row.uuid, network.vif_type,
                                                          details))
        row.status = "ACTIVE"
    else:
        row.host_id, row.vif_type, row.vif_details = "", VIF_UNBOUND, "{}"
        row.status = "DOWN"


UPDATABLE = ("name", "description", "admin_state_up", "device_id", "device_owner",
             "host_id", "fixed_ips", "security_groups", "mac_address")


def update_port(session: Session, port_id: str, **fields: Any) -> Port:
    """Change a port; `host_id` binds it (empty: unbinds), `fixed_ips` replaces its
    addresses (ones it keeps stay), `security_groups` its groups."""
    row = port_row(session, port_id)
    network = session.get(NetworkRow, row.network_id)
    assert network is not None
    for key, value in fields.items():
        if key not in UPDATABLE:
            raise errors.InvalidInput("Cannot update read-only attribute %s" % key)
        if key == "host_id":
            _bind(row, network, value or "")
        elif key == "fixed_ips":
            _replace_ips(session, row, network, value)
        elif key == "security_groups":
            _set_groups(session, row, value)
        elif key == "mac_address":
            if row.host_id:
                raise errors.Conflict("Cannot change the MAC address of bound port %s."
                                      % port_id)
            row.mac_address = str(value).lower()
        else:
            setattr(row, key, value)
    row.updated_at = utcnow()
    session.flush()
    return _to_port(session, row)


def _replace_ips(session: Session, row: PortRow, network: NetworkRow,
                 requested: Sequence[dict[str, Any]]) -> None:
    current = list(session.scalars(select(IPAllocationRow)
                                   .where(IPAllocationRow.port_id == row.id)))
    keep = {str(item.get("ip_address")) for item in requested if item.get("ip_address")}
    for alloc in current:
        if alloc.ip_address not in keep:
            session.delete(alloc)
    session.flush()
    kept = {a.ip_address for a in current if a.ip_address in keep}
    _allocate(session, row, network, [item for item in requested
                                      if str(item.get("ip_address")) not in kept])


def claim_port(session: Session, port_id: str, device_id: str, device_owner: str) -> Port:
    """Give a free port (no `device_id`) to a device, atomically: of two concurrent
    claims one wins, the other gets `InUse`."""
    done = session.execute(update(PortRow)
                           .where(PortRow.uuid == port_id, PortRow.device_id == "")
                           .values(device_id=device_id, device_owner=device_owner,
                                   updated_at=utcnow()))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        port_row(session, port_id)  # PortNotFound if it is gone
        raise errors.InUse("Port %s is still in use." % port_id)
    session.expire_all()
    return get_port(session, port_id)


def delete_port(session: Session, port_id: str) -> None:
    row = port_row(session, port_id)
    for model in (IPAllocationRow, PortSecurityGroupRow):
        for child in session.scalars(select(model).where(model.port_id == row.id)):
            session.delete(child)
    session.flush()
    session.delete(row)
    session.flush()
