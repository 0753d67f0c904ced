"""The `rebuild` server action: the server gets a new image (and optionally a new
name, metadata, access IPs, key pair, user data) on the host and in the placement it
has; the response is the server as Nova shows it after a rebuild, status REBUILD.

Fields by microversion, as Nova's schema: `personality` before 2.57, `description`
from 2.19, `key_name` from 2.54 (null removes it), `user_data` from 2.57,
`trusted_image_certificates` from 2.63. An image whose `hw_*` properties differ from
the server's current image would need a new placement: that is refused (400).
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tessera.api import errors
from tessera.api.compute import servers as server_api
from tessera.api.compute._common import translated
from tessera.api.compute.images import resolve_image
from tessera.compute.api import CloudAPI
from tessera.db.api import server_queries as sq
from tessera.objects import ImageMeta, Instance


class RebuildArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    imageRef: str = Field(min_length=1)
    name: str | None = Field(default=None, min_length=1, max_length=255)
    adminPass: str | None = None
    metadata: dict[str, str] | None = None
    accessIPv4: str | None = None
    accessIPv6: str | None = None
    preserve_ephemeral: bool = False
    personality: list[dict[str, str]] | None = None
    description: str | None = Field(default=None, max_length=255)
    key_name: str | None = Field(default=None, max_length=255)
    user_data: str | None = Field(default=None, max_length=65535)
    trusted_image_certificates: list[str] | None = None
    OS_DCF_diskConfig: str | None = Field(default=None, alias="OS-DCF:diskConfig")


# field -> (first, last) microversion it is accepted in
_VERSIONED = {"personality": ((2, 1), (2, 56)), "description": ((2, 19), None),
              "key_name": ((2, 54), None), "user_data": ((2, 57), None),
              "trusted_image_certificates": ((2, 63), None)}


def parse(args: Any, version: Any) -> RebuildArgs:
    """The rebuild body, checked (400 with Nova's wording for a field the requested
    microversion does not have)."""
    if not isinstance(args, dict):
        raise errors.BadRequest("Invalid input for field/attribute rebuild. Value: %s. "
                                "%r is not of type 'object'" % (args, args))
    for name, (low, high) in _VERSIONED.items():
        if name in args and (version < low or (high is not None and version > high)):
            raise errors.BadRequest("Invalid input for field/attribute rebuild. "
                                    "Additional properties are not allowed ('%s' was "
                                    "unexpected)" % name)
    try:
        return RebuildArgs.model_validate(args)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise errors.BadRequest("Invalid input for field/attribute %s. %s" % (
            ".".join(str(p) for p in first["loc"]) or "rebuild", first["msg"])) from None


def _placement_properties(image: ImageMeta) -> dict[str, Any]:
    return {k: v for k, v in image.properties.items() if k.startswith("hw_")}


def _image(cloud: CloudAPI, inst: Instance, ref: str) -> ImageMeta:
    try:
        image = resolve_image(ref, cloud)
    except errors.BadRequest:
        raise errors.BadRequest("Invalid imageRef provided.") from None
    if _placement_properties(image) != _placement_properties(inst.image):
        raise errors.BadRequest(
            "Image %s has other hw_ properties than the server's image: rebuilding "
            "into a new placement is not supported." % ref)
    server_api._check_image_fits(inst.flavor, image)
    return image


def rebuild(cloud: CloudAPI, request: Request, context: Any, version: Any,
            inst: Instance, args: Any) -> dict[str, Any]:
    """Start the rebuild and answer with the server (202 body)."""
    a = parse(args, version)
    image = _image(cloud, inst, a.imageRef)
    updates: dict[str, Any] = {"image": image}
    if a.name is not None:
        updates["display_name"] = a.name
    if a.metadata is not None:
        server_api._check_metadata(cloud, a.metadata)
        updates["metadata"] = dict(a.metadata)
    updates.update(server_api._access_ips(a.accessIPv4, a.accessIPv6))
    fields = a.model_fields_set
    if "key_name" in fields:
        if a.key_name is not None:
            try:
                with cloud.router.api() as session:
                    sq.get_keypair(session, context.user_id, a.key_name)
            except sq.KeyPairNotFound:
                raise errors.BadRequest("Invalid key_name provided.") from None
        updates["key_name"] = a.key_name
    if "user_data" in fields:
        updates["user_data"] = a.user_data
    if "trusted_image_certificates" in fields:
        certs = a.trusted_image_certificates
        updates["trusted_certs"] = tuple(certs) if certs else None
    with translated(inst.uuid):
        inst = cloud.rebuild(context, inst.uuid, updates)
    with cloud.router.api() as session:
        extra = sq.get_extra(session, inst.uuid)
        if "description" in fields:
            extra = sq.save_extra(session, extra.model_copy(
                update={"description": a.description}))
    view = server_api._view(cloud, request, version, context)
    server = view.updated(inst, extra)
    if version >= (2, 54):
        server["key_name"] = inst.key_name
    if version >= (2, 57):
        server["user_data"] = inst.user_data
    server["adminPass"] = a.adminPass or secrets.token_urlsafe(9)
    return {"server": server}
