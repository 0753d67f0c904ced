"""Queries of the `images` table (revision api004), returning `Image` objects, and
the check of an image's `hw_*` properties with the placement core's rules."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tessera.db._util import utcnow
from tessera.db.api.image_models import ImageRow
from tessera.numa import constraints
from tessera.numa import errors as numa_errors
from tessera.objects import ImageMeta

# The columns of an image; every other top-level key is a custom property.
CORE = ("id", "name", "status", "visibility", "owner", "disk_format",
        "container_format", "size", "checksum", "os_hash_algo", "os_hash_value",
        "min_ram", "min_disk", "protected", "created_at", "updated_at")
READ_ONLY = frozenset({"id", "status", "owner", "size", "checksum", "os_hash_algo",
                       "os_hash_value", "created_at", "updated_at", "self", "file",
                       "schema", "direct_url", "locations", "virtual_size", "tags",
                       "stores", "os_hidden"})
VISIBILITIES = ("public", "private", "shared", "community")
DISK_FORMATS = ("ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi",
                "iso", "ploop")
CONTAINER_FORMATS = ("ami", "ari", "aki", "bare", "ovf", "ova", "docker",
                     "compressed")


class ImageNotFound(LookupError):
    pass


class InvalidImage(ValueError):
    pass


class Image(ImageMeta):
    """An image of the image service (an `ImageMeta` with the service's fields)."""
    visibility: str = "shared"
    owner: str | None = None
    protected: bool = False
    checksum: str | None = None
    os_hash_algo: str | None = None
    os_hash_value: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


# -- hw_* properties --------------------------------------------------------------

# A flavor that allows everything an image may ask for: page sizes left to the image,
# and a size every NUMA node count up to the maximum divides.
_OPEN_FLAVOR = {"name": "image-property-check", "vcpus": 840, "memory_mb": 840 * 128,
                "extra_specs": {"hw:mem_page_size": "any"}}
_LAYOUT = re.compile(r"hw_numa_(cpus|mem)\.\d+")


def validate_hw_properties(properties: dict[str, Any], name: str | None = None) -> None:
    """`InvalidImage` (with the placement core's message) if an `hw_*` property the
    placement core reads has a bad value or contradicts another one."""
    known = {k: v for k, v in properties.items() if k in constraints.KNOWN_IMAGE_KEYS}
    layout = {k: v for k, v in known.items() if _LAYOUT.fullmatch(k)}
    try:
        if layout:  # a manual NUMA layout sizes the guest: check it key by key
            constraints.validate_extra_specs({"hw:" + k[3:]: v for k, v in layout.items()})
            known = {k: v for k, v in known.items()
                     if k not in layout and k != "hw_numa_nodes"}
        if known:
            constraints.build_request(_OPEN_FLAVOR, {"name": name or "image",
                                                     "properties": known})
    except numa_errors.InvalidRequest as exc:
        raise InvalidImage(str(exc)) from None


def validate_fields(fields: dict[str, Any]) -> None:
    if fields.get("visibility") not in (None, *VISIBILITIES):
        raise InvalidImage("Invalid visibility value: %s" % fields["visibility"])
    if fields.get("disk_format") not in (None, *DISK_FORMATS):
        raise InvalidImage("Invalid disk format '%s' for image." % fields["disk_format"])
    if fields.get("container_format") not in (None, *CONTAINER_FORMATS):
        raise InvalidImage("Invalid container format '%s' for image."
                           % fields["container_format"])
    for key in ("min_ram", "min_disk"):
        value = fields.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                  or value < 0):
            raise InvalidImage("%s must be a non-negative integer" % key)
    if "protected" in fields and not isinstance(fields["protected"], bool):
        raise InvalidImage("protected must be a boolean")
    if "name" in fields and fields["name"] is not None and (
            not isinstance(fields["name"], str) or len(fields["name"]) > 255):
        raise InvalidImage("name must be a string of at most 255 characters")
    for key, value in fields.items():
        if key not in CORE and not isinstance(value, str):
            raise InvalidImage("Property %s must be a string" % key)


# -- queries ------------------------------------------------------------------------

def _to_image(row: ImageRow) -> Image:
    return Image(id=row.uuid, name=row.name, status=row.status,
                 visibility=row.visibility, owner=row.owner,
                 disk_format=row.disk_format, container_format=row.container_format,
                 size=row.size, checksum=row.checksum, os_hash_algo=row.os_hash_algo,
                 os_hash_value=row.os_hash_value, min_ram=row.min_ram,
                 min_disk=row.min_disk, protected=row.protected,
                 properties=json.loads(row.properties or "{}"),
                 created_at=row.created_at, updated_at=row.updated_at)


def _row(session: Session, image_id: str) -> ImageRow:
    row = session.scalars(select(ImageRow).where(ImageRow.uuid == image_id)).first()
    if row is None:
        raise ImageNotFound(image_id)
    return row


def create_image(session: Session, image: Image) -> Image:
    now = utcnow()
    row = ImageRow(uuid=image.id, name=image.name, status=image.status,
                   visibility=image.visibility, owner=image.owner,
                   disk_format=image.disk_format, container_format=image.container_format,
                   size=image.size, min_ram=image.min_ram, min_disk=image.min_disk,
                   protected=image.protected, properties=json.dumps(image.properties),
                   created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    return _to_image(row)


def get_image(session: Session, image_id: str) -> Image:
    return _to_image(_row(session, image_id))


def list_images(session: Session, name: str | None = None) -> list[Image]:
    """Every image, newest first; only those called `name` when it is given."""
    query = select(ImageRow)
    if name is not None:
        query = query.where(ImageRow.name == name)
    rows = session.scalars(query.order_by(ImageRow.created_at.desc(), ImageRow.id.desc()))
    return [_to_image(r) for r in rows]


def update_image(session: Session, image_id: str, **fields: Any) -> Image:
    """Set columns (`properties` replaces the custom properties whole)."""
    row = _row(session, image_id)
    for key, value in fields.items():
        if key == "properties":
            row.properties = json.dumps(value)
        else:
            setattr(row, key, value)
    row.updated_at = utcnow()
    session.flush()
    return _to_image(row)


def delete_image(session: Session, image_id: str) -> None:
    session.delete(_row(session, image_id))
    session.flush()
