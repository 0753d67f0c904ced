"""The ports of servers: what a server create asks for (`networks`: network ids with an
optional fixed IP, port ids, `auto`, `none`), checked before anything is stored; the
ports made or claimed for each new instance (its `vifs`); binding them to the host the
instance was placed on; and releasing them when it is deleted or its build fails
(ports Tessera made are deleted, ports the user gave are unbound and kept).

vhost-user ports need the guest's RAM in shared memory: a server with one must ask for
huge pages (`hw:mem_page_size` large or a size, in its flavor or image), which Tessera
backs with `memAccess='shared'`; otherwise the create is refused."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tessera.db.api.network_models import NetworkRow, PortRow
from tessera.network import errors
from tessera.network import networks as nets
from tessera.network import ports as port_q
from tessera.network import security_groups as groups
from tessera.network.types import VIF_VHOSTUSER, Network, Port
from tessera.numa.host import SMALL_PAGE_KB
from tessera.numa.request import GuestRequest, PageSize
from tessera.objects import InstanceVif, VifAddress

DEVICE_OWNER = "compute:nova"
AUTO, NONE = "auto", "none"


@dataclass(frozen=True)
class RequestedNetwork:
    """One entry of a server create's `networks`."""

    network_id: str | None = None
    port_id: str | None = None
    fixed_ip: str | None = None
    tag: str | None = None
    # The groups of a port made on the network (empty: the project's `default`).
    security_group_ids: tuple[str, ...] = ()


class NetworkAmbiguous(errors.Conflict):
    """`auto` with more than one network to choose from."""


def _visible(network: Network, project_id: str | None, admin: bool) -> bool:
    return admin or network.shared or network.project_id == project_id


def resolve(session: Session, project_id: str | None, admin: bool,
            requested: Sequence[RequestedNetwork] | str | None,
            count: int = 1) -> list[RequestedNetwork]:
    """The requests with `auto`/absent turned into the project's only network (none
    when it has none; `NetworkAmbiguous` when it has several and `auto` was asked),
    each network and port checked: it exists and the caller may use it, a port is
    free and not asked for twice or for several servers, a fixed IP is an address."""
    if requested == NONE:
        return []
    if requested is None or requested == AUTO:
        # Even for an admin, only the project's own and shared networks are candidates.
        available = nets.list_networks(session, project_id or "")
        if len(available) > 1 and requested == AUTO:
            raise NetworkAmbiguous("Multiple possible networks found, use a Network ID "
                                   "to be more specific.")
        return [RequestedNetwork(network_id=available[0].id)] if len(available) == 1 else []
    out: list[RequestedNetwork] = []
    seen_ports: set[str] = set()
    for item in requested:  # type: ignore[union-attr]
        if item.port_id:
            port = port_q.get_port(session, item.port_id)
            if not admin and port.project_id != project_id:
                raise errors.PortNotFound(item.port_id)
            if port.device_id or item.port_id in seen_ports:
                raise errors.InUse("Port %s is still in use." % item.port_id)
            if count > 1:
                raise errors.InvalidInput("Unable to launch multiple instances with a "
                                          "single configured port ID. Please launch your "
                                          "instance one by one with different ports.")
            seen_ports.add(item.port_id)
            out.append(RequestedNetwork(network_id=port.network_id, port_id=port.id,
                                        tag=item.tag))
            continue
        if not item.network_id:
            raise errors.InvalidInput("A network request needs a uuid or a port.")
        network = nets.get_network(session, item.network_id)
        if not _visible(network, project_id, admin):
            raise errors.NetworkNotFound(item.network_id)
        if item.fixed_ip is not None:
            try:
                ipaddress.ip_address(item.fixed_ip)
            except ValueError:
                raise errors.InvalidInput("Invalid fixed IP address (%s)"
                                          % item.fixed_ip) from None
            if count > 1:
                raise errors.InvalidInput("Unable to launch multiple instances with a "
                                          "single fixed IP address.")
        out.append(item)
    return out


def needs_shared_memory(session: Session, requests: Sequence[RequestedNetwork]) -> bool:
    """Whether any requested network plugs ports in by vhost-user."""
    ids = [r.network_id for r in requests if r.network_id]
    if not ids:
        return False
    kinds = session.scalars(select(NetworkRow.vif_type).where(NetworkRow.uuid.in_(ids)))
    return VIF_VHOSTUSER in set(kinds)


def has_huge_pages(request: GuestRequest) -> bool:
    """Whether the guest's RAM is backed by huge pages (hence shareable)."""
    size = request.page_size
    if isinstance(size, int):
        return size > SMALL_PAGE_KB
    return size is PageSize.LARGE


def check_memory(session: Session, requests: Sequence[RequestedNetwork],
                 request: GuestRequest) -> None:
    if needs_shared_memory(session, requests) and not has_huge_pages(request):
        raise errors.InvalidInput(
            "vhost-user ports need the guest's RAM in shared huge pages: give the flavor "
            "hw:mem_page_size=large (or a size such as 2MB or 1GB), or the image "
            "hw_mem_page_size.")


def vif_of(port: Port, network: Network, preserve: bool,
           tag: str | None = None) -> InstanceVif:
    return InstanceVif(
        port_id=port.id, network_id=network.id, network_name=network.name,
        mac_address=port.mac_address,
        addresses=[VifAddress(address=ip.ip_address, subnet_id=ip.subnet_id,
                              version=ipaddress.ip_address(ip.ip_address).version)
                   for ip in port.fixed_ips],
        vif_type=port.vif_type, vif_details=dict(port.vif_details), mtu=network.mtu,
        tag=tag, preserve_on_delete=preserve)


def allocate(session: Session, project_id: str | None, instance_uuid: str,
             requests: Sequence[RequestedNetwork]) -> list[InstanceVif]:
    """The instance's ports, in request order: new ones on the networks asked for
    (with the project's `default` security group), the given ports claimed."""
    vifs: list[InstanceVif] = []
    for item in requests:
        if item.port_id:
            port = port_q.claim_port(session, item.port_id, instance_uuid, DEVICE_OWNER)
            preserve = True
        else:
            default = [groups.ensure_default(session, project_id).id] if project_id else []
            chosen = list(item.security_group_ids) or default
            fixed = [{"ip_address": item.fixed_ip}] if item.fixed_ip else None
            port = port_q.create_port(session, str(item.network_id), project_id,
                                      fixed_ips=fixed, device_id=instance_uuid,
                                      device_owner=DEVICE_OWNER, security_groups=chosen)
            preserve = False
        vifs.append(vif_of(port, nets.get_network(session, port.network_id), preserve,
                           item.tag))
    return vifs


def bind(session: Session, vifs: Sequence[InstanceVif], host: str) -> list[InstanceVif]:
    """Bind the instance's ports to `host`; the VIFs with their binding filled in."""
    out = []
    for vif in vifs:
        try:
            port = port_q.update_port(session, vif.port_id, host_id=host)
        except errors.PortNotFound:
            continue  # deleted by its owner meanwhile: the guest goes without it
        out.append(vif.model_copy(update={"vif_type": port.vif_type,
                                          "vif_details": dict(port.vif_details)}))
    return out


def release(session: Session, instance_uuid: str, vifs: Sequence[InstanceVif]) -> None:
    """Delete the ports made for the instance; unbind and free the ones given (and any
    other port still naming it as its device)."""
    keep = {v.port_id for v in vifs if v.preserve_on_delete}
    made = {v.port_id for v in vifs if not v.preserve_on_delete}
    rows = session.scalars(select(PortRow.uuid).where(PortRow.device_id == instance_uuid))
    for port_id in {*made, *keep, *rows}:
        try:
            if port_id in made:
                port_q.delete_port(session, port_id)
            else:
                port_q.update_port(session, port_id, host_id="", device_id="",
                                   device_owner="")
        except errors.PortNotFound:
            continue
