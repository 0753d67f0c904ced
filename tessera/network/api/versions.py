"""The Networking API's version documents: `/network` lists v2.0, `/network/v2.0`
lists the resources it serves. Both are public."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from tessera.api.versions import base_url
from tessera.network.api.common import API_ROOT, NETWORK_PREFIX

# The root router of the Networking API (the other handler modules join it).
router = APIRouter(prefix=NETWORK_PREFIX, tags=["network"])

RESOURCES = (("network", "networks"), ("subnet", "subnets"), ("port", "ports"),
             ("security_group", "security-groups"))


def _root(request: Request) -> str:
    return base_url(request).split(NETWORK_PREFIX)[0] + NETWORK_PREFIX


@router.get("/", summary="Networking API versions")
@router.get("", include_in_schema=False)
def network_versions(request: Request) -> dict[str, Any]:
    return {"versions": [{"id": "v2.0", "status": "CURRENT", "links": [
        {"rel": "self", "href": _root(request) + API_ROOT + "/"}]}]}


@router.get(API_ROOT + "/", summary="Networking API v2.0 resources")
@router.get(API_ROOT, include_in_schema=False)
def network_resources(request: Request) -> dict[str, Any]:
    root = _root(request) + API_ROOT
    return {"resources": [{"name": name, "collection": collection, "links": [
        {"rel": "self", "href": "%s/%s" % (root, collection)}]}
        for name, collection in RESOURCES]}
