"""`/v2.0/security-groups`: list (filters id, name, project_id), show, create, update
and delete. Listing creates the caller's project's `default` group on first use; a
group still on a port cannot be deleted, and only an admin deletes a `default` group."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from tessera.api import errors as api_errors
from tessera.api.auth import Context
from tessera.context import RequestContext
from tessera.network import security_groups as groups
from tessera.network.api import common
from tessera.network.types import SecurityGroup

router = APIRouter()

ALLOWED = ("name", "description", "stateful", "project_id", "tenant_id")


def view(group: SecurityGroup) -> dict[str, Any]:
    return {"id": group.id, "name": group.name, "description": group.description,
            "project_id": group.project_id, "tenant_id": group.project_id,
            "stateful": group.stateful, "shared": False, "security_group_rules": [],
            **common.stamps(group.created_at, group.updated_at)}


def _get(session: Any, context: RequestContext, group_id: str) -> SecurityGroup:
    group = groups.get(session, group_id)
    if not common.visible(context, group.project_id):
        raise api_errors.NotFound("Security group %s does not exist" % group_id)
    return group


@router.get("/security-groups", summary="List security groups")
def list_security_groups(request: Request, context: Context) -> dict[str, Any]:
    wanted = common.filters(request, "id", "name", "project_id", "description")
    with common.db(request) as session:
        if context.project_id:
            groups.ensure_default(session, context.project_id)
        projects = None if context.is_admin else [context.project_id or ""]
        found = groups.list_groups(session, project_ids=projects)
    views = [view(g) for g in found]
    return {"security_groups": [common.shape(request, v) for v in views
                                if common.matches(v, wanted)]}


@router.get("/security-groups/{group_id}", summary="Show a security group")
def show_security_group(group_id: str, request: Request,
                        context: Context) -> dict[str, Any]:
    with common.db(request, readonly=True) as session:
        group = _get(session, context, group_id)
    return {"security_group": common.shape(request, view(group))}


@router.post("/security-groups", status_code=201, summary="Create a security group")
async def create_security_group(request: Request, context: Context) -> dict[str, Any]:
    body = await common.body_of(request, "security_group")
    common.refuse_unknown(body, ALLOWED, "security_group")
    name = common.text(body, "name")
    if name == groups.DEFAULT_NAME:
        raise api_errors.Conflict("Default security group already exists.")
    project = common.owner(context, body)
    with common.db(request) as session:
        if project:
            groups.ensure_default(session, project)
        group = groups.create(session, project or "", name,
                              common.text(body, "description"),
                              common.flag(body, "stateful", True))
    return {"security_group": view(group)}


@router.put("/security-groups/{group_id}", summary="Rename or describe a security group")
async def update_security_group(group_id: str, request: Request,
                                context: Context) -> dict[str, Any]:
    body = await common.body_of(request, "security_group")
    common.refuse_unknown(body, ("name", "description"), "security_group")
    with common.db(request) as session:
        _get(session, context, group_id)
        group = groups.update(
            session, group_id,
            name=common.text(body, "name") if "name" in body else None,
            description=(common.text(body, "description")
                         if "description" in body else None))
    return {"security_group": view(group)}


@router.delete("/security-groups/{group_id}", status_code=204,
               summary="Delete a security group")
def delete_security_group(group_id: str, request: Request, context: Context) -> Response:
    with common.db(request) as session:
        group = _get(session, context, group_id)
        if group.is_default and not context.is_admin:
            raise api_errors.Conflict("Insufficient rights for removing default "
                                      "security group.")
        groups.delete(session, group_id)
    return Response(status_code=204)


# Tessera does not filter guest traffic: groups have no rules, and none can be added.
RULES_UNSUPPORTED = ("Security group rules are not supported: Tessera's networks do not "
                     "filter traffic.")


@router.get("/security-group-rules", summary="List security group rules (none)")
def list_security_group_rules(context: Context) -> dict[str, Any]:
    return {"security_group_rules": []}


@router.post("/security-group-rules", summary="Create a security group rule (400)")
def create_security_group_rule(context: Context) -> Response:
    raise api_errors.BadRequest(RULES_UNSUPPORTED)
