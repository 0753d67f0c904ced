"""Images until the image service exists (issue 6): a small built-in, read-only list
that the CLI's `--image NAME` lookups and server create can resolve, served as a
minimal Image API v2 (`GET /image/`, `/image/v2/images`, `/image/v2/images/{id}`).

`resolve_image(ref)` accepts a built-in image's id or name, or any other UUID (an
image registered elsewhere; it boots with no properties). Anything else is a 400.
"""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from tessera.api import errors
from tessera.api.versions import base_url
from tessera.objects import ImageMeta

BUILTIN_IMAGES: tuple[ImageMeta, ...] = (
    ImageMeta(id="1b9a0b1e-0c38-4c6e-9a57-6f0d6d1c0001", name="cirros",
              disk_format="qcow2", container_format="bare", size=21430272),
    ImageMeta(id="1b9a0b1e-0c38-4c6e-9a57-6f0d6d1c0002", name="ubuntu-24.04",
              disk_format="qcow2", container_format="bare", size=614989824),
    ImageMeta(id="1b9a0b1e-0c38-4c6e-9a57-6f0d6d1c0003", name="fedora-nfv",
              disk_format="qcow2", container_format="bare", size=514989824,
              properties={"hw_cpu_policy": "dedicated"}),
)
IMAGE_PREFIX = "/image"


def find_builtin(ref: str) -> ImageMeta | None:
    return next((i for i in BUILTIN_IMAGES if ref in (i.id, i.name)), None)


def resolve_image(ref: str) -> ImageMeta:
    """The image a server asks for (400 if `ref` is neither built in nor a UUID)."""
    found = find_builtin(ref)
    if found is not None:
        return found
    try:
        return ImageMeta(id=str(uuidlib.UUID(ref)))
    except ValueError:
        raise errors.BadRequest("Image %s could not be found." % ref) from None


router = APIRouter(prefix=IMAGE_PREFIX, tags=["images (built-in)"])


def _view(image: ImageMeta, request: Request) -> dict[str, Any]:
    base = base_url(request).split(IMAGE_PREFIX)[0] + IMAGE_PREFIX
    return {"id": image.id, "name": image.name, "status": "active",
            "disk_format": image.disk_format, "container_format": image.container_format,
            "size": image.size, "min_ram": image.min_ram, "min_disk": image.min_disk,
            "visibility": "public", "protected": False, "tags": [],
            "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
            "self": "/v2/images/%s" % image.id, "file": "/v2/images/%s/file" % image.id,
            "schema": "/v2/schemas/image", "owner": None,
            "links": [{"rel": "self", "href": "%s/v2/images/%s" % (base, image.id)}],
            **image.properties}


@router.get("/", summary="Image API versions (built-in images)")
@router.get("", include_in_schema=False)
def image_versions(request: Request) -> JSONResponse:
    base = base_url(request).split(IMAGE_PREFIX)[0] + IMAGE_PREFIX
    return JSONResponse({"versions": [{"id": "v2.16", "status": "CURRENT", "links": [
        {"rel": "self", "href": base + "/v2/"}]}]})


@router.get("/v2/images", summary="List the built-in images")
def list_images(request: Request, name: str | None = None, id: str | None = None
                ) -> dict[str, Any]:
    images = list(BUILTIN_IMAGES)
    if name is not None:
        images = [i for i in images if i.name == name]
    if id is not None:
        wanted = set(id[3:].split(",")) if id.startswith("in:") else {id}
        images = [i for i in images if i.id in wanted]
    return {"images": [_view(i, request) for i in images], "first": "/v2/images",
            "schema": "/v2/schemas/images"}


@router.get("/v2/images/{image_id}", summary="Show a built-in image")
def show_image(image_id: str, request: Request) -> dict[str, Any]:
    found = next((i for i in BUILTIN_IMAGES if i.id == image_id), None)
    if found is None:
        raise errors.NotFound("No image found with ID %s" % image_id)
    return _view(found, request)
