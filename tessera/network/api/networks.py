"""`/v2.0/networks`: create, list, show, update, delete. A network's binding
(`binding:vif_type` with `tessera:bridge_name`, or `tessera:vhostuser_socket_dir` and
`tessera:vhostuser_mode`) is set at creation, from the body or else from the
`[network] physnet_vif_types` entry of its `provider:physical_network`."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from fastapi import APIRouter, Request, Response

from tessera.api import errors as api_errors
from tessera.api.auth import Context
from tessera.context import RequestContext
from tessera.network import binding, conf
from tessera.network import networks as nets
from tessera.network.api import common
from tessera.network.types import Network

router = APIRouter()

NETWORK_TYPES = ("local", "flat", "vlan", "vxlan", "geneve", "gre")
# Attributes the CLI and SDK send that Tessera accepts and ignores.
IGNORED = ("availability_zone_hints", "port_security_enabled", "is_default",
           "qos_policy_id", "dns_domain", "pvlan")
ALLOWED = ("name", "description", "admin_state_up", "shared", "router:external", "mtu",
           "project_id", "tenant_id", "provider:network_type",
           "provider:physical_network", "provider:segmentation_id", *binding.ATTRS,
           *IGNORED)
FILTERS = ("id", "name", "project_id", "shared", "status", "admin_state_up",
           "router:external", "provider:network_type", "provider:physical_network",
           "binding:vif_type", "description")


def view(network: Network) -> dict[str, Any]:
    return {"id": network.id, "name": network.name, "description": network.description,
            "project_id": network.project_id, "tenant_id": network.project_id,
            "admin_state_up": network.admin_state_up, "shared": network.shared,
            "router:external": network.router_external, "status": network.status,
            "mtu": network.mtu, "subnets": list(network.subnet_ids),
            "provider:network_type": network.network_type,
            "provider:physical_network": network.physical_network,
            "provider:segmentation_id": network.segmentation_id,
            "port_security_enabled": True, "availability_zone_hints": [],
            "availability_zones": ["nova"], "ipv4_address_scope": None,
            "ipv6_address_scope": None, "is_default": False,
            **binding.network_attrs(network.vif_type, network.vif_details),
            **common.stamps(network.created_at, network.updated_at)}


def get_visible(session: Any, context: RequestContext, network_id: str) -> Network:
    network = nets.get_network(session, network_id)
    if not common.visible(context, network.project_id, network.shared):
        raise api_errors.NotFound("Network %s could not be found." % network_id)
    return network


def _provider(body: dict[str, Any], context: RequestContext) -> dict[str, Any]:
    given = {k: body.get(k) for k in ("provider:network_type", "provider:physical_network",
                                      "provider:segmentation_id") if body.get(k) is not None}
    if (given or any(body.get(a) is not None for a in binding.ATTRS)) \
            and not context.is_admin:
        raise api_errors.Forbidden("Only admins may set provider or binding attributes.")
    kind = given.get("provider:network_type", "local")
    if kind not in NETWORK_TYPES:
        raise api_errors.BadRequest("Invalid network type %s: one of %s."
                                    % (kind, ", ".join(NETWORK_TYPES)))
    segment = given.get("provider:segmentation_id")
    if segment is not None:
        try:
            segment = int(segment)
        except (TypeError, ValueError):
            raise api_errors.BadRequest("Invalid segmentation id %r." % segment) from None
        if kind == "vlan" and not 1 <= segment <= 4094:
            raise api_errors.BadRequest("Segmentation ID %d out of range 1..4094 for "
                                        "vlan." % segment)
    physnet = given.get("provider:physical_network")
    if kind in ("flat", "vlan") and not physnet:
        raise api_errors.BadRequest("provider:physical_network is required for %s "
                                    "networks." % kind)
    return {"network_type": kind, "physical_network": physnet,
            "segmentation_id": segment}


@router.post("/networks", status_code=201, summary="Create a network")
async def create_network(request: Request, context: Context) -> dict[str, Any]:
    body = await common.body_of(request, "network")
    common.refuse_unknown(body, ALLOWED, "network")
    provider = _provider(body, context)
    project = common.owner(context, body)
    settings = getattr(request.app.state, "settings", None)
    config = getattr(settings, "conf", None)
    mtu = body.get("mtu") or conf.default_mtu(config)
    if not isinstance(mtu, int) or isinstance(mtu, bool) or mtu < 68:
        raise api_errors.BadRequest("Invalid mtu %r." % (mtu,))
    network_id = str(uuidlib.uuid4())
    with common.translate():
        vif_type, details = binding.network_binding(
            network_id, body, provider["physical_network"], conf.physnet_map(config))
    network = Network(id=network_id, project_id=project, name=common.text(body, "name"),
                      description=common.text(body, "description"),
                      admin_state_up=common.flag(body, "admin_state_up", True),
                      shared=common.flag(body, "shared", False),
                      router_external=common.flag(body, "router:external", False),
                      mtu=mtu, vif_type=vif_type, vif_details=details, **provider)
    with common.db(request) as session:
        network = nets.create_network(session, network)
    return {"network": view(network)}


@router.get("/networks", summary="List networks")
def list_networks(request: Request, context: Context) -> dict[str, Any]:
    wanted = common.filters(request, *FILTERS)
    with common.db(request, readonly=True) as session:
        found = nets.list_networks(session, None if context.is_admin else
                                   context.project_id or "")
    views = [view(n) for n in found]
    return {"networks": [common.shape(request, v) for v in views
                         if common.matches(v, wanted)]}


@router.get("/networks/{network_id}", summary="Show a network")
def show_network(network_id: str, request: Request, context: Context) -> dict[str, Any]:
    with common.db(request, readonly=True) as session:
        network = get_visible(session, context, network_id)
    return {"network": common.shape(request, view(network))}


@router.put("/networks/{network_id}", summary="Update a network")
async def update_network(network_id: str, request: Request,
                         context: Context) -> dict[str, Any]:
    body = await common.body_of(request, "network")
    common.refuse_unknown(body, (*nets.UPDATABLE, *IGNORED), "network")
    fields: dict[str, Any] = {}
    for key in ("name", "description"):
        if key in body:
            fields[key] = common.text(body, key)
    for key in ("admin_state_up", "shared"):
        if key in body:
            fields[key] = common.flag(body, key, True)
    if "mtu" in body:
        if not isinstance(body["mtu"], int) or body["mtu"] < 68:
            raise api_errors.BadRequest("Invalid mtu %r." % (body["mtu"],))
        fields["mtu"] = body["mtu"]
    with common.db(request) as session:
        network = get_visible(session, context, network_id)
        common.require_owner(context, "Network", network.id, network.project_id)
        network = nets.update_network(session, network_id, **fields)
    return {"network": view(network)}


@router.delete("/networks/{network_id}", status_code=204, summary="Delete a network")
def delete_network(network_id: str, request: Request, context: Context) -> Response:
    with common.db(request) as session:
        network = get_visible(session, context, network_id)
        common.require_owner(context, "Network", network.id, network.project_id)
        nets.delete_network(session, network_id)
    return Response(status_code=204)
