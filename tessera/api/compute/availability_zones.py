"""Availability zones: `GET /os-availability-zone` (anyone) lists the zones that hold
compute hosts; `/detail` (admin) adds every host with its services and the
`internal` zone. Tessera's hosts are all in Nova's default zone, `nova`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tessera.api import Context, authorize
from tessera.api.compute._common import Cloud, isotime
from tessera.api.compute.limits import COMPUTE_BINARY, service_is_up

router = APIRouter(tags=["availability zones"])
DEFAULT_ZONE = "nova"


@router.get("/os-availability-zone", summary="List availability zones")
def index(context: Context, cloud: Cloud) -> dict[str, Any]:
    authorize(context, "os_compute_api:os-availability-zone:list")
    up = any(service_is_up(s) and not s.disabled for _c, s in cloud.list_services()
             if s.binary == COMPUTE_BINARY)
    return {"availabilityZoneInfo": [{"zoneName": DEFAULT_ZONE,
                                      "zoneState": {"available": up}, "hosts": None}]}


@router.get("/os-availability-zone/detail",
            summary="List availability zones with their hosts (admin)")
def detail(context: Context, cloud: Cloud) -> dict[str, Any]:
    authorize(context, "os_compute_api:os-availability-zone:detail")
    zones: dict[str, dict[str, Any]] = {}
    for _c, svc in cloud.list_services():
        zone = DEFAULT_ZONE if svc.binary == COMPUTE_BINARY else "internal"
        hosts = zones.setdefault(zone, {})
        hosts.setdefault(svc.host, {})[svc.binary] = {
            "available": service_is_up(svc), "active": not svc.disabled,
            "updated_at": isotime(svc.last_seen_up)}
    return {"availabilityZoneInfo": [
        {"zoneName": name, "zoneState": {"available": any(
            b["available"] for h in hosts.values() for b in h.values())},
         "hosts": hosts} for name, hosts in sorted(zones.items())]}
