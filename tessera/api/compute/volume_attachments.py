"""Volumes attached to servers: `/servers/{id}/os-volume_attachments` (list, show,
attach, detach), with Nova's rules:

- a server takes volumes while it is active, stopped or resized, with no
  task in progress (409 otherwise);
- a multi-attach volume needs microversion 2.60 (400 before);
- a volume in use by another server is refused (400) unless it is multi-attach;
  the block storage service decides that atomically when it reserves the volume;
- a detach removes this server's attachment of the volume, by its attachment id.

The API reserves the volume and writes the block device mapping (`attaching`), then
the server's compute host connects and attaches it (`compute.volume_attach`).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import SQLAlchemyError

from tessera.api import Context, RequestVersion, errors
from tessera.api.compute._common import Cloud
from tessera.compute.api import CloudAPI
from tessera.compute.rpcapi import ComputeAPI
from tessera.db.cell import block_devices as bdm_q
from tessera.objects import BlockDevice, BlockDeviceStatus, Instance, VmState
from tessera.volume import service as vsvc

router = APIRouter(tags=["volume attachments"])
_R = "os_compute_api:os-volumes-attachments:"
ATTACHABLE = (VmState.ACTIVE, VmState.STOPPED, VmState.RESIZED)
_DEVICE = re.compile(r"^/dev/[a-z]+[a-z]$")


class AttachmentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    volumeId: str
    device: str | None = None
    tag: str | None = None


class AttachBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    volumeAttachment: AttachmentBody


def _server(cloud: CloudAPI, context: Any, server_id: str, action: str) -> Instance:
    from tessera.api.compute.servers import get_server
    return get_server(cloud, context, server_id, _R + action)


def _bdms(cloud: CloudAPI, inst: Instance) -> list[BlockDevice]:
    cell = cloud.router.cell_of_instance(inst.uuid)
    if cell is None or cell.is_cell0:
        return []
    with cloud.router.cell_db(cell, readonly=True) as s:
        return bdm_q.list_bdms(s, inst.uuid)


def attached_volumes(cloud: CloudAPI, instance_uuids: list[str]) -> dict[str, list[str]]:
    """The volume ids of each server (`os-extended-volumes:volumes_attached`): one
    query per compute cell; a cell that does not answer shows none."""
    out: dict[str, list[str]] = {}
    if not instance_uuids:
        return out
    for cell in cloud.router.compute_cells():
        try:
            with cloud.router.cell_db(cell, readonly=True) as s:
                out.update(bdm_q.volume_ids_of(s, instance_uuids))
        except SQLAlchemyError:
            continue
    return out


def _view(inst: Instance, bdm: BlockDevice) -> dict[str, Any]:
    return {"device": bdm.device_name, "id": bdm.volume_id, "serverId": inst.uuid,
            "volumeId": bdm.volume_id}


def _not_attached(server_id: str, volume_id: str) -> errors.NotFound:
    return errors.NotFound("Instance %s is not attached to volume %s"
                           % (server_id, volume_id))


def _check_state(inst: Instance, action: str) -> None:
    if inst.vm_state not in ATTACHABLE or inst.task_state is not None:
        raise errors.Conflict("Cannot '%s' instance %s while it is in vm_state %s"
                              % (action, inst.uuid, inst.vm_state.value) +
                              (" and task_state %s" % inst.task_state.value
                               if inst.task_state else ""))


def next_device(used: set[str]) -> str:
    """The first free `/dev/vdX` after the root disk (`vda`)."""
    for letter in "bcdefghijklmnopqrstuvwxyz":
        name = "/dev/vd" + letter
        if name not in used:
            return name
    raise errors.BadRequest("The server has no free device name left for a volume.")


@router.get("/servers/{server_id}/os-volume_attachments",
            summary="List the volumes attached to a server")
def index(server_id: str, context: Context, cloud: Cloud) -> dict[str, Any]:
    inst = _server(cloud, context, server_id, "index")
    return {"volumeAttachments": [_view(inst, b) for b in _bdms(cloud, inst)]}


@router.get("/servers/{server_id}/os-volume_attachments/{volume_id}",
            summary="Show a volume attached to a server")
def show(server_id: str, volume_id: str, context: Context, cloud: Cloud) -> dict:
    inst = _server(cloud, context, server_id, "show")
    for bdm in _bdms(cloud, inst):
        if bdm.volume_id == volume_id:
            return {"volumeAttachment": _view(inst, bdm)}
    raise _not_attached(server_id, volume_id)


@router.post("/servers/{server_id}/os-volume_attachments",
             summary="Attach a volume to a server")
def attach(server_id: str, body: AttachBody, context: Context, version: RequestVersion,
           cloud: Cloud) -> dict[str, Any]:
    req = body.volumeAttachment
    if req.tag is not None:
        if version < (2, 49):
            raise errors.BadRequest("Invalid input for field/attribute volumeAttachment. "
                                    "Additional properties are not allowed ('tag' was "
                                    "unexpected)")
        raise errors.BadRequest("Tagged volume attachment is not supported for this "
                                "server instance.")
    inst = _server(cloud, context, server_id, "create")
    _check_state(inst, "attach_volume")
    with cloud.router.api(readonly=True) as s:
        try:
            vol = vsvc.get_volume(s, req.volumeId)
        except vsvc.NotFound:
            vol = None
    if vol is None or (vol.project_id != context.project_id and not context.is_admin):
        raise errors.NotFound("Volume %s could not be found." % req.volumeId)
    if vol.multiattach and version < (2, 60):
        raise errors.BadRequest("Multiattach volumes are only supported starting with "
                                "compute API version 2.60.")
    bdms = _bdms(cloud, inst)
    if any(b.volume_id == vol.id for b in bdms):
        raise errors.BadRequest("Invalid volume: volume %s already attached" % vol.id)
    used = {b.device_name for b in bdms if b.device_name} | {"/dev/vda"}
    if req.device is not None:
        if not _DEVICE.match(req.device):
            raise errors.BadRequest("The supplied device path (%s) is invalid."
                                    % req.device)
        if req.device in used:
            raise errors.Conflict("The supplied device path (%s) is in use." % req.device)
    device = req.device or next_device(used)
    with cloud.router.api() as s:
        try:
            att = vsvc.create_attachment(s, vol.id, inst.uuid)
        except vsvc.VolumeServiceError as exc:
            raise errors.BadRequest("Invalid input received: %s (HTTP 400)" % exc) \
                from None
    cell = cloud.router.cell_of_instance(inst.uuid)
    try:
        with cloud.router.cell_db(cell) as s:
            bdm = bdm_q.create_bdm(s, inst.uuid, vol.id, att.id, device,
                                   multiattach=vol.multiattach, volume_size=vol.size)
        ComputeAPI(cloud.router.transport(cell)).attach_volume(
            context, inst.host or "", inst.uuid, att.id)
    except Exception:  # nothing reached the host: undo the mapping and reservation
        with cloud.router.cell_db(cell) as s:
            bdm_q.delete_bdm(s, att.id)
        with cloud.router.api() as s:
            vsvc.delete_attachment(s, att.id)
        raise
    return {"volumeAttachment": _view(inst, bdm)}


@router.delete("/servers/{server_id}/os-volume_attachments/{volume_id}",
               status_code=202, summary="Detach a volume from a server")
def detach(server_id: str, volume_id: str, context: Context, cloud: Cloud) -> Response:
    inst = _server(cloud, context, server_id, "delete")
    _check_state(inst, "detach_volume")
    bdm = next((b for b in _bdms(cloud, inst) if b.volume_id == volume_id), None)
    if bdm is None or bdm.attachment_id is None:
        raise _not_attached(server_id, volume_id)
    cell = cloud.router.cell_of_instance(inst.uuid)
    with cloud.router.cell_db(cell) as s:
        moved = bdm_q.swap_status(s, bdm.attachment_id, BlockDeviceStatus.ATTACHED,
                                  BlockDeviceStatus.DETACHING)
    if not moved:
        raise errors.BadRequest("Invalid volume: Unable to detach volume %s from server "
                                "%s: it is %s." % (volume_id, inst.uuid, bdm.status.value))
    with cloud.router.api() as s:
        vsvc.begin_detaching(s, bdm.attachment_id)
    ComputeAPI(cloud.router.transport(cell)).detach_volume(
        context, inst.host or "", inst.uuid, bdm.attachment_id)
    return Response(status_code=202)
