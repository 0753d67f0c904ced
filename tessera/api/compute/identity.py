"""The identity v3 version document, for the all-in-one without Keystone: the
`openstack` CLI builds an identity proxy for `server list` and insists on v3 even
with `auth_type: none` or `admin_token` (clients.md). Nothing else of Keystone is
served."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from tessera.api.versions import base_url

router = APIRouter(prefix="/identity", tags=["identity (version document only)"])


def _v3(request: Request) -> dict[str, Any]:
    base = base_url(request).split("/identity")[0] + "/identity"
    return {"id": "v3.14", "status": "stable", "updated": "2020-04-07T00:00:00Z",
            "links": [{"rel": "self", "href": base + "/v3/"}],
            "media-types": [{"base": "application/json",
                             "type": "application/vnd.openstack.identity-v3+json"}]}


@router.get("/v3", summary="Identity v3 version document")
@router.get("/v3/", include_in_schema=False)
def show_v3(request: Request) -> dict[str, Any]:
    return {"version": _v3(request)}


@router.get("", summary="Identity versions")
@router.get("/", include_in_schema=False)
def versions(request: Request) -> dict[str, Any]:
    return {"versions": {"values": [_v3(request)]}}
