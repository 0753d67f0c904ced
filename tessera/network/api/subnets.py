"""`/v2.0/subnets`: create (CIDR, gateway, allocation pools; addresses for ports come
from the pools), list, show, update, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from tessera.api import errors as api_errors
from tessera.api.auth import Context
from tessera.network import networks as nets
from tessera.network.api import common
from tessera.network.api.networks import get_visible
from tessera.network.types import AllocationPool, Subnet

router = APIRouter()

# Attributes the CLI and SDK may send that Tessera accepts and ignores.
IGNORED = ("host_routes", "service_types", "ipv6_ra_mode", "ipv6_address_mode",
           "segment_id", "dns_publish_fixed_ip", "use_default_subnet_pool",
           "subnetpool_id", "prefixlen")
ALLOWED = ("name", "description", "network_id", "cidr", "ip_version", "gateway_ip",
           "enable_dhcp", "allocation_pools", "dns_nameservers", "project_id",
           "tenant_id", *IGNORED)
FILTERS = ("id", "name", "network_id", "project_id", "cidr", "ip_version",
           "gateway_ip", "enable_dhcp", "description")


def view(subnet: Subnet) -> dict[str, Any]:
    return {"id": subnet.id, "name": subnet.name, "description": subnet.description,
            "network_id": subnet.network_id, "project_id": subnet.project_id,
            "tenant_id": subnet.project_id, "ip_version": subnet.ip_version,
            "cidr": subnet.cidr, "gateway_ip": subnet.gateway_ip,
            "enable_dhcp": subnet.enable_dhcp,
            "allocation_pools": [p.model_dump() for p in subnet.allocation_pools],
            "dns_nameservers": list(subnet.dns_nameservers), "host_routes": [],
            "service_types": [], "subnetpool_id": None, "segment_id": None,
            "ipv6_ra_mode": None, "ipv6_address_mode": None,
            **common.stamps(subnet.created_at, subnet.updated_at)}


def _pools(body: dict[str, Any]) -> list[AllocationPool]:
    pools = body.get("allocation_pools") or []
    if not isinstance(pools, list) or not all(
            isinstance(p, dict) and isinstance(p.get("start"), str)
            and isinstance(p.get("end"), str) for p in pools):
        raise api_errors.BadRequest("Invalid input for allocation_pools: a list of "
                                    "{\"start\": IP, \"end\": IP}.")
    return [AllocationPool(start=p["start"], end=p["end"]) for p in pools]


def _nameservers(body: dict[str, Any]) -> list[str]:
    servers = body.get("dns_nameservers") or []
    if not isinstance(servers, list) or not all(isinstance(s, str) for s in servers):
        raise api_errors.BadRequest("Invalid input for dns_nameservers: a list of IPs.")
    return servers


@router.post("/subnets", status_code=201, summary="Create a subnet")
async def create_subnet(request: Request, context: Context) -> dict[str, Any]:
    body = await common.body_of(request, "subnet")
    common.refuse_unknown(body, ALLOWED, "subnet")
    if body.get("subnetpool_id") or body.get("use_default_subnet_pool"):
        raise api_errors.BadRequest("Subnet pools are not supported: give a cidr.")
    if not isinstance(body.get("network_id"), str) or not isinstance(body.get("cidr"), str):
        raise api_errors.BadRequest("A subnet needs a network_id and a cidr.")
    version = body.get("ip_version", 4)
    if version not in (4, 6):
        raise api_errors.BadRequest("Invalid input for ip_version: %r is not 4 or 6."
                                    % (version,))
    fields: dict[str, Any] = {}
    if "gateway_ip" in body:
        if body["gateway_ip"] is not None and not isinstance(body["gateway_ip"], str):
            raise api_errors.BadRequest("Invalid input for gateway_ip.")
        fields["gateway_ip"] = body["gateway_ip"]
    with common.db(request) as session:
        network = get_visible(session, context, body["network_id"])
        common.require_owner(context, "Network", network.id, network.project_id)
        subnet = nets.create_subnet(session, Subnet(
            id="", network_id=network.id, project_id=common.owner(context, body),
            name=common.text(body, "name"), description=common.text(body, "description"),
            ip_version=version, cidr=body["cidr"],
            enable_dhcp=common.flag(body, "enable_dhcp", True),
            allocation_pools=_pools(body), dns_nameservers=_nameservers(body), **fields))
    return {"subnet": view(subnet)}


def _visible_subnets(session: Any, context: Any) -> list[Subnet]:
    if context.is_admin:
        return nets.list_subnets(session)
    visible = [n.id for n in nets.list_networks(session, context.project_id or "")]
    return nets.list_subnets(session, visible)


@router.get("/subnets", summary="List subnets")
def list_subnets(request: Request, context: Context) -> dict[str, Any]:
    wanted = common.filters(request, *FILTERS)
    with common.db(request, readonly=True) as session:
        views = [view(s) for s in _visible_subnets(session, context)]
    return {"subnets": [common.shape(request, v) for v in views
                        if common.matches(v, wanted)]}


def _get(session: Any, context: Any, subnet_id: str) -> Subnet:
    subnet = nets.get_subnet(session, subnet_id)
    try:
        get_visible(session, context, subnet.network_id)
    except api_errors.NotFound:
        raise api_errors.NotFound("Subnet %s could not be found." % subnet_id) from None
    return subnet


@router.get("/subnets/{subnet_id}", summary="Show a subnet")
def show_subnet(subnet_id: str, request: Request, context: Context) -> dict[str, Any]:
    with common.db(request, readonly=True) as session:
        subnet = _get(session, context, subnet_id)
    return {"subnet": common.shape(request, view(subnet))}


@router.put("/subnets/{subnet_id}", summary="Update a subnet")
async def update_subnet(subnet_id: str, request: Request, context: Context) -> dict[str, Any]:
    body = await common.body_of(request, "subnet")
    common.refuse_unknown(body, ("name", "description", "enable_dhcp", "dns_nameservers"),
                          "subnet")
    fields: dict[str, Any] = {k: common.text(body, k) for k in ("name", "description")
                              if k in body}
    if "enable_dhcp" in body:
        fields["enable_dhcp"] = common.flag(body, "enable_dhcp", True)
    if "dns_nameservers" in body:
        fields["dns_nameservers"] = _nameservers(body)
    with common.db(request) as session:
        subnet = _get(session, context, subnet_id)
        common.require_owner(context, "Subnet", subnet.id, subnet.project_id)
        subnet = nets.update_subnet(session, subnet_id, **fields)
    return {"subnet": view(subnet)}


@router.delete("/subnets/{subnet_id}", status_code=204, summary="Delete a subnet")
def delete_subnet(subnet_id: str, request: Request, context: Context) -> Response:
    with common.db(request) as session:
        subnet = _get(session, context, subnet_id)
        common.require_owner(context, "Subnet", subnet.id, subnet.project_id)
        nets.delete_subnet(session, subnet_id)
    return Response(status_code=204)
