"""Server snapshots, the API side of `createImage`: check the request, create the
queued image at once with what it inherits from the server's image (Nova's rules),
mark the server `image_snapshot` and ask its compute host to take the snapshot
(`snapshot_instance`). The compute side (`tessera.compute.snapshot`, with the
image store's `tessera.image.sink.StoreSink`) fills the image or deletes it.

Nova's semantics: a snapshot is allowed when the server is ACTIVE or STOPPED with no
task (409 otherwise); it does not count against any quota; before microversion 2.45
the answer is 202 with the image's URL in `Location`, from 2.45 a body
`{"image_id": ...}`.
"""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from tessera.api import errors
from tessera.api.versions import base_url
from tessera.compute.rpcapi import ComputeAPI
from tessera.context import RequestContext
from tessera.db import errors as db_errors
from tessera.db.cell import instances as inst_q
from tessera.image import service as svc
from tessera.objects import Instance, TaskState, VmState

ALLOWED_STATES = (VmState.ACTIVE, VmState.STOPPED)
BODY_FROM = (2, 45)  # `{"image_id": ...}` instead of a Location header
MAX_META = 255

# Never copied from the server's image into its snapshot (Nova's defaults).
NON_INHERITABLE = frozenset({"img_signature", "img_signature_hash_method",
                             "img_signature_key_type", "img_signature_certificate_uuid",
                             "cache_in_nova", "bittorrent"})
NON_INHERITABLE_PREFIXES = ("os_glance",)
# Set by the snapshot itself; the source image's values do not carry over.
OWN_KEYS = ("instance_uuid", "base_image_ref", "image_type", "user_id",
            "instance_owner")


def parse_args(args: Any) -> tuple[str, dict[str, str]]:
    """The `name` and `metadata` of a createImage body (400 when malformed)."""
    if not isinstance(args, dict) or set(args) - {"name", "metadata"}:
        raise errors.BadRequest("Invalid input for field/attribute createImage. Value: "
                                "%s. Only 'name' and 'metadata' are allowed" % (args,))
    name = args.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 255 \
            or name != name.strip():
        raise errors.BadRequest("Invalid input for field/attribute name. Value: %s. "
                                "It must be a non-empty string of at most 255 "
                                "characters without leading or trailing whitespace"
                                % (name,))
    metadata = args.get("metadata", {})
    if not isinstance(metadata, dict):
        raise errors.BadRequest("Invalid input for field/attribute metadata. Value: %s. "
                                "%r is not of type 'object'" % (metadata, metadata))
    for key, value in metadata.items():
        if key in svc.CORE or key in svc.READ_ONLY:
            raise errors.BadRequest("Invalid input for field/attribute metadata: "
                                    "'%s' is an attribute of the image, not a "
                                    "property" % key)
        if not 1 <= len(key) <= MAX_META or not isinstance(value, str) \
                or len(value) > MAX_META:
            raise errors.BadRequest("Invalid input for field/attribute metadata. Value: "
                                    "%s. Keys and values must be strings of at most %d "
                                    "characters" % ({key: value}, MAX_META))
    return name, dict(metadata)


def snapshot_image(inst: Instance, context: RequestContext, name: str,
                   metadata: dict[str, str]) -> svc.Image:
    """The queued image a snapshot of `inst` starts as: the server image's properties
    (less the non-inheritable ones), min_ram/min_disk, `base_image_ref`,
    `instance_uuid`, `image_type=snapshot` and `user_id`, then the request's
    metadata. Private to the caller's project; `shared` with an `instance_owner`
    when the caller is not the server's project. Disk and container formats are
    left to the upload (the snapshot's format may differ from the source's)."""
    source = inst.image
    props = {k: v for k, v in source.properties.items()
             if k not in NON_INHERITABLE and k not in OWN_KEYS
             and not k.startswith(NON_INHERITABLE_PREFIXES)}
    props.update(instance_uuid=inst.uuid, base_image_ref=source.id or "",
                 image_type="snapshot", user_id=str(context.user_id))
    visibility = "private"
    if context.project_id != inst.project_id:
        visibility = "shared"
        props["instance_owner"] = str(inst.project_id)
    props.update(metadata)
    return svc.Image(id=str(uuidlib.uuid4()), name=name, status="queued",
                     visibility=visibility, owner=context.project_id,
                     min_ram=source.min_ram, min_disk=source.min_disk,
                     properties={k: str(v) for k, v in props.items()})


def reserve(cloud: Any, inst: Instance, image: svc.Image) -> None:
    """Store the queued image and move the server to `image_snapshot` (only from no
    task: a concurrent action wins and the image is removed, a 409)."""
    try:
        svc.validate_fields(image.properties)
        svc.validate_hw_properties(image.properties, image.name)
    except svc.InvalidImage as exc:
        raise errors.BadRequest(str(exc)) from None
    cell = cloud.router.cell_of_instance(inst.uuid)
    if cell is None or not inst.host:
        raise errors.Conflict("Cannot 'createImage' instance %s: it is not on a host"
                              % inst.uuid)
    with cloud.router.api() as s:
        svc.create_image(s, image)
    refused = None
    with cloud.router.cell_db(cell) as s:
        current = inst_q.get_instance(s, inst.uuid)
        if current.vm_state not in ALLOWED_STATES:
            refused = "it is %s" % current.vm_state.value
        else:
            try:
                inst_q.save_instance(s, current.model_copy(update={
                    "task_state": TaskState.IMAGE_SNAPSHOT}), expected_task_state=None)
            except db_errors.UnexpectedTaskState as exc:
                refused = str(exc)
    if refused is not None:
        with cloud.router.api() as s:
            svc.delete_image(s, image.id or "")
        raise errors.Conflict("Cannot 'createImage' instance %s: %s"
                              % (inst.uuid, refused))


def start(cloud: Any, context: RequestContext, inst: Instance, image: svc.Image) -> None:
    """Ask the server's host to take the snapshot `reserve` made room for."""
    cell = cloud.router.cell_of_instance(inst.uuid)
    ComputeAPI(cloud.router.transport(cell)).snapshot_instance(
        context, inst.host or "", inst.uuid, image.id or "")


def accepted(request: Request, version: Any, image_id: str) -> Response:
    """The createImage answer of this microversion."""
    if version >= BODY_FROM:
        return JSONResponse({"image_id": image_id}, status_code=202)
    return Response(status_code=202, headers={
        "Location": "%s/image/v2/images/%s" % (base_url(request), image_id)})
