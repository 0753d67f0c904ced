"""Hypervisors (admin): list, detail, show, statistics, with Nova's fields per
version (`cpu_info` an object from 2.28, paging from 2.33, uuids as ids and
`hypervisor_hostname_pattern` / `with_servers` from 2.53), and before 2.53 the
`search` and `servers` lookups by hostname pattern; `uptime` up to 2.87.

Tessera's extra: `?with_numa=true` adds a `tessera:numa` key to each hypervisor of
detail and show: its NUMA cells with their CPUs, pinned and free dedicated pCPUs,
memory and huge page pools. Without the parameter (Tempest never sends it) the body
is exactly Nova's, so `additionalProperties: false` schemas still pass.
"""

from __future__ import annotations

import time
import uuid as uuidlib
from typing import Any

from fastapi import APIRouter, Request

from tessera.api import Context, RequestVersion, api_version, authorize, errors
from tessera.api.compute._common import Cloud, next_link, page, parse_limit
from tessera.api.compute.limits import COMPUTE_BINARY, service_is_up
from tessera.compute.api import CloudAPI

router = APIRouter(tags=["hypervisors"])
_R = "os_compute_api:os-hypervisors:"


def numa_view(node: Any) -> dict[str, Any]:
    """A host's NUMA cells as the scheduler sees them (Tessera's `tessera:numa`)."""
    cells = []
    for cell in node.numa.cells:
        cpus = sorted(c for group in cell.siblings for c in group)
        cells.append({
            "id": cell.id, "socket": cell.socket, "cpus": cpus,
            "siblings": [list(g) for g in cell.siblings],
            "dedicated_cpus": sorted(cell.dedicated), "shared_cpus": sorted(cell.shared),
            "pinned_cpus": sorted(cell.pinned),
            "free_pcpus": sorted(set(cell.dedicated) - set(cell.pinned)),
            "memory_mb": cell.memory_mb, "memory_used_mb": cell.memory_used_mb,
            "pages": [{"size_kb": p.size_kb, "total": p.total, "used": p.used,
                       "reserved": p.reserved,
                       "free": p.total - p.used - p.reserved} for p in cell.pages]})
    return {"cells": cells}


def _records(cloud: CloudAPI) -> list[tuple[Any, Any]]:
    services = {s.host: s for _c, s in cloud.list_services() if s.binary == COMPUTE_BINARY}
    return [(r, services.get(r.node.host)) for r in cloud.list_compute_nodes()]


def _summary(record: Any, svc: Any, version: Any) -> dict[str, Any]:
    node = record.node
    return {"id": node.uuid if version >= (2, 53) else record.id,
            "hypervisor_hostname": node.hypervisor_hostname,
            "state": "up" if svc is not None and service_is_up(svc) else "down",
            "status": "disabled" if svc is not None and svc.disabled else "enabled"}


def _detail(record: Any, svc: Any, version: Any, with_numa: bool) -> dict[str, Any]:
    node = record.node
    body = _summary(record, svc, version)
    cpu_info: dict[str, Any] = {"arch": "x86_64", "model": "fake", "vendor": "Tessera",
                                "topology": {"sockets": len({c.socket for c in
                                                             node.numa.cells}),
                                             "cells": len(node.numa.cells)}}
    body.update({
        "cpu_info": cpu_info if version >= (2, 28) else str(cpu_info).replace("'", '"'),
        "current_workload": 0, "disk_available_least": node.local_gb - node.local_gb_used,
        "free_disk_gb": node.local_gb - node.local_gb_used,
        "free_ram_mb": node.memory_mb - node.memory_mb_used, "host_ip": "127.0.0.1",
        "hypervisor_type": node.hypervisor_type,
        "hypervisor_version": node.hypervisor_version, "local_gb": node.local_gb,
        "local_gb_used": node.local_gb_used, "memory_mb": node.memory_mb,
        "memory_mb_used": node.memory_mb_used, "running_vms": node.running_vms,
        "vcpus": node.vcpus, "vcpus_used": node.vcpus_used,
        "service": {"host": node.host,
                    "id": (svc.uuid if version >= (2, 53) else svc.id) if svc else None,
                    "disabled_reason": svc.disabled_reason if svc else None}})
    if with_numa:
        body["tessera:numa"] = numa_view(node)
    return body


def _servers(cloud: CloudAPI, host: str) -> list[dict[str, str]]:
    return [{"name": i.display_name, "uuid": i.uuid} for i in cloud.list(None)
            if i.host == host]


def _flag(request: Request, name: str) -> bool:
    return (request.query_params.get(name) or "").lower() in ("true", "1", "yes")


def _listing(request: Request, context: Any, version: Any, cloud: CloudAPI, rule: str,
             detailed: bool) -> dict[str, Any]:
    authorize(context, _R + rule)
    q = request.query_params
    records = _records(cloud)
    pattern = q.get("hypervisor_hostname_pattern") if version >= (2, 53) else None
    if pattern is not None:
        records = [(r, s) for r, s in records if pattern in r.node.hypervisor_hostname]
        if not records:
            raise errors.NotFound("No hypervisor matching '%s' could be found." % pattern)
    more = False
    if version >= (2, 33):
        key = (lambda rs: rs[0].node.uuid) if version >= (2, 53) else \
            (lambda rs: str(rs[0].id))
        records, more = page(records, key, q.get("marker"), parse_limit(q.get("limit")))
    out = []
    for record, svc in records:
        body = _detail(record, svc, version, _flag(request, "with_numa")) if detailed \
            else _summary(record, svc, version)
        if version >= (2, 53) and _flag(request, "with_servers"):
            body["servers"] = _servers(cloud, record.node.host)
        out.append(body)
    result: dict[str, Any] = {"hypervisors": out}
    if more and out:
        result["hypervisors_links"] = next_link(
            request, "os-hypervisors" + ("/detail" if detailed else ""),
            str(out[-1]["id"]))
    return result


@router.get("/os-hypervisors", summary="List hypervisors (admin)")
def index(request: Request, context: Context, version: RequestVersion, cloud: Cloud
          ) -> dict[str, Any]:
    return _listing(request, context, version, cloud, "list", False)


@router.get("/os-hypervisors/detail", summary="List hypervisors with details (admin)")
def detail(request: Request, context: Context, version: RequestVersion, cloud: Cloud
           ) -> dict[str, Any]:
    return _listing(request, context, version, cloud, "list-detail", True)


@router.get("/os-hypervisors/statistics", summary="Hypervisor totals (admin)")
def statistics(context: Context, cloud: Cloud) -> dict[str, Any]:
    authorize(context, _R + "statistics")
    nodes = [r.node for r in cloud.list_compute_nodes()]
    total = {k: sum(getattr(n, k) for n in nodes) for k in (
        "vcpus", "vcpus_used", "memory_mb", "memory_mb_used", "local_gb", "local_gb_used",
        "running_vms")}
    total.update({"count": len(nodes), "current_workload": 0,
                  "free_ram_mb": total["memory_mb"] - total["memory_mb_used"],
                  "free_disk_gb": total["local_gb"] - total["local_gb_used"],
                  "disk_available_least": total["local_gb"] - total["local_gb_used"]})
    return {"hypervisor_statistics": total}


def _matching(cloud: CloudAPI, pattern: str) -> list[tuple[Any, Any]]:
    found = [(r, s) for r, s in _records(cloud) if pattern in r.node.hypervisor_hostname]
    if not found:
        raise errors.NotFound("No hypervisor matching '%s' could be found." % pattern)
    return found


@router.get("/os-hypervisors/{pattern}/search", dependencies=[api_version("2.1", "2.52")],
            summary="Hypervisors whose hostname contains a pattern (admin, < 2.53)")
def search(pattern: str, context: Context, version: RequestVersion, cloud: Cloud
           ) -> dict[str, Any]:
    authorize(context, _R + "search")
    return {"hypervisors": [_summary(r, s, version) for r, s in _matching(cloud, pattern)]}


@router.get("/os-hypervisors/{pattern}/servers", dependencies=[api_version("2.1", "2.52")],
            summary="The servers of the hypervisors matching a pattern (admin, < 2.53)")
def servers(pattern: str, context: Context, version: RequestVersion, cloud: Cloud
            ) -> dict[str, Any]:
    authorize(context, _R + "servers")
    out = []
    for record, svc in _matching(cloud, pattern):
        body = _summary(record, svc, version)
        on_host = _servers(cloud, record.node.host)
        if on_host:  # Nova leaves the key out for an empty hypervisor
            body["servers"] = on_host
        out.append(body)
    return {"hypervisors": out}


def _not_found(hypervisor_id: str, version: Any) -> errors.APIError:
    """Nova's answer to an id that names no hypervisor: from 2.53 an id that is not
    a UUID is a 400; otherwise (any id before 2.53) a 404."""
    if version >= (2, 53):
        try:
            uuidlib.UUID(hypervisor_id)
        except ValueError:
            return errors.BadRequest("Invalid uuid %s" % hypervisor_id)
    return errors.NotFound("Hypervisor with ID %s could not be found." % hypervisor_id)


_STARTED = time.time()


def uptime_line(now: float | None = None) -> str:
    """An `uptime`-style line. Simulated hosts have no clock of their own: the
    time counted is how long this control-plane process has been running."""
    now = time.time() if now is None else now
    up = int(now - _STARTED)
    days, rest = divmod(up, 86400)
    clock = time.strftime("%H:%M:%S", time.gmtime(now))
    return " %s up %d day%s, %2d:%02d,  0 users,  load average: 0.00, 0.00, 0.00" % (
        clock, days, "" if days == 1 else "s", rest // 3600, rest % 3600 // 60)


@router.get("/os-hypervisors/{hypervisor_id}/uptime",
            dependencies=[api_version("2.1", "2.87")],
            summary="A hypervisor's uptime (admin)")
def uptime(hypervisor_id: str, context: Context, version: RequestVersion, cloud: Cloud
           ) -> dict[str, Any]:
    authorize(context, _R + "uptime")
    for record, svc in _records(cloud):
        ident = record.node.uuid if version >= (2, 53) else str(record.id)
        if ident == hypervisor_id:
            return {"hypervisor": {**_summary(record, svc, version),
                                   "uptime": uptime_line()}}
    raise _not_found(hypervisor_id, version)


@router.get("/os-hypervisors/{hypervisor_id}", summary="Show a hypervisor (admin)")
def show(hypervisor_id: str, request: Request, context: Context, version: RequestVersion,
         cloud: Cloud) -> dict[str, Any]:
    authorize(context, _R + "show")
    for record, svc in _records(cloud):
        ident = record.node.uuid if version >= (2, 53) else str(record.id)
        if ident == hypervisor_id:
            body = _detail(record, svc, version, _flag(request, "with_numa"))
            if version >= (2, 53) and _flag(request, "with_servers"):
                body["servers"] = _servers(cloud, record.node.host)
            return {"hypervisor": body}
    raise _not_found(hypervisor_id, version)
