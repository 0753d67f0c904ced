"""Instance actions (`os-instance-actions`): every action the API accepts on a server
is recorded with the request id, and one event named `api_<action>`. The compute
service does not report back to the API, so an open action is closed when it is next
read and its server has settled: `Success`, or `Error` with the server's fault.

Versions: 2.21 shows actions of deleted servers; 2.51 shows events to everyone (the
traceback only where `os-instance-actions:events` allows); 2.58 adds `updated_at`,
`limit`/`marker` paging and `changes-since`; 2.62 gives each event the `hostId` of the
host it ran on (and its `host` name where `os-instance-actions:events` allows); 2.66
adds `changes-before`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from tessera.api import Context, RequestVersion, authorize, errors, policy
from tessera.api.compute._common import (Cloud, isotime_micro, next_link, page,
                                         parse_limit, parse_time, time_window, translated)
from tessera.api.compute.server_views import generate_host_id
from tessera.compute.api import CloudAPI
from tessera.db.api import server_queries as sq
from tessera.objects import Instance, VmState

router = APIRouter(tags=["instance actions"])
_R = "os_compute_api:os-instance-actions:"


def record(cloud: CloudAPI, context: Any, instance_uuid: str, action: str) -> None:
    """Record that `context` asked for `action` on the server (one open event)."""
    with cloud.router.api() as s:
        sq.start_action(s, sq.InstanceAction(
            instance_uuid=instance_uuid, request_id=context.request_id, action=action,
            project_id=context.project_id, user_id=context.user_id,
            events=(sq.InstanceActionEvent(event="api_" + action),)))


def _settle(cloud: CloudAPI, inst: Instance, actions: list[sq.InstanceAction]) -> bool:
    """Close the open actions of a server that has settled; whether any was closed."""
    if inst.task_state is not None and not inst.deleted:
        return False
    if inst.vm_state is VmState.BUILDING and not inst.deleted:
        return False
    open_ones = [a for a in actions if a.finish_time is None]
    if not open_ones:
        return False
    error = inst.vm_state is VmState.ERROR
    message = None
    if error:
        fault = cloud.fault(inst.uuid)
        message = fault.message if fault else "Error"
    with cloud.router.api() as s:
        for action in open_ones:
            sq.finish_action(s, action.id or 0, "Error" if error else "Success",
                             inst.host, message)
    return True


def _instance(cloud: CloudAPI, context: Any, server_id: str, version: Any,
              rule: str) -> Instance:
    with translated(server_id):
        inst = cloud.get_any(server_id) if version >= (2, 21) else cloud.get(server_id)
    if inst.project_id != context.project_id and not context.is_admin:
        raise errors.NotFound("Instance %s could not be found." % server_id)
    authorize(context, rule, {"project_id": inst.project_id})
    return inst


def _action(a: sq.InstanceAction, version: Any) -> dict[str, Any]:
    body = {"action": a.action, "instance_uuid": a.instance_uuid,
            "message": a.message, "project_id": a.project_id,
            "request_id": a.request_id, "start_time": isotime_micro(a.start_time),
            "user_id": a.user_id}
    if version >= (2, 58):
        body["updated_at"] = isotime_micro(a.updated_at)
    return body


def _allowed(context: Any, rule: str, project_id: str | None) -> bool:
    try:
        authorize(context, rule, {"project_id": project_id})
    except policy.PolicyNotAuthorized:
        return False
    return True


@router.get("/servers/{server_id}/os-instance-actions",
            summary="List a server's actions, newest first")
def index(server_id: str, request: Request, context: Context, version: RequestVersion,
          cloud: Cloud) -> dict[str, Any]:
    inst = _instance(cloud, context, server_id, version, _R + "list")
    with cloud.router.api() as s:
        actions = sq.list_actions(s, inst.uuid)
    if _settle(cloud, inst, actions):
        with cloud.router.api() as s:
            actions = sq.list_actions(s, inst.uuid)
    more = False
    if version >= (2, 58):
        q = request.query_params
        since, before = time_window(q, version)
        if since is not None:
            actions = [a for a in actions if a.updated_at and a.updated_at >= since]
        if before is not None:
            actions = [a for a in actions if a.updated_at and a.updated_at <= before]
        actions, more = page(actions, lambda a: a.request_id, q.get("marker"),
                             parse_limit(q.get("limit")))
    body: dict[str, Any] = {"instanceActions": [_action(a, version) for a in actions]}
    if more and actions:
        body["links"] = next_link(request, "servers/%s/os-instance-actions" % inst.uuid,
                                  actions[-1].request_id)
    return body


@router.get("/servers/{server_id}/os-instance-actions/{request_id}",
            summary="Show a server action with its events")
def show(server_id: str, request_id: str, context: Context, version: RequestVersion,
         cloud: Cloud) -> dict[str, Any]:
    inst = _instance(cloud, context, server_id, version, _R + "show")
    with cloud.router.api(readonly=True) as s:
        actions = sq.list_actions(s, inst.uuid)
    _settle(cloud, inst, actions)  # its own write: not inside a session that holds one
    with cloud.router.api() as s, translated(request_id):
        action = sq.get_action(s, inst.uuid, request_id)
    body = _action(action, version)
    may_see = _allowed(context, _R + "events", inst.project_id)
    if version >= (2, 51) or may_see:
        body["events"] = [_event(e, may_see, inst.project_id, version)
                          for e in action.events]
    return {"instanceAction": body}


def _event(e: sq.InstanceActionEvent, details: bool, project_id: str,
           version: Any) -> dict[str, Any]:
    """An event; `details` (the events policy) adds the traceback and, from 2.62, the
    host's name. An event that ran on no host (a build that was never scheduled)
    has an empty host and hostId."""
    body: dict[str, Any] = {"event": e.event, "start_time": isotime_micro(e.start_time),
                            "finish_time": isotime_micro(e.finish_time),
                            "result": e.result}
    if details:
        body["traceback"] = e.traceback
    if version >= (2, 62):
        if details:
            body["host"] = e.host or ""
        body["hostId"] = generate_host_id(project_id, e.host)
    return body
