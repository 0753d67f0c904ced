"""The Image API v2 subset the `openstack` CLI and SDK use, served at `/image`:
version discovery, create, upload/download (`/file`), show, list with filters and
paging, JSON-patch updates of properties, delete.

Images live in the API database (`images`, revision api004); their data in a
`FileStore` (`store.image_dir_for`: an `images` folder beside the SQLite API
database). The auth middleware covers `/image/v2`
(`tessera.api.app.SERVICE_PREFIXES`): handlers take the caller from its context.
"""

from __future__ import annotations

import json
import uuid as uuidlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy.orm import Session

from tessera.api import errors
from tessera.api.auth import Context
from tessera.api.versions import base_url
from tessera.context import RequestContext
from tessera.image import service as svc
from tessera.image.store import FileStore, image_dir_for

IMAGE_PREFIX = "/image"
PATCH_TYPE = "application/openstack-images-v2.1-json-patch"
MAX_LIMIT = 1000

router = APIRouter(prefix=IMAGE_PREFIX, tags=["images"])


# -- plumbing -------------------------------------------------------------------------

@contextmanager
def _db(request: Request, readonly: bool = False) -> Iterator[Session]:
    with request.app.state.cloud.router.api(readonly=readonly) as session:
        yield session


def image_dir(request: Request) -> Path:
    return image_dir_for(request.app.state.cloud.router.api_db_url)


def _store(request: Request) -> FileStore:
    return FileStore(image_dir(request))


def _who(context: RequestContext) -> tuple[str | None, bool]:
    """(project id, is admin) of the caller, from the context the auth middleware
    made (identity headers are never taken from the client)."""
    return context.project_id, bool(context.is_admin)


def _visible(image: svc.Image, project: str | None, admin: bool) -> bool:
    return admin or image.visibility in ("public", "community") or image.owner == project


def _get(session: Session, context: RequestContext, image_id: str) -> svc.Image:
    try:
        image = svc.get_image(session, image_id)
    except svc.ImageNotFound:
        image = None
    if image is None or not _visible(image, *_who(context)):
        raise errors.NotFound("No image found with ID %s" % image_id)
    return image


def _writable(context: RequestContext, image: svc.Image) -> None:
    project, admin = _who(context)
    if not admin and image.owner != project:
        raise errors.Forbidden("You are not permitted to modify image %s." % image.id)


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _base(request: Request) -> str:
    return base_url(request).split(IMAGE_PREFIX)[0] + IMAGE_PREFIX


def view(image: svc.Image) -> dict[str, Any]:
    return {**image.properties,
            "id": image.id, "name": image.name, "status": image.status,
            "visibility": image.visibility, "owner": image.owner,
            "disk_format": image.disk_format, "container_format": image.container_format,
            "size": image.size, "virtual_size": None, "checksum": image.checksum,
            "os_hash_algo": image.os_hash_algo, "os_hash_value": image.os_hash_value,
            "min_ram": image.min_ram, "min_disk": image.min_disk,
            "protected": image.protected, "os_hidden": False, "tags": [],
            "created_at": _iso(image.created_at), "updated_at": _iso(image.updated_at),
            "self": "/v2/images/%s" % image.id, "file": "/v2/images/%s/file" % image.id,
            "schema": "/v2/schemas/image"}


def _check(fields: dict[str, Any], name: str | None) -> None:
    try:
        svc.validate_fields(fields)
        svc.validate_hw_properties({k: v for k, v in fields.items() if k not in svc.CORE},
                                   name)
    except svc.InvalidImage as exc:
        raise errors.BadRequest(str(exc)) from None


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except ValueError:
        raise errors.BadRequest("Malformed JSON in request body.") from None


# -- versions -----------------------------------------------------------------------

@router.get("/", summary="Image API versions")
@router.get("", include_in_schema=False)
def image_versions(request: Request) -> JSONResponse:
    return JSONResponse({"versions": [{"id": "v2.16", "status": "CURRENT", "links": [
        {"rel": "self", "href": _base(request) + "/v2/"}]}]})


# -- images -----------------------------------------------------------------------

@router.post("/v2/images", status_code=201, summary="Create an image (queued)")
async def create_image(request: Request, context: Context) -> JSONResponse:
    body = await _json(request)
    if not isinstance(body, dict):
        raise errors.BadRequest("The request body must be a JSON object.")
    bad = sorted(set(body) & (svc.READ_ONLY - {"id"}))
    if bad:
        raise errors.Forbidden("Attribute '%s' is read-only." % bad[0])
    image_id = body.pop("id", None) or str(uuidlib.uuid4())
    try:
        image_id = str(uuidlib.UUID(str(image_id)))
    except ValueError:
        raise errors.BadRequest("id must be a UUID") from None
    _check(body, body.get("name"))
    project, _ = _who(context)
    props = {k: v for k, v in body.items() if k not in svc.CORE}
    image = svc.Image(id=image_id, name=body.get("name"), status="queued",
                      visibility=body.get("visibility") or "shared", owner=project,
                      disk_format=body.get("disk_format"),
                      container_format=body.get("container_format"),
                      min_ram=body.get("min_ram") or 0, min_disk=body.get("min_disk") or 0,
                      protected=body.get("protected", False), properties=props)
    with _db(request) as s:
        try:
            svc.get_image(s, image_id)
            raise errors.Conflict("Image with identifier %s already exists!" % image_id)
        except svc.ImageNotFound:
            pass
        made = svc.create_image(s, image)
    return JSONResponse(view(made), status_code=201,
                        headers={"Location": "%s/v2/images/%s" % (_base(request), image_id)})


def _match_id(value: str, image_id: str) -> bool:
    if value.startswith("in:"):
        return image_id in {v.strip().strip('"') for v in value[3:].split(",")}
    return image_id == value


@router.get("/v2/images", summary="List images")
def list_images(request: Request, context: Context) -> dict[str, Any]:
    q = request.query_params
    project, admin = _who(context)
    with _db(request, readonly=True) as s:
        images = [i for i in svc.list_images(s) if _visible(i, project, admin)]
    if "visibility" in q and q["visibility"] != "all":
        images = [i for i in images if i.visibility == q["visibility"]]
    for key in ("name", "status", "disk_format", "container_format", "owner"):
        if key in q:
            wanted = q[key]
            if wanted.startswith("in:"):
                values = {v.strip().strip('"') for v in wanted[3:].split(",")}
                images = [i for i in images if getattr(i, key) in values]
            else:
                images = [i for i in images if getattr(i, key) == wanted]
    if "id" in q:
        images = [i for i in images if _match_id(q["id"], i.id or "")]
    for key, value in q.items():   # custom properties: exact match
        if key not in (*svc.CORE, "limit", "marker", "sort", "sort_key", "sort_dir",
                       "member_status", "tag", "visibility"):
            images = [i for i in images if i.properties.get(key) == value]
    limit = MAX_LIMIT
    if "limit" in q:
        try:
            limit = int(q["limit"])
        except ValueError:
            raise errors.BadRequest("limit param must be an integer") from None
        if limit < 0:
            raise errors.BadRequest("limit param must be positive")
        limit = min(limit, MAX_LIMIT)
    start = 0
    if "marker" in q:
        ids = [i.id for i in images]
        if q["marker"] not in ids:
            raise errors.BadRequest("marker [%s] not found" % q["marker"])
        start = ids.index(q["marker"]) + 1
    chosen = images[start:start + limit]
    out: dict[str, Any] = {"images": [view(i) for i in chosen],
                           "first": "/v2/images", "schema": "/v2/schemas/images"}
    if chosen and start + limit < len(images):
        params = [(k, v) for k, v in q.multi_items() if k != "marker"]
        params.append(("marker", chosen[-1].id or ""))
        from urllib.parse import urlencode
        out["next"] = "/v2/images?" + urlencode(params)
    return out


@router.get("/v2/images/{image_id}", summary="Show an image")
def show_image(image_id: str, request: Request, context: Context) -> dict[str, Any]:
    with _db(request, readonly=True) as s:
        return view(_get(s, context, image_id))


def _apply_patch(image: svc.Image, ops: Any) -> dict[str, Any]:
    """The image's fields after the JSON-patch `ops` (add/replace/remove)."""
    if not isinstance(ops, list):
        raise errors.BadRequest("The JSON-patch body must be a list of operations.")
    core = {"name": image.name, "visibility": image.visibility,
            "disk_format": image.disk_format, "container_format": image.container_format,
            "min_ram": image.min_ram, "min_disk": image.min_disk,
            "protected": image.protected}
    props = dict(image.properties)
    for op in ops:
        if not isinstance(op, dict) or op.get("op") not in ("add", "replace", "remove") \
                or not isinstance(op.get("path"), str):
            raise errors.BadRequest("Invalid JSON-patch operation: %s" % (op,))
        path = op["path"]
        if not path.startswith("/") or path.count("/") != 1:
            raise errors.BadRequest("Invalid JSON pointer for this resource: '%s'" % path)
        key = path[1:].replace("~1", "/").replace("~0", "~")
        if key in svc.READ_ONLY:
            raise errors.Forbidden("Attribute '%s' is read-only." % key)
        if op["op"] == "remove":
            if key in core:
                raise errors.Forbidden("Attribute '%s' is reserved." % key)
            if key not in props:
                raise errors.Conflict("Property %s does not exist." % key)
            del props[key]
            continue
        if "value" not in op:
            raise errors.BadRequest("Operation %s needs a value" % op["op"])
        if op["op"] == "replace" and key not in core and key not in props:
            raise errors.Conflict("Property %s does not exist." % key)
        if key in core:
            core[key] = op["value"]
        else:
            props[key] = op["value"]
    return {**core, **props}


@router.patch("/v2/images/{image_id}", summary="Update an image (JSON-patch)")
async def update_image(image_id: str, request: Request, context: Context) -> dict[str, Any]:
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    if kind != PATCH_TYPE:
        raise errors.UnsupportedMediaType("Unsupported Content-Type %s; use %s"
                                          % (kind or "(none)", PATCH_TYPE))
    ops = await _json(request)
    with _db(request) as s:
        image = _get(s, context, image_id)
        _writable(context, image)
        fields = _apply_patch(image, ops)
        _check(fields, fields.get("name"))
        core = {k: v for k, v in fields.items() if k in svc.CORE}
        props = {k: v for k, v in fields.items() if k not in svc.CORE}
        return view(svc.update_image(s, image_id, properties=props, **core))


@router.delete("/v2/images/{image_id}", status_code=204, summary="Delete an image")
def delete_image(image_id: str, request: Request, context: Context) -> Response:
    with _db(request) as s:
        image = _get(s, context, image_id)
        _writable(context, image)
        if image.protected:
            raise errors.Forbidden("Image %s is protected and cannot be deleted."
                                   % image_id)
        svc.delete_image(s, image_id)
    _store(request).delete(image_id)
    return Response(status_code=204)


# -- data ---------------------------------------------------------------------------

@router.put("/v2/images/{image_id}/file", status_code=204, summary="Upload image data")
async def upload(image_id: str, request: Request, context: Context) -> Response:
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    if kind not in ("application/octet-stream", ""):
        raise errors.UnsupportedMediaType("Unsupported Content-Type %s; use "
                                          "application/octet-stream" % kind)
    with _db(request) as s:
        image = _get(s, context, image_id)
        _writable(context, image)
        if image.status != "queued":
            raise errors.Conflict("Image status transition from %s to saving is not "
                                  "allowed" % image.status)
        svc.update_image(s, image_id, status="saving")
    store = _store(request)
    writer = store.writer(image_id)
    try:
        async for chunk in request.stream():
            writer.write(chunk)
        stored = writer.commit()
    except BaseException:
        writer.abort()
        with _db(request) as s:
            svc.update_image(s, image_id, status="queued")
        raise
    with _db(request) as s:
        try:
            svc.update_image(s, image_id, status="active", size=stored.size,
                             checksum=stored.checksum, os_hash_algo=stored.os_hash_algo,
                             os_hash_value=stored.os_hash_value)
        except svc.ImageNotFound:   # deleted while uploading
            store.delete(image_id)
            raise errors.Conflict("Image %s was deleted during upload."
                                  % image_id) from None
    return Response(status_code=204)


@router.get("/v2/images/{image_id}/file", summary="Download image data")
def download(image_id: str, request: Request, context: Context) -> Response:
    with _db(request, readonly=True) as s:
        image = _get(s, context, image_id)
    store = _store(request)
    if not store.exists(image_id):
        return Response(status_code=204)
    headers = {"Content-Length": str(image.size)} if image.size is not None else {}
    if image.checksum:
        headers["Content-MD5"] = image.checksum
    return StreamingResponse(store.read(image_id), media_type="application/octet-stream",
                             headers=headers)
