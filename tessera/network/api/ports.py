"""`/v2.0/ports`: create (a MAC and fixed IPs from the subnets' pools, the project's
`default` security group), list, show, update, delete. `binding:host_id` (admins) binds
a port: it then shows its network's `binding:vif_type` and its own
`binding:vif_details` (the vhost-user socket path and mode, or the tap device)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request, Response

from tessera.api import errors as api_errors
from tessera.api.auth import Context
from tessera.network import ports as port_q
from tessera.network import security_groups as groups
from tessera.network.api import common
from tessera.network.api.networks import get_visible
from tessera.network.types import Port

router = APIRouter()

MAC_RE = re.compile(r"^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$")
VNIC_TYPES = ("normal", "direct", "macvtap", "direct-physical", "virtio-forwarder")
IGNORED = ("allowed_address_pairs", "extra_dhcp_opts", "port_security_enabled",
           "binding:profile", "dns_name", "dns_domain", "qos_policy_id",
           "propagate_uplink_status", "numa_affinity_policy")
ALLOWED = ("name", "description", "network_id", "admin_state_up", "mac_address",
           "fixed_ips", "device_id", "device_owner", "security_groups", "project_id",
           "tenant_id", "binding:host_id", "binding:vnic_type", *IGNORED)
UPDATABLE = ("name", "description", "admin_state_up", "mac_address", "fixed_ips",
             "device_id", "device_owner", "security_groups", "binding:host_id",
             *IGNORED)
FILTERS = ("id", "name", "network_id", "project_id", "mac_address", "device_id",
           "device_owner", "status", "binding:host_id", "binding:vif_type",
           "admin_state_up", "description")


def view(port: Port) -> dict[str, Any]:
    return {"id": port.id, "name": port.name, "description": port.description,
            "network_id": port.network_id, "project_id": port.project_id,
            "tenant_id": port.project_id, "mac_address": port.mac_address,
            "admin_state_up": port.admin_state_up, "status": port.status,
            "device_id": port.device_id, "device_owner": port.device_owner,
            "fixed_ips": [ip.model_dump() for ip in port.fixed_ips],
            "security_groups": list(port.security_group_ids),
            "binding:host_id": port.host_id, "binding:vif_type": port.vif_type,
            "binding:vif_details": dict(port.vif_details),
            "binding:vnic_type": port.vnic_type, "binding:profile": {},
            "allowed_address_pairs": [], "extra_dhcp_opts": [],
            "port_security_enabled": True,
            **common.stamps(port.created_at, port.updated_at)}


def _fixed_ips(body: dict[str, Any]) -> list[dict[str, Any]] | None:
    if body.get("fixed_ips") is None:
        return None
    items = body["fixed_ips"]
    if not isinstance(items, list) or not all(
            isinstance(i, dict) and set(i) <= {"subnet_id", "ip_address"} for i in items):
        raise api_errors.BadRequest("Invalid input for fixed_ips: a list of "
                                    "{\"subnet_id\": ID, \"ip_address\": IP}.")
    return items


def _mac(body: dict[str, Any]) -> str | None:
    mac = body.get("mac_address")
    if mac is not None and (not isinstance(mac, str) or not MAC_RE.match(mac)):
        raise api_errors.BadRequest("Invalid input for mac_address: '%s' is not a valid "
                                    "MAC address." % mac)
    return mac


def _admin_only(context: Any, body: dict[str, Any]) -> None:
    if "binding:host_id" in body and not context.is_admin:
        raise api_errors.Forbidden("Only admins may set binding:host_id.")


@router.post("/ports", status_code=201, summary="Create a port")
async def create_port(request: Request, context: Context) -> dict[str, Any]:
    body = await common.body_of(request, "port")
    common.refuse_unknown(body, ALLOWED, "port")
    _admin_only(context, body)
    if not isinstance(body.get("network_id"), str):
        raise api_errors.BadRequest("A port needs a network_id.")
    vnic = body.get("binding:vnic_type", "normal")
    if vnic not in VNIC_TYPES:
        raise api_errors.BadRequest("Invalid binding:vnic_type %r." % (vnic,))
    project = common.owner(context, body)
    with common.db(request) as session:
        network = get_visible(session, context, body["network_id"])
        if "security_groups" in body:
            refs = body["security_groups"] or []
            if not isinstance(refs, list):
                raise api_errors.BadRequest("security_groups must be a list.")
            group_ids = groups.resolve(session, project, [str(r) for r in refs])
        else:
            group_ids = [groups.ensure_default(session, project).id] if project else []
        port = port_q.create_port(
            session, network.id, project, name=common.text(body, "name"),
            description=common.text(body, "description"), mac_address=_mac(body),
            fixed_ips=_fixed_ips(body), device_id=common.text(body, "device_id"),
            device_owner=common.text(body, "device_owner"),
            host_id=common.text(body, "binding:host_id"),
            admin_state_up=common.flag(body, "admin_state_up", True),
            vnic_type=vnic, security_groups=group_ids)
    return {"port": view(port)}


@router.get("/ports", summary="List ports")
def list_ports(request: Request, context: Context) -> dict[str, Any]:
    wanted = common.filters(request, *FILTERS)
    with common.db(request, readonly=True) as session:
        found = port_q.list_ports(session, None if context.is_admin else
                                  context.project_id or "",
                                  network_ids=wanted.get("network_id"),
                                  device_ids=wanted.get("device_id"))
    views = [view(p) for p in found]
    return {"ports": [common.shape(request, v) for v in views
                      if common.matches(v, wanted)]}


def _get(session: Any, context: Any, port_id: str) -> Port:
    port = port_q.get_port(session, port_id)
    if not common.visible(context, port.project_id):
        raise api_errors.NotFound("Port %s could not be found." % port_id)
    return port


@router.get("/ports/{port_id}", summary="Show a port")
def show_port(port_id: str, request: Request, context: Context) -> dict[str, Any]:
    with common.db(request, readonly=True) as session:
        port = _get(session, context, port_id)
    return {"port": common.shape(request, view(port))}


@router.put("/ports/{port_id}", summary="Update a port")
async def update_port(port_id: str, request: Request, context: Context) -> dict[str, Any]:
    body = await common.body_of(request, "port")
    common.refuse_unknown(body, UPDATABLE, "port")
    _admin_only(context, body)
    fields: dict[str, Any] = {k: common.text(body, k) for k in
                              ("name", "description", "device_id", "device_owner")
                              if k in body}
    if "binding:host_id" in body:
        fields["host_id"] = common.text(body, "binding:host_id")
    if "admin_state_up" in body:
        fields["admin_state_up"] = common.flag(body, "admin_state_up", True)
    if "mac_address" in body:
        fields["mac_address"] = _mac(body)
    if "fixed_ips" in body:
        fields["fixed_ips"] = _fixed_ips(body) or []
    with common.db(request) as session:
        port = _get(session, context, port_id)
        if "security_groups" in body:
            fields["security_groups"] = groups.resolve(
                session, port.project_id, [str(r) for r in body["security_groups"] or []])
        port = port_q.update_port(session, port_id, **fields)
    return {"port": view(port)}


@router.delete("/ports/{port_id}", status_code=204, summary="Delete a port")
def delete_port(port_id: str, request: Request, context: Context) -> Response:
    with common.db(request) as session:
        _get(session, context, port_id)
        port_q.delete_port(session, port_id)
    return Response(status_code=204)
