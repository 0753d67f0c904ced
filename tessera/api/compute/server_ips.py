"""A server's addresses by network (Nova's `ips.py`): `GET /servers/{id}/ips` and
`GET /servers/{id}/ips/{network_label}` (404 for a network the server is not on)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tessera.api import Context, errors
from tessera.api.compute._common import Cloud
from tessera.network.boot import addresses

router = APIRouter(tags=["servers"])
_R = "os_compute_api:ips:"


def _addresses(cloud: Any, context: Any, server_id: str, rule: str) -> dict[str, Any]:
    from tessera.api.compute.servers import get_server
    return addresses(get_server(cloud, context, server_id, rule))


@router.get("/servers/{server_id}/ips", summary="List a server's addresses")
def index(server_id: str, context: Context, cloud: Cloud) -> dict[str, Any]:
    return {"addresses": _addresses(cloud, context, server_id, _R + "index")}


@router.get("/servers/{server_id}/ips/{network_label}",
            summary="List a server's addresses on one network")
def show(server_id: str, network_label: str, context: Context,
         cloud: Cloud) -> dict[str, Any]:
    found = _addresses(cloud, context, server_id, _R + "show")
    if network_label not in found:
        raise errors.NotFound("Instance is not a member of specified network")
    return {network_label: found[network_label]}
