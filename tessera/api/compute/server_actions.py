"""Server actions (`POST /servers/{id}/action`): reboot, os-stop, os-start, resize,
confirmResize, revertResize, migrate, rebuild (`server_rebuild`), createImage (`tessera.image.snapshots`); and `GET /servers/{id}/topology` (2.78), the
guest's NUMA placement: which host cell each guest cell sits on, its pinned pCPUs
and page size.

Each accepted action is recorded as an instance action. A state that forbids the
action is a 409 with Nova's wording; an action Tessera does not know is a 400.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request, Response
from fastapi.responses import JSONResponse

from tessera.api import Context, RequestVersion, api_version, authorize, errors
from tessera.api.compute import instance_actions, server_rebuild
from tessera.api.compute._common import Cloud, translated
from tessera.api.compute.servers import get_server
from tessera.compute.api import CloudAPI
from tessera.db import errors as db_errors
from tessera.image import snapshots
from tessera.objects import Instance, VmState

router = APIRouter(tags=["server actions"])
_S = "os_compute_api:servers:"

# action -> (policy rule, vm_states it needs, status code, instance action name)
ACTIONS: dict[str, tuple[str, tuple[VmState, ...], int, str]] = {
    "reboot": (_S + "reboot", (VmState.ACTIVE, VmState.STOPPED, VmState.ERROR), 202,
               "reboot"),
    "os-stop": (_S + "stop", (VmState.ACTIVE, VmState.ERROR), 202, "stop"),
    "os-start": (_S + "start", (VmState.STOPPED,), 202, "start"),
    "resize": (_S + "resize", (VmState.ACTIVE, VmState.STOPPED), 202, "resize"),
    "confirmResize": (_S + "confirm_resize", (VmState.RESIZED,), 204, "confirmResize"),
    "revertResize": (_S + "revert_resize", (VmState.RESIZED,), 202, "revertResize"),
    "rebuild": (_S + "rebuild", (VmState.ACTIVE, VmState.STOPPED, VmState.ERROR), 202,
                "rebuild"),
    "migrate": ("os_compute_api:os-migrate-server:migrate",
                (VmState.ACTIVE, VmState.STOPPED), 202, "migrate"),
    "createImage": (_S + "create_image", snapshots.ALLOWED_STATES, 202, "createImage"),
}


def _conflict(inst: Instance, action: str) -> errors.Conflict:
    return errors.Conflict("Cannot '%s' instance %s while it is in vm_state %s"
                           % (action, inst.uuid, inst.vm_state.value) +
                           (" and task_state %s" % inst.task_state.value
                            if inst.task_state else ""))


@router.post("/servers/{server_id}/action", summary="Act on a server",
             response_model=None)
def act(server_id: str, request: Request, context: Context, version: RequestVersion,
        cloud: Cloud, body: dict[str, Any] = Body(...)) -> Response:
    if len(body) != 1:
        raise errors.BadRequest("There is either no or more than one action in the "
                                "request body.")
    [(name, args)] = body.items()
    if name not in ACTIONS:
        get_server(cloud, context, server_id, _S + "show")  # a missing server is a 404
        raise errors.BadRequest("Action %s is not supported by Tessera." % name)
    rule, states, code, record_as = ACTIONS[name]
    inst = get_server(cloud, context, server_id, _S + "show")
    authorize(context, rule, {"project_id": inst.project_id, "user_id": inst.user_id})
    if inst.vm_state not in states or (inst.task_state is not None):
        raise _conflict(inst, name)
    if name == "rebuild":
        answer = server_rebuild.rebuild(cloud, request, context, version, inst, args)
        instance_actions.record(cloud, context, inst.uuid, record_as)
        return JSONResponse(answer, status_code=code)
    if name == "createImage":
        image = snapshots.snapshot_image(inst, context, *snapshots.parse_args(args))
        snapshots.reserve(cloud, inst, image)
        instance_actions.record(cloud, context, inst.uuid, record_as)
        snapshots.start(cloud, context, inst, image)
        return snapshots.accepted(request, version, image.id or "")
    call = _prepare(cloud, name, args, version, inst)
    instance_actions.record(cloud, context, inst.uuid, record_as)
    with translated(server_id):
        call(context)
    return Response(status_code=code)


def _prepare(cloud: CloudAPI, name: str, args: Any, version: Any, inst: Instance) -> Any:
    """Validate the action's arguments; return the call that starts it."""
    uuid = inst.uuid
    if name == "reboot":
        kind = args.get("type") if isinstance(args, dict) else None
        if kind is None or str(kind).upper() not in ("SOFT", "HARD"):
            raise errors.BadRequest("Invalid input for field/attribute type. Value: %s. "
                                    "'%s' is not one of ['HARD', 'Hard', 'hard', "
                                    "'SOFT', 'Soft', 'soft']" % (kind, kind))
        return lambda ctxt: cloud.power(ctxt, uuid, "reboot_instance")
    if name in ("os-stop", "os-start", "confirmResize", "revertResize"):
        if args is not None and args != {}:  # Tempest sends {"os-stop": {}}
            raise errors.BadRequest("Invalid input for field/attribute %s. Value: %s. "
                                    "None is expected" % (name, args))
        return {"os-stop": lambda c: cloud.power(c, uuid, "stop_instance"),
                "os-start": lambda c: cloud.power(c, uuid, "start_instance"),
                "confirmResize": lambda c: cloud.confirm_resize(c, uuid),
                "revertResize": lambda c: cloud.revert_resize(c, uuid)}[name]
    if name == "resize":
        if not isinstance(args, dict) or "flavorRef" not in args or \
                set(args) - {"flavorRef", "OS-DCF:diskConfig"}:
            raise errors.BadRequest("Invalid input for field/attribute resize: "
                                    "flavorRef is required")
        try:
            flavor = cloud.find_flavor(str(args["flavorRef"]))
        except db_errors.FlavorNotFound:
            raise errors.BadRequest("Unable to find flavor %s" % args["flavorRef"]) \
                from None
        if flavor.flavorid == inst.flavor.flavorid:
            raise errors.BadRequest("When resizing, instances must change flavor!")

        def resize(ctxt: Any) -> None:
            cloud.set_forced_host(uuid, None)
            cloud.resize(ctxt, uuid, flavor)
        return resize
    if name == "migrate":
        host = _migrate_host(cloud, args, version, inst)
        return lambda ctxt: cloud.migrate_to_host(ctxt, uuid, host)
    raise errors.BadRequest("Action %s is not supported by Tessera." % name)


def _migrate_host(cloud: CloudAPI, args: Any, version: Any, inst: Instance) -> str | None:
    """The `host` of a 2.56+ migrate (None: the scheduler picks); Nova's checks."""
    if args is None:
        return None
    if version < (2, 56) or not isinstance(args, dict) or set(args) - {"host"}:
        raise errors.BadRequest("Invalid input for field/attribute migrate. Value: %s. "
                                "%s" % (args, "None is expected" if version < (2, 56)
                                        else "Only 'host' is allowed"))
    host = args.get("host")
    if host is None:
        return None
    if not isinstance(host, str) or not 1 <= len(host) <= 255:
        raise errors.BadRequest("Invalid input for field/attribute host. Value: %s."
                                % (host,))
    if host == inst.host:
        raise errors.BadRequest("The target host can't be the same one.")
    if host not in {r.node.host for r in cloud.list_compute_nodes()}:
        raise errors.BadRequest("Compute host %s could not be found." % host)
    return host


@router.get("/servers/{server_id}/topology", dependencies=[api_version("2.78")],
            summary="Show a server's NUMA topology (2.78+)")
def topology(server_id: str, context: Context, cloud: Cloud) -> dict[str, Any]:
    inst = get_server(cloud, context, server_id, _S + "show")
    authorize(context, "os_compute_api:servers:topology:index",
              {"project_id": inst.project_id})
    placement = inst.placement
    if placement is None:
        return {"nodes": [], "pagesize_kb": None}
    try:
        authorize(context, "os_compute_api:servers:topology:host:index",
                  {"project_id": inst.project_id})
        admin = True
    except errors.Forbidden:
        admin = False
    nodes = []
    for cell in placement.cells:
        node: dict[str, Any] = {"memory_mb": cell.memory_mb,
                                "siblings": [],
                                "vcpu_set": sorted(cell.pins) or list(cell.floating)}
        if admin:
            node["host_node"] = cell.host_cell
            node["cpu_pinning"] = {str(k): v for k, v in sorted(cell.pins.items())}
        nodes.append(node)
    page = placement.cells[0].page_size_kb if placement.cells else None
    return {"nodes": nodes, "pagesize_kb": page}
