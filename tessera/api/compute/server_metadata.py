"""Server metadata (`/servers/{id}/metadata`): list, merge (POST), replace (PUT),
show, set and delete one item, with Nova's bodies, checks and errors.

Keys are 1-255 of `[a-zA-Z0-9-_:. ]`, values at most 255 characters (400); more
items than the `metadata_items` quota is a 403. Writes need the server ACTIVE or
SHUTOFF with no task (409 otherwise, as Nova answers).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Response

from tessera.api import Context, errors
from tessera.api.compute._common import Cloud, translated
from tessera.api.compute.servers import _check_metadata, get_server
from tessera.compute.api import CloudAPI
from tessera.objects import Instance, VmState

router = APIRouter(tags=["server metadata"])
_R = "os_compute_api:server-metadata:"
_WRITABLE = (VmState.ACTIVE, VmState.STOPPED)


def _items(body: Any, key: str) -> dict[str, str]:
    """The `metadata` (or `meta`) object of a body, every value a string (400)."""
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise errors.BadRequest("Invalid input for field/attribute %s. Value: %s. "
                                "'%s' is a required property" % (key, body, key))
    items = body[key]
    bad = [k for k, v in items.items() if not isinstance(v, str)]
    if bad:
        raise errors.BadRequest("Invalid input for field/attribute %s. Value: %s. "
                                "%r is not of type 'string'" % (key, items, items[bad[0]]))
    return dict(items)


def _save(cloud: CloudAPI, inst: Instance, metadata: dict[str, str]) -> dict[str, str]:
    if inst.vm_state not in _WRITABLE or inst.task_state is not None:
        raise errors.Conflict("Cannot 'update metadata' instance %s while it is in "
                              "vm_state %s" % (inst.uuid, inst.vm_state.value))
    _check_metadata(cloud, metadata)
    with translated(inst.uuid):
        return dict(cloud.set_metadata(inst.uuid, metadata).metadata)


@router.get("/servers/{server_id}/metadata", summary="List a server's metadata")
def index(server_id: str, context: Context, cloud: Cloud) -> dict[str, Any]:
    inst = get_server(cloud, context, server_id, _R + "index")
    return {"metadata": dict(inst.metadata)}


@router.post("/servers/{server_id}/metadata", summary="Add or change metadata items")
def create(server_id: str, context: Context, cloud: Cloud,
           body: Any = Body(...)) -> dict[str, Any]:
    inst = get_server(cloud, context, server_id, _R + "create")
    items = _items(body, "metadata")
    return {"metadata": _save(cloud, inst, {**inst.metadata, **items})}


@router.put("/servers/{server_id}/metadata", summary="Replace all metadata")
def update_all(server_id: str, context: Context, cloud: Cloud,
               body: Any = Body(...)) -> dict[str, Any]:
    inst = get_server(cloud, context, server_id, _R + "update_all")
    return {"metadata": _save(cloud, inst, _items(body, "metadata"))}


@router.get("/servers/{server_id}/metadata/{key}", summary="Show a metadata item")
def show(server_id: str, key: str, context: Context, cloud: Cloud) -> dict[str, Any]:
    inst = get_server(cloud, context, server_id, _R + "show")
    if key not in inst.metadata:
        raise errors.NotFound("Metadata item was not found")
    return {"meta": {key: inst.metadata[key]}}


@router.put("/servers/{server_id}/metadata/{key}", summary="Set a metadata item")
def update(server_id: str, key: str, context: Context, cloud: Cloud,
           body: Any = Body(...)) -> dict[str, Any]:
    inst = get_server(cloud, context, server_id, _R + "update")
    meta = _items(body, "meta")
    if len(meta) != 1:
        raise errors.BadRequest("Request body contains too many items")
    if key not in meta:
        raise errors.BadRequest("Request body and URI mismatch")
    _save(cloud, inst, {**inst.metadata, **meta})
    return {"meta": meta}


@router.delete("/servers/{server_id}/metadata/{key}", status_code=204,
               summary="Delete a metadata item", response_class=Response)
def delete(server_id: str, key: str, context: Context, cloud: Cloud) -> Response:
    inst = get_server(cloud, context, server_id, _R + "delete")
    if key not in inst.metadata:
        raise errors.NotFound("Metadata item was not found")
    _save(cloud, inst, {k: v for k, v in inst.metadata.items() if k != key})
    return Response(status_code=204)

