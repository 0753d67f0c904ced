"""Compute services (admin): list, and enable/disable/force-down, in Nova's two forms:
`PUT /os-services/{enable,disable,disable-log-reason,force-down}` with host and
binary up to 2.52 (`force-down` from 2.11), `PUT /os-services/{uuid}` from 2.53.
`forced_down` is shown from 2.11, ids are uuids from 2.53."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, ConfigDict, Field

from tessera.api import Context, RequestVersion, authorize, errors
from tessera.api.compute._common import Cloud, isotime
from tessera.api.compute.limits import COMPUTE_BINARY, service_is_up
from tessera.compute.api import CloudAPI
from tessera.db import errors as db_errors
from tessera.db.api import queries as api_q

router = APIRouter(tags=["services"])
_R = "os_compute_api:os-services:"


class HostBinary(BaseModel):
    model_config = ConfigDict(extra="forbid")
    host: str = Field(min_length=1, max_length=255)
    binary: str = Field(min_length=1, max_length=255)
    disabled_reason: str | None = Field(default=None, max_length=255)
    forced_down: bool | None = None


class ServiceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str | None = Field(default=None, pattern="^(enabled|disabled)$")
    disabled_reason: str | None = Field(default=None, max_length=255)
    forced_down: bool | None = None


def view(svc: Any, version: Any) -> dict[str, Any]:
    body = {"id": svc.uuid if version >= (2, 53) else svc.id, "binary": svc.binary,
            "host": svc.host, "zone": "nova" if svc.binary == COMPUTE_BINARY
            else "internal", "status": "disabled" if svc.disabled else "enabled",
            "state": "up" if service_is_up(svc) else "down",
            "updated_at": isotime(svc.last_seen_up or svc.updated_at),
            "disabled_reason": svc.disabled_reason}
    if version >= (2, 11):
        body["forced_down"] = svc.forced_down
    return body


@router.get("/os-services", summary="List compute services (admin)")
def index(request: Request, context: Context, version: RequestVersion, cloud: Cloud
          ) -> dict[str, Any]:
    authorize(context, _R + "list")
    q = request.query_params
    services = [s for _c, s in cloud.list_services()
                if q.get("host") in (None, s.host) and q.get("binary") in (None, s.binary)]
    body = [view(s, version) for s in services]
    if version >= (2, 69):
        body += [u for u in _down_cell_services(cloud)
                 if q.get("host") in (None, u["host"])
                 and q.get("binary") in (None, u["binary"])]
    return {"services": body}


def _down_cell_services(cloud: CloudAPI) -> list[dict[str, Any]]:
    """The compute services of cells whose database does not answer, as Nova shows
    them from 2.69: host and binary (from the host mappings), status UNKNOWN."""
    router = cloud.router
    down = [c for c in router.cells() if not c.is_cell0 and not c.disabled
            and not router.is_up(c)]
    if not down:
        return []
    with router.api(readonly=True) as s:
        hosts = [m.host for c in down for m in api_q.list_host_mappings(s, c.uuid)]
    return [{"binary": COMPUTE_BINARY, "host": h, "status": "UNKNOWN"}
            for h in sorted(hosts)]


def _by_host(cloud: CloudAPI, host: str, binary: str) -> Any:
    for _c, svc in cloud.list_services():
        if svc.host == host and svc.binary == binary:
            return svc
    raise errors.NotFound("Service %s on host %s could not be found." % (binary, host))


@router.put("/os-services/{item}",
            summary="Up to 2.52: PUT /os-services/{enable,disable,disable-log-reason,"
            "force-down} with host and binary; from 2.53: PUT /os-services/{uuid}")
def put(item: str, context: Context, version: RequestVersion, cloud: Cloud,
        body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    """One route for both forms (they share the path pattern), chosen by version."""
    authorize(context, _R + "update")
    if version >= (2, 53):
        return _update(item, ServiceUpdate.model_validate(body), version, cloud)
    return _legacy_update(item, HostBinary.model_validate(body), version, cloud)


def _legacy_update(action: str, body: HostBinary, version: Any, cloud: CloudAPI
                   ) -> dict[str, Any]:
    allowed = {"enable", "disable", "disable-log-reason"} | (
        {"force-down"} if version >= (2, 11) else set())
    if action not in allowed:
        raise errors.NotFound("Unknown action %s" % action)
    svc = _by_host(cloud, body.host, body.binary)
    out: dict[str, Any] = {"host": body.host, "binary": body.binary}
    if action == "force-down":
        if body.forced_down is None:
            raise errors.BadRequest("forced_down is required")
        cloud.update_service(svc.id, forced_down=body.forced_down)
        out["forced_down"] = body.forced_down
        return {"service": out}
    if action == "disable-log-reason" and not body.disabled_reason:
        raise errors.BadRequest("Missing disabled reason field")
    disabled = action != "enable"
    reason = body.disabled_reason if action == "disable-log-reason" else None
    cloud.update_service(svc.id, disabled=disabled, disabled_reason=reason)
    out["status"] = "disabled" if disabled else "enabled"
    if action == "disable-log-reason":
        out["disabled_reason"] = reason
    return {"service": out}


def _update(service_id: str, body: ServiceUpdate, version: Any, cloud: CloudAPI
            ) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if body.status is not None:
        values["disabled"] = body.status == "disabled"
        values["disabled_reason"] = body.disabled_reason if values["disabled"] else None
    elif body.disabled_reason is not None:
        raise errors.BadRequest("Specifying 'disabled_reason' with status 'enabled' "
                                "or without a status is invalid.")
    if body.forced_down is not None:
        values["forced_down"] = body.forced_down
    if not values:
        raise errors.BadRequest("At least one of status or forced_down must be "
                                "specified in the request body.")
    if service_id.isdigit():
        raise errors.BadRequest("Invalid uuid %s" % service_id)
    try:
        svc = cloud.update_service(service_id, **values)
    except db_errors.ServiceNotFound:
        raise errors.NotFound("Service %s could not be found." % service_id) from None
    return {"service": view(svc, version)}
