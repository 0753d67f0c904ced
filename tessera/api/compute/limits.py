"""Absolute limits from simple per-project quotas (Nova's defaults), the quota check
of server create, and compute host states (for `host_status`).

Usage is counted from the project's live servers, as Nova's counting quotas do.
`GET /limits` drops the network limits at 2.36, `maxImageMeta` at 2.39 and the
personality limits at 2.57, as Nova does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request

from tessera.api import Context, RequestVersion, authorize, errors
from tessera.api.compute._common import Cloud
from tessera.compute.api import CloudAPI
from tessera.objects import Flavor

router = APIRouter(tags=["limits"])
QUOTAS: dict[str, int] = {"instances": 10, "cores": 20, "ram": 51200, "key_pairs": 100,
                          "metadata_items": 128, "server_groups": 10,
                          "server_group_members": 10}
SERVICE_DOWN_TIME = timedelta(seconds=60)
COMPUTE_BINARY = "tessera-compute"


def quotas(cloud: CloudAPI) -> dict[str, int]:
    return {**QUOTAS, **getattr(cloud, "quota_overrides", {})}


def usage(cloud: CloudAPI, project_id: str) -> dict[str, int]:
    servers = cloud.list(project_id)
    return {"instances": len(servers), "cores": sum(i.flavor.vcpus for i in servers),
            "ram": sum(i.flavor.memory_mb for i in servers)}


def allowed_count(cloud: CloudAPI, project_id: str, flavor: Flavor, count: int,
                  min_count: int) -> int:
    """How many of `count` servers fit the quota (at least `min_count`, which
    `check_quota` has checked)."""
    limit, used = quotas(cloud), usage(cloud, project_id)
    per = {"instances": 1, "cores": flavor.vcpus, "ram": flavor.memory_mb}
    fits = min((limit[k] - used[k]) // per[k] for k in per)
    return max(min_count, min(count, fits))


def check_quota(cloud: CloudAPI, project_id: str, flavor: Flavor, count: int,
                min_count: int) -> None:
    """403 (Nova's answer to a create over quota) if `min_count` servers do not fit."""
    limit, used = quotas(cloud), usage(cloud, project_id)
    want = {"instances": min_count, "cores": flavor.vcpus * min_count,
            "ram": flavor.memory_mb * min_count}
    for name, amount in want.items():
        if used[name] + amount > limit[name]:
            raise errors.Forbidden(
                "Quota exceeded for %s: Requested %d, but already used %d of %d %s"
                % (name, amount, used[name], limit[name], name))


def host_states(cloud: CloudAPI) -> dict[str, str]:
    """UP, DOWN or MAINTENANCE (disabled) per compute host, as Nova's host_status."""
    now = datetime.now(UTC)
    out: dict[str, str] = {}
    for _cell, svc in cloud.list_services():
        if svc.binary != COMPUTE_BINARY:
            continue
        if svc.forced_down or svc.last_seen_up is None or \
                now - svc.last_seen_up > SERVICE_DOWN_TIME:
            out[svc.host] = "DOWN"
        else:
            out[svc.host] = "MAINTENANCE" if svc.disabled else "UP"
    return out


def service_is_up(svc: Any) -> bool:
    return not svc.forced_down and svc.last_seen_up is not None and \
        datetime.now(UTC) - svc.last_seen_up <= SERVICE_DOWN_TIME


@router.get("/limits", summary="Show the project's absolute limits and usage")
def show(request: Request, context: Context, version: RequestVersion, cloud: Cloud
         ) -> dict[str, Any]:
    authorize(context, "os_compute_api:limits")
    project = context.project_id
    wanted = request.query_params.get("tenant_id")
    if wanted and wanted != project:
        authorize(context, "os_compute_api:limits:other_project")
        project = wanted
    q, used = quotas(cloud), usage(cloud, project)
    absolute: dict[str, int] = {
        "maxServerMeta": q["metadata_items"], "maxTotalCores": q["cores"],
        "maxTotalInstances": q["instances"], "maxTotalKeypairs": q["key_pairs"],
        "maxTotalRAMSize": q["ram"], "maxServerGroups": q["server_groups"],
        "maxServerGroupMembers": q["server_group_members"],
        "totalCoresUsed": used["cores"], "totalInstancesUsed": used["instances"],
        "totalRAMUsed": used["ram"], "totalServerGroupsUsed": 0}
    if version < (2, 36):
        absolute.update({"maxSecurityGroupRules": 20, "maxSecurityGroups": 10,
                         "maxTotalFloatingIps": 10, "totalFloatingIpsUsed": 0,
                         "totalSecurityGroupsUsed": 0})
    if version < (2, 39):
        absolute["maxImageMeta"] = 128
    if version < (2, 57):
        absolute.update({"maxPersonality": 5, "maxPersonalitySize": 10240})
    return {"limits": {"rate": [], "absolute": absolute}}
