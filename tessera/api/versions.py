"""The version documents clients discover the API from.

`GET /` lists v2.0 (the legacy `/v2` endpoint) and v2.1; `GET /v2.1` and `/v2.1/`
describe v2.1 with the microversion range (`version` is our maximum: openstacksdk
negotiates from it and sends no microversion without it); `GET /v2` and `/v2/` describe
v2.0 (Tempest fetches it). Shapes are Nova's (`nova-features.md` 9.4) and pass Tempest's
`versions` schemas. Links use the host the client asked for, honouring
`X-Forwarded-Proto`, `X-Forwarded-Host` and `X-Forwarded-Prefix` from a proxy.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from tessera.api.microversion import MAX_VERSION, MIN_VERSION

DESCRIBED_BY = {"rel": "describedby", "type": "text/html",
                "href": "http://docs.openstack.org/"}

_V20 = {"id": "v2.0", "status": "SUPPORTED", "version": "", "min_version": "",
        "updated": "2011-01-21T11:33:21Z", "path": "/v2/",
        "media_type": "application/vnd.openstack.compute+json;version=2"}
_V21 = {"id": "v2.1", "status": "CURRENT", "version": str(MAX_VERSION),
        "min_version": str(MIN_VERSION), "updated": "2013-07-23T11:33:21Z",
        "path": "/v2.1/", "media_type": "application/vnd.openstack.compute+json;version=2.1"}

router = APIRouter(tags=["versions"])


def base_url(request: Request) -> str:
    """The URL clients reach this service at, without a trailing slash."""
    url = request.base_url
    scheme = _first(request.headers.get("x-forwarded-proto")) or url.scheme
    host = _first(request.headers.get("x-forwarded-host")) or url.netloc
    prefix = _first(request.headers.get("x-forwarded-prefix")) or ""
    return "%s://%s%s%s" % (scheme, host, prefix.rstrip("/"), url.path.rstrip("/"))


def _first(value: str | None) -> str | None:
    return value.split(",")[0].strip() or None if value else None


def _summary(doc: dict[str, Any], base: str) -> dict[str, Any]:
    return {"id": doc["id"], "status": doc["status"], "version": doc["version"],
            "min_version": doc["min_version"], "updated": doc["updated"],
            "links": [{"rel": "self", "href": base + doc["path"]}]}


def _document(doc: dict[str, Any], base: str) -> dict[str, Any]:
    summary = _summary(doc, base)
    summary["links"].append(dict(DESCRIBED_BY))
    summary["media-types"] = [{"base": "application/json", "type": doc["media_type"]}]
    return {"version": summary}


@router.get("/", summary="List API versions")
def list_versions(request: Request) -> dict[str, Any]:
    """200 (not 300): Tempest and the SDK expect it."""
    base = base_url(request)
    return {"versions": [_summary(_V20, base), _summary(_V21, base)]}


@router.get("/v2.1", summary="Show the v2.1 version")
@router.get("/v2.1/", include_in_schema=False)
def show_v21(request: Request) -> dict[str, Any]:
    return _document(_V21, base_url(request))


@router.get("/v2", summary="Show the legacy v2.0 version")
@router.get("/v2/", include_in_schema=False)
def show_v20(request: Request) -> dict[str, Any]:
    return _document(_V20, base_url(request))
