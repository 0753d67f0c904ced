"""Images for the compute API: the built-in images (also seeded as records of the
image service, `tessera.image`, which this module's `router` serves at /image).

`resolve_image(ref)` accepts a built-in image's id or name, or any other UUID (an
image registered elsewhere; it boots with no properties). Anything else is a 400.
"""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from tessera.api import errors
from tessera.image import api as _image_api
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


def resolve_image(ref: str, cloud: Any = None) -> ImageMeta:
    """The image a server asks for: a stored image of the image service (by id, or by
    name when one image has it), with the properties that steer placement; without a
    cloud or a stored match, a built-in image or any other UUID (400 otherwise)."""
    if cloud is not None:
        stored = _stored_image(cloud, ref)
        if stored is not None:
            return stored
    found = find_builtin(ref)
    if found is not None:
        return found
    try:
        return ImageMeta(id=str(uuidlib.UUID(ref)))
    except ValueError:
        raise errors.BadRequest("Image %s could not be found." % ref) from None


def _stored_image(cloud: Any, ref: str) -> ImageMeta | None:
    from tessera.image import service as image_service

    with cloud.router.api(readonly=True) as session:
        try:
            image = image_service.get_image(session, ref)
        except image_service.ImageNotFound:
            named = image_service.list_images(session, name=ref)
            if len(named) != 1:
                return None
            image = named[0]
    if image.status != "active":
        raise errors.BadRequest("Image %s is not active." % ref)
    return ImageMeta(**{f: getattr(image, f) for f in ImageMeta.model_fields})


# The image service (tessera.image) serves /image; the built-in images above are
# seeded into its database by revision api004.
router = _image_api.router
