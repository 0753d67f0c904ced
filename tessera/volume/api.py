"""The Block Storage API v3 subset the `openstack` CLI and SDK use, served at `/volume`:
version discovery, volume types with extra specs, volumes (create, list, detail with
filters, show, update, delete) and the attachments API (3.27+).

Every route is served as `/volume/v3/...` and, through the auth middleware, as
`/volume/v3/{project_id}/...`. Volumes live in the API database; their data in sparse
files under the data dir (`app.state.volume_dir`, else a `volumes` folder beside the
SQLite API database). Managing volume types is for admins, as in Cinder.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from tessera.api import errors
from tessera.api.auth import Context
from tessera.api.versions import base_url
from tessera.context import RequestContext
from tessera.volume import service as svc
from tessera.volume import types as vtypes
from tessera.volume import views
from tessera.volume.microversion import (HEADER, MAX_VERSION, MIN_VERSION,
                                         VolumeVersion, at_least)
from tessera.volume.store import FileStore, volume_dir

PREFIX = "/volume"
V3 = PREFIX + "/v3"
MAX_LIMIT = 1000
UNSUPPORTED_SOURCES = ("snapshot_id", "source_volid", "imageRef", "backup_id",
                       "consistencygroup_id", "group_id")



class _EchoVersionRoute(APIRoute):
    """Errors echo the negotiated version too (the version dependency sets it on
    successful answers only)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except errors.APIError as exc:
                version = getattr(request.state, "volume_version", None)
                if version is not None:
                    exc.headers.setdefault(HEADER, "volume %s" % (version,))
                    exc.headers.setdefault("Vary", HEADER)
                raise
        return run


router = APIRouter(tags=["volumes"])
v3 = APIRouter(prefix=V3, route_class=_EchoVersionRoute)


# -- plumbing -----------------------------------------------------------------------

@contextmanager
def _db(request: Request, readonly: bool = False) -> Iterator[Session]:
    try:
        with request.app.state.cloud.router.api(readonly=readonly) as session:
            yield session
    except svc.NotFound as exc:
        raise errors.NotFound(str(exc)) from None
    except svc.Conflict as exc:
        raise errors.Conflict(str(exc)) from None
    except (svc.InvalidInput, svc.InvalidVolume) as exc:
        raise errors.BadRequest(str(exc)) from None


def store(request: Request) -> FileStore:
    return FileStore(volume_dir(request.app.state.cloud.router.api_db_url,
                                getattr(request.app.state, "volume_dir", None)))


def _root(request: Request) -> str:
    return base_url(request) + PREFIX


async def _body(request: Request, key: str) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError:
        raise errors.BadRequest("Malformed request body") from None
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise errors.BadRequest("Missing required element '%s' in request body." % key)
    return body[key]


def _accepted(version: Any) -> Response:
    """An empty 202, echoing the version (a returned Response gets no header from the
    version dependency)."""
    return Response(status_code=202, headers={HEADER: "volume %s" % (version,),
                                              "Vary": HEADER})


def _admin_only(context: RequestContext, rule: str) -> None:
    if not context.is_admin:
        raise errors.Forbidden("Policy doesn't allow %s to be performed." % rule)


def _volume(s: Session, context: RequestContext, volume_id: str) -> svc.Volume:
    vol = svc.get_volume(s, volume_id)
    if not context.is_admin and vol.project_id != context.project_id:
        raise errors.NotFound("Volume %s could not be found." % volume_id)
    return vol


def _page(items: list[Any], request: Request) -> list[Any]:
    q = request.query_params
    start = 0
    if "marker" in q:
        ids = [i.id for i in items]
        if q["marker"] not in ids:
            raise errors.NotFound("Marker %s could not be found." % q["marker"])
        start = ids.index(q["marker"]) + 1
    limit = MAX_LIMIT
    if "limit" in q:
        try:
            limit = int(q["limit"])
        except ValueError:
            raise errors.BadRequest("Invalid input received: limit must be an integer") \
                from None
        if limit < 0:
            raise errors.BadRequest("Invalid input received: limit must be >= 0")
    return items[start:start + min(limit, MAX_LIMIT)]


# -- versions -----------------------------------------------------------------------

def _version_doc(request: Request) -> dict[str, Any]:
    return {"id": "v3.0", "status": "CURRENT", "version": str(MAX_VERSION),
            "min_version": str(MIN_VERSION), "updated": "2023-01-01T00:00:00Z",
            "links": [{"rel": "self", "href": _root(request) + "/v3/"}],
            "media-types": [{"base": "application/json",
                             "type": "application/vnd.openstack.volume+json;version=3"}]}


@router.get(PREFIX, summary="Block Storage API versions")
@router.get(PREFIX + "/", include_in_schema=False)
def versions(request: Request) -> dict[str, Any]:
    return {"versions": [_version_doc(request)]}


@router.get(V3, summary="The Block Storage API v3 version document")
@router.get(V3 + "/", include_in_schema=False)
def version_v3(request: Request) -> dict[str, Any]:
    return {"version": _version_doc(request)}


# -- volume types -------------------------------------------------------------------

@v3.get("/types", summary="List volume types")
def list_types(request: Request, context: Context, version: VolumeVersion) -> dict:
    with _db(request, readonly=True) as s:
        types = vtypes.list_types(s, include_private=bool(context.is_admin))
    return {"volume_types": [views.volume_type(t) for t in types]}


@v3.post("/types", summary="Create a volume type (admin)")
async def create_type(request: Request, context: Context, version: VolumeVersion) -> dict:
    _admin_only(context, "volume_extension:types_manage")
    body = await _body(request, "volume_type")
    public = body.get("os-volume-type-access:is_public", body.get("is_public", True))
    if not isinstance(public, bool):
        public = str(public).lower() in ("true", "1", "yes")
    with _db(request) as s:
        vt = vtypes.create_type(s, body.get("name"), body.get("description"), public,
                             body.get("extra_specs") or {})
    return {"volume_type": views.volume_type(vt)}


@v3.get("/types/{type_id}", summary="Show a volume type")
def show_type(type_id: str, request: Request, context: Context,
              version: VolumeVersion) -> dict:
    with _db(request, readonly=True) as s:
        vt = vtypes.get_type(s, vtypes.DEFAULT_TYPE_ID if type_id == "default" else type_id)
    if vt.id != type_id and type_id != "default":
        raise errors.NotFound("Volume type %s could not be found." % type_id)
    return {"volume_type": views.volume_type(vt)}


@v3.put("/types/{type_id}", summary="Update a volume type (admin)")
async def update_type(type_id: str, request: Request, context: Context,
                      version: VolumeVersion) -> dict:
    _admin_only(context, "volume_extension:types_manage")
    body = await _body(request, "volume_type")
    public = body.get("is_public", body.get("os-volume-type-access:is_public"))
    with _db(request) as s:
        vt = vtypes.update_type(s, vtypes.get_type(s, type_id).id, name=body.get("name"),
                             description=body.get("description"), is_public=public)
    return {"volume_type": views.volume_type(vt)}


@v3.delete("/types/{type_id}", status_code=202, summary="Delete a volume type (admin)")
def delete_type(type_id: str, request: Request, context: Context,
                version: VolumeVersion) -> Response:
    _admin_only(context, "volume_extension:types_manage")
    with _db(request) as s:
        vtypes.delete_type(s, vtypes.get_type(s, type_id).id)
    return _accepted(version)


@v3.get("/types/{type_id}/extra_specs", summary="A volume type's extra specs")
def list_specs(type_id: str, request: Request, context: Context,
               version: VolumeVersion) -> dict:
    with _db(request, readonly=True) as s:
        return {"extra_specs": vtypes.get_type(s, type_id).extra_specs}


@v3.post("/types/{type_id}/extra_specs", summary="Set extra specs (admin)")
async def set_specs(type_id: str, request: Request, context: Context,
                    version: VolumeVersion) -> dict:
    _admin_only(context, "volume_extension:types_extra_specs:create")
    specs = await _body(request, "extra_specs")
    with _db(request) as s:
        vt = vtypes.set_extra_specs(s, type_id, specs)
    return {"extra_specs": {k: vt.extra_specs[k] for k in specs}}


@v3.get("/types/{type_id}/extra_specs/{key}", summary="One extra spec")
def show_spec(type_id: str, key: str, request: Request, context: Context,
              version: VolumeVersion) -> dict:
    with _db(request, readonly=True) as s:
        specs = vtypes.get_type(s, type_id).extra_specs
    if key not in specs:
        raise errors.NotFound("Volume Type %s has no extra specs with key %s."
                              % (type_id, key))
    return {key: specs[key]}


@v3.put("/types/{type_id}/extra_specs/{key}", summary="Set one extra spec (admin)")
async def put_spec(type_id: str, key: str, request: Request, context: Context,
                   version: VolumeVersion) -> dict:
    _admin_only(context, "volume_extension:types_extra_specs:update")
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError:
        raise errors.BadRequest("Malformed request body") from None
    if not isinstance(body, dict) or list(body) != [key]:
        raise errors.BadRequest("Request body and URI mismatch")
    with _db(request) as s:
        vt = vtypes.set_extra_specs(s, type_id, body)
    return {key: vt.extra_specs[key]}


@v3.delete("/types/{type_id}/extra_specs/{key}", status_code=202,
           summary="Unset one extra spec (admin)")
def delete_spec(type_id: str, key: str, request: Request, context: Context,
                version: VolumeVersion) -> Response:
    _admin_only(context, "volume_extension:types_extra_specs:delete")
    with _db(request) as s:
        vtypes.unset_extra_spec(s, type_id, key)
    return _accepted(version)


# -- volumes --------------------------------------------------------------------------

@v3.post("/volumes", status_code=202, summary="Create a volume")
async def create_volume(request: Request, context: Context,
                        version: VolumeVersion) -> dict:
    body = await _body(request, "volume")
    for key in UNSUPPORTED_SOURCES:
        if body.get(key):
            raise errors.BadRequest("Invalid input received: creating a volume from %s "
                                    "is not supported here; create an empty volume."
                                    % key)
    if "size" not in body or body["size"] is None:
        raise errors.BadRequest("Invalid input received: size is required")
    multiattach = body.get("multiattach", False)
    with _db(request) as s:
        vol = svc.create_volume(
            s, project_id=context.project_id or "", user_id=context.user_id,
            size=body["size"], name=body.get("name") or body.get("display_name"),
            description=body.get("description") or body.get("display_description"),
            volume_type=body.get("volume_type"),
            availability_zone=body.get("availability_zone"),
            metadata=body.get("metadata"), multiattach=multiattach is True)
    try:
        store(request).create(vol.id, vol.size)
        final = "available"
    except OSError:
        final = "error"
    with _db(request) as s:
        svc.set_status(s, vol.id, final, ("creating",))
        vol = svc.get_volume(s, vol.id)
    return {"volume": views.volume_detail(vol, _root(request), version,
                                          bool(context.is_admin))}


def _filtered(request: Request, context: RequestContext) -> list[svc.Volume]:
    q = request.query_params
    everyone = context.is_admin and q.get("all_tenants", "0").lower() in ("1", "true")
    project = None if everyone else context.project_id
    if context.is_admin and q.get("project_id"):
        project = q["project_id"]
    with _db(request, readonly=True) as s:
        vols = svc.list_volumes(s, project_id=project)
    for key in ("name", "status"):
        if key in q:
            vols = [v for v in vols if getattr(v, key) == q[key]]
    return _page(vols, request)


@v3.get("/volumes", summary="List volumes (id, name, links)")
def list_volumes(request: Request, context: Context, version: VolumeVersion) -> dict:
    root = _root(request)
    return {"volumes": [views.volume_summary(v, root)
                        for v in _filtered(request, context)]}


@v3.get("/volumes/detail", summary="List volumes with details")
def list_volumes_detail(request: Request, context: Context,
                        version: VolumeVersion) -> dict:
    root = _root(request)
    return {"volumes": [views.volume_detail(v, root, version, bool(context.is_admin))
                        for v in _filtered(request, context)]}


@v3.get("/volumes/{volume_id}", summary="Show a volume")
def show_volume(volume_id: str, request: Request, context: Context,
                version: VolumeVersion) -> dict:
    with _db(request, readonly=True) as s:
        vol = _volume(s, context, volume_id)
    return {"volume": views.volume_detail(vol, _root(request), version,
                                          bool(context.is_admin))}


@v3.put("/volumes/{volume_id}", summary="Update a volume's name, description, metadata")
async def update_volume(volume_id: str, request: Request, context: Context,
                        version: VolumeVersion) -> dict:
    body = await _body(request, "volume")
    fields = {k: body[k] for k in ("name", "description", "metadata") if k in body}
    for old, new in (("display_name", "name"), ("display_description", "description")):
        if old in body:
            fields[new] = body[old]
    with _db(request) as s:
        _volume(s, context, volume_id)
        vol = svc.update_volume(s, volume_id, **fields)
    return {"volume": views.volume_detail(vol, _root(request), version,
                                          bool(context.is_admin))}


@v3.delete("/volumes/{volume_id}", status_code=202, summary="Delete a volume")
def delete_volume(volume_id: str, request: Request, context: Context,
                  version: VolumeVersion) -> Response:
    with _db(request) as s:
        _volume(s, context, volume_id)
        svc.begin_delete(s, volume_id)
    try:
        store(request).delete(volume_id)
    except OSError:
        with _db(request) as s:
            svc.set_status(s, volume_id, "error_deleting", ("deleting",))
        raise errors.APIError("The data of volume %s could not be removed." % volume_id) \
            from None
    with _db(request) as s:
        svc.destroy_volume(s, volume_id)
    return _accepted(version)


@v3.post("/volumes/{volume_id}/action", status_code=202,
         summary="os-extend (grow an available volume), os-reset_status (admin)")
async def volume_action(volume_id: str, request: Request, context: Context,
                        version: VolumeVersion) -> Response:
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError:
        raise errors.BadRequest("Malformed request body") from None
    if not isinstance(body, dict) or len(body) != 1:
        raise errors.BadRequest("There is no such action: %s" % (body,))
    (action, args), = body.items()
    if action == "os-extend":
        return _extend(request, context, volume_id, args, version)
    if action != "os-reset_status":
        raise errors.BadRequest("There is no such action: %s" % action)
    _admin_only(context, "volume_extension:volume_admin_actions:reset_status")
    status = (args or {}).get("status") if isinstance(args, dict) else None
    if status not in ("available", "error", "in-use", "error_deleting"):
        raise errors.BadRequest("Invalid input received: Must specify a valid status")
    with _db(request) as s:
        _volume(s, context, volume_id)
        svc.set_status(s, volume_id, status)
    return _accepted(version)


def _extend(request: Request, context: RequestContext, volume_id: str, args: Any,
            version: Any) -> Response:
    """`os-extend {"new_size": N}`: an available volume grows to N GiB."""
    if not isinstance(args, dict) or "new_size" not in args:
        raise errors.BadRequest("Invalid input received: new_size is required")
    with _db(request) as s:
        _volume(s, context, volume_id)
        size = svc.begin_extend(s, volume_id, args["new_size"])
    try:
        store(request).extend(volume_id, size)
    except OSError:
        with _db(request) as s:
            svc.set_status(s, volume_id, "error_extending", ("extending",))
        raise errors.APIError("Volume %s could not be extended." % volume_id) from None
    with _db(request) as s:
        svc.finish_extend(s, volume_id, size)
    return _accepted(version)


# -- attachments (3.27+) ------------------------------------------------------------

def _attachment(s: Session, context: RequestContext, attachment_id: str
                ) -> svc.Attachment:
    att = svc.get_attachment(s, attachment_id)
    _volume(s, context, att.volume_id)
    return att


@v3.post("/attachments", summary="Reserve a volume for a server (3.27)",
         dependencies=[at_least("3.27")])
async def create_attachment(request: Request, context: Context,
                            version: VolumeVersion) -> dict:
    body = await _body(request, "attachment")
    volume_id = body.get("volume_uuid")
    if not isinstance(volume_id, str):
        raise errors.BadRequest("Invalid input received: volume_uuid is required")
    mode = body.get("mode") or "rw"
    if version < (3, 54) and "mode" in body:
        raise errors.BadRequest("Invalid input received: mode needs microversion 3.54")
    with _db(request) as s:
        _volume(s, context, volume_id)
        att = svc.create_attachment(s, volume_id, body.get("instance_uuid"),
                                    body.get("connector"), mode,
                                    str(store(request).path(volume_id)))
    return {"attachment": views.attachment_detail(att)}


@v3.get("/attachments", summary="List attachments", dependencies=[at_least("3.27")])
def list_attachments(request: Request, context: Context, version: VolumeVersion) -> dict:
    return {"attachments": [views.attachment_summary(a)
                            for a in _attachments(request, context)]}


@v3.get("/attachments/detail", summary="List attachments with details",
        dependencies=[at_least("3.27")])
def list_attachments_detail(request: Request, context: Context,
                            version: VolumeVersion) -> dict:
    return {"attachments": [views.attachment_detail(a)
                            for a in _attachments(request, context)]}


def _attachments(request: Request, context: RequestContext) -> list[svc.Attachment]:
    q = request.query_params
    everyone = context.is_admin and q.get("all_tenants", "0").lower() in ("1", "true")
    with _db(request, readonly=True) as s:
        return svc.list_attachments(s, None if everyone else context.project_id,
                                    volume_id=q.get("volume_id"),
                                    instance_uuid=q.get("instance_id"))


@v3.get("/attachments/{attachment_id}", summary="Show an attachment",
        dependencies=[at_least("3.27")])
def show_attachment(attachment_id: str, request: Request, context: Context,
                    version: VolumeVersion) -> dict:
    with _db(request, readonly=True) as s:
        return {"attachment": views.attachment_detail(_attachment(s, context,
                                                                  attachment_id))}


@v3.put("/attachments/{attachment_id}", summary="Connect an attachment to a host",
        dependencies=[at_least("3.27")])
async def update_attachment(attachment_id: str, request: Request, context: Context,
                            version: VolumeVersion) -> dict:
    body = await _body(request, "attachment")
    if "connector" not in body:
        raise errors.BadRequest("Invalid input received: connector is required")
    with _db(request) as s:
        att = _attachment(s, context, attachment_id)
        att = svc.update_attachment(s, attachment_id, body["connector"],
                                    str(store(request).path(att.volume_id)))
    return {"attachment": views.attachment_detail(att)}


@v3.post("/attachments/{attachment_id}/action", status_code=204,
         summary="os-complete: the host uses the volume (3.44)",
         dependencies=[at_least("3.44")])
async def attachment_action(attachment_id: str, request: Request, context: Context,
                            version: VolumeVersion) -> Response:
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError:
        raise errors.BadRequest("Malformed request body") from None
    if not isinstance(body, dict) or list(body) != ["os-complete"]:
        raise errors.BadRequest("There is no such action: %s" % (body,))
    with _db(request) as s:
        _attachment(s, context, attachment_id)
        svc.complete_attachment(s, attachment_id)
    return Response(status_code=204)


@v3.delete("/attachments/{attachment_id}", summary="Delete an attachment",
           dependencies=[at_least("3.27")])
def delete_attachment(attachment_id: str, request: Request, context: Context,
                      version: VolumeVersion) -> dict:
    with _db(request) as s:
        _attachment(s, context, attachment_id)
        vol = svc.delete_attachment(s, attachment_id)
    return {"attachments": [views.attachment_summary(a) for a in vol.attachments]}


router.include_router(v3)
