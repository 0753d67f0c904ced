"""Servers: create (one or `min_count..max_count`), list, detail, show, update, delete
(Nova's `servers.py`). Actions live in `server_actions`, tags in `server_tags`, which
servers a list shows (filters, paging across cells, down cells) in `server_listing`.

Create validates the flavor and image together before anything is stored (a bad
`hw:*` combination is a 400 with the placement core's message), checks the project's
quota, and records a `create` instance action for each server it accepts.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import or_, select
from sqlalchemy.exc import InterfaceError, OperationalError

from tessera.api import Context, RequestVersion, authorize, errors
from tessera.api.compute import instance_actions, limits
from tessera.api.compute import server_listing
from tessera.api.compute._common import Cloud, next_link, translated
from tessera.api.compute.images import resolve_image
from tessera.api.compute.server_schemas import (CreateBody, ServerCreate, UpdateBody,
                                                 check_versioned_fields)
from tessera.api.compute.server_tags import check_tags
from tessera.api.compute.server_views import ServerView, server_status
from tessera.api.compute.volume_attachments import attached_volumes
from tessera import cells
from tessera.cells import UnknownServer
from tessera.compute.api import CloudAPI
from tessera.db import errors as db_errors
from tessera.db.api import server_queries as sq
from tessera.network import boot as network_boot
from tessera.db.api.volume_models import VolumeTypeRow
from tessera.objects import Flavor, ImageMeta, Instance

router = APIRouter(tags=["servers"])
_S = "os_compute_api:servers:"


def _image_of(s: ServerCreate, cloud: Any = None) -> ImageMeta:
    refs = [b for b in s.block_device_mapping_v2 or ()
            if str(b.boot_index) in ("0", "None") or b.boot_index is None]
    for bdm in s.block_device_mapping_v2 or ():
        if bdm.source_type in ("volume", "snapshot") or bdm.destination_type == "volume":
            raise errors.BadRequest("Block device mapping with volumes is not supported: "
                                    "Tessera has no volume service yet.")
    image_bdm = next((b for b in refs if b.source_type == "image" and b.uuid), None)
    ref = s.imageRef or (image_bdm.uuid if image_bdm else None)
    if not ref:
        raise errors.BadRequest("Missing imageRef attribute")
    return resolve_image(ref, cloud)


def _check_image_fits(flavor: Flavor, image: ImageMeta) -> None:
    """Nova's 400s for an image that needs more memory or root disk than the flavor
    has (a flavor with a zero root disk takes any image)."""
    if image.min_ram and flavor.memory_mb < image.min_ram:
        raise errors.BadRequest("Flavor's memory is too small for requested image.")
    disk = flavor.root_gb * 1024 ** 3
    if not disk:
        return
    if image.min_disk and disk < image.min_disk * 1024 ** 3:
        raise errors.BadRequest(
            "Flavor's disk is too small for requested image. Flavor disk is %d bytes, "
            "minimum disk size is %d bytes." % (disk, image.min_disk * 1024 ** 3))
    if image.size and disk < image.size:
        raise errors.BadRequest(
            "Flavor's disk is too small for requested image. Flavor disk is %d bytes, "
            "image is %d bytes." % (disk, image.size))


_METADATA_KEY = re.compile(r"^[a-zA-Z0-9-_:. ]{1,255}$")


def _check_metadata(cloud: CloudAPI, metadata: dict[str, str]) -> None:
    """Nova's metadata schema (keys of 1-255 of `[a-zA-Z0-9-_:. ]`, values of at most
    255 characters: 400), then its quota (more items than allowed: 403)."""
    for key, value in metadata.items():
        if not _METADATA_KEY.match(key) or len(value) > 255:
            raise errors.BadRequest(
                "Invalid input for field/attribute metadata. Value: %s. metadata keys "
                "are 1 to 255 of [a-zA-Z0-9-_:. ], values at most 255 characters"
                % ({key: value},))
    allowed = limits.quotas(cloud)["metadata_items"]
    if 0 <= allowed < len(metadata):
        raise errors.Forbidden("Quota exceeded for metadata_items: Maximum number of "
                               "metadata items exceeds %d" % allowed)


def _access_ips(v4: str | None, v6: str | None) -> dict[str, str | None]:
    """The accessIPv4/accessIPv6 a request gives, checked as Nova's schema does
    (400 for anything but an IPv4 / IPv6 address) in their canonical form; those
    not given are left out."""
    out: dict[str, str | None] = {}
    for key, value, kind, field in (("access_ip_v4", v4, ipaddress.IPv4Address,
                                     "accessIPv4"),
                                    ("access_ip_v6", v6, ipaddress.IPv6Address,
                                     "accessIPv6")):
        if value is None:
            continue
        try:
            canonical = str(kind(value))  # RFC 5952 form, as Nova stores it
        except ValueError:
            raise errors.BadRequest("Invalid input for field/attribute %s. Value: %s. "
                                    "'%s' is not a '%s'" % (field, value, value,
                                                            field[-2:].lower()))
        out[key] = canonical
    return out


def _security_groups_exist(cloud: CloudAPI, context: Any, s: ServerCreate) -> None:
    """Each `security_groups` entry must name a group of the caller's project (the
    project's `default` always exists): 400 otherwise, as Nova answers."""
    names = [g.get("name") for g in s.security_groups or ()]
    if not names:
        return
    from tessera.network import errors as net_errors
    from tessera.network import security_groups as groups

    with cloud.router.api() as session:
        groups.ensure_default(session, context.project_id)
        for name in names:
            try:
                groups.resolve(session, context.project_id, [str(name)])
            except net_errors.SecurityGroupNotFound:
                raise errors.BadRequest("Security group %s not found." % name) from None


def _flavor_of(cloud: CloudAPI, ref: str | int) -> Flavor:
    try:
        flavor = cloud.get_flavor(str(ref))
    except db_errors.FlavorNotFound:
        raise errors.BadRequest("Flavor %s could not be found." % ref) from None
    if flavor.disabled:
        raise errors.BadRequest("Flavor %s is disabled." % ref)
    return flavor


def _trusted_certs(s: ServerCreate) -> tuple[str, ...] | None:
    return tuple(s.trusted_image_certificates) if s.trusted_image_certificates else None


def _volume_types_exist(s: ServerCreate, cloud: CloudAPI) -> None:
    """A `volume_type` of block_device_mapping_v2 (2.67) must name a volume type of
    the block storage service, by id or name; 400 otherwise, as in Nova."""
    wanted = {b.volume_type for b in s.block_device_mapping_v2 or () if b.volume_type}
    if not wanted:
        return
    with cloud.router.api(readonly=True) as session:
        known = session.execute(select(VolumeTypeRow.uuid, VolumeTypeRow.name).where(
            or_(VolumeTypeRow.uuid.in_(wanted), VolumeTypeRow.name.in_(wanted)))).all()
    missing = wanted - {x for row in known for x in row}
    if missing:
        raise errors.BadRequest("Volume type %s could not be found." % sorted(missing)[0])


def _hints(body: CreateBody) -> dict[str, list[str]]:
    raw = body.os_scheduler_hints or body.OS_SCH_HNT_scheduler_hints or {}
    return {k: [str(x) for x in v] if isinstance(v, list) else [str(v)]
            for k, v in raw.items()}


@router.post("/servers", status_code=202, summary="Create one or more servers")
def create(body: CreateBody, request: Request, context: Context, version: RequestVersion,
           cloud: Cloud) -> dict[str, Any]:
    authorize(context, _S + "create")
    s = body.server
    check_versioned_fields(body, version)
    if s.tags is not None:
        check_tags(s.tags)
    count = s.max_count or s.min_count
    if count < s.min_count:
        raise errors.BadRequest("min_count must be <= max_count")
    _volume_types_exist(s, cloud)
    flavor, image = _flavor_of(cloud, s.flavorRef), _image_of(s, cloud)
    _check_image_fits(flavor, image)
    _check_metadata(cloud, s.metadata)
    _security_groups_exist(cloud, context, s)
    if s.key_name is not None:
        try:
            with cloud.router.api() as session:
                sq.get_keypair(session, context.user_id, s.key_name)
        except sq.KeyPairNotFound:
            raise errors.BadRequest("Invalid key_name provided.") from None
    zone = s.availability_zone
    if zone and ":" in zone:
        authorize(context, _S + "create:forced_host")
        raise errors.BadRequest("Forcing a host through availability_zone is not "
                                "supported; use os:scheduler_hints.")
    limits.check_quota(cloud, context.project_id, flavor, count, s.min_count)
    count = limits.allowed_count(cloud, context.project_id, flavor, count, s.min_count)
    nics = network_boot.plan(cloud, context, s.networks, flavor, image, count,
                             s.security_groups)
    made = cloud.create(context, flavor, image, name=s.name, count=count, networks=nics,
                        availability_zone=zone, metadata=s.metadata,
                        scheduler_hints=_hints(body), key_name=s.key_name,
                        trusted_certs=_trusted_certs(s),
                        **_access_ips(s.accessIPv4, s.accessIPv6))
    with cloud.router.api() as session:
        for inst in made:
            if s.description is not None or s.tags:
                sq.save_extra(session, sq.ServerExtra(
                    instance_uuid=inst.uuid, description=s.description,
                    tags=tuple(dict.fromkeys(s.tags or ()))))
    for inst in made:
        instance_actions.record(cloud, context, inst.uuid, "create")
    if s.return_reservation_id:
        return {"reservation_id": "r-" + made[0].uuid[:8]}
    view = ServerView(request, version, context)
    server = view.summary(made[0])
    server.pop("name")
    server.update({"OS-DCF:diskConfig": "MANUAL", "adminPass": s.adminPass or
                   secrets.token_urlsafe(9), "security_groups": [{"name": "default"}]})
    return {"server": server}


@router.get("/servers", summary="List servers")
def index(request: Request, context: Context, version: RequestVersion,
          cloud: Cloud) -> dict[str, Any]:
    servers, more = server_listing.visible(cloud, request, context, False, version)
    view = ServerView(request, version, context)
    body: dict[str, Any] = {"servers": [
        server_listing.unknown_summary(view, i) if isinstance(i, UnknownServer)
        else view.summary(i)
        for i in servers]}
    if more and servers:
        body["servers_links"] = next_link(request, "servers", servers[-1].uuid)
    return body


@router.get("/servers/detail", summary="List servers with details")
def detail(request: Request, context: Context, version: RequestVersion,
           cloud: Cloud) -> dict[str, Any]:
    servers, more = server_listing.visible(cloud, request, context, True, version)
    view = _view(cloud, request, version, context)
    live = [i for i in servers if isinstance(i, Instance)]
    view.volumes = attached_volumes(cloud, [i.uuid for i in live])
    with cloud.router.api() as session:
        extras = sq.get_extras(session, [i.uuid for i in live])
    body: dict[str, Any] = {"servers": [
        server_listing.unknown_detail(view, i) if isinstance(i, UnknownServer) else
        view.detail(i, extras[i.uuid], _fault_if_error(cloud, i)) for i in servers]}
    if more and servers:
        body["servers_links"] = next_link(request, "servers/detail", servers[-1].uuid)
    return body


def _view(cloud: CloudAPI, request: Request, version: Any, context: Any) -> ServerView:
    states: dict[str, str] = {}
    if version >= (2, 16) and context.is_admin:
        states = limits.host_states(cloud)
    return ServerView(request, version, context, states)


def _fault_if_error(cloud: CloudAPI, inst: Instance) -> Any:
    if server_status(inst) not in ("ERROR", "DELETED"):
        return None
    try:
        return cloud.fault(inst.uuid)
    except db_errors.NotFound:
        return None


def get_server(cloud: CloudAPI, context: Any, server_id: str, rule: str) -> Instance:
    """The server, if it exists and `rule` lets the caller act on it (404 if the
    caller may not even see it, as Nova does for other projects' servers)."""
    with translated(server_id):
        inst = cloud.get(server_id)
    if inst.project_id != context.project_id and not context.is_admin:
        raise errors.NotFound("Instance %s could not be found." % server_id)
    authorize(context, rule, {"project_id": inst.project_id, "user_id": inst.user_id})
    return inst


@router.get("/servers/{server_id}", summary="Show a server")
def show(server_id: str, request: Request, context: Context, version: RequestVersion,
         cloud: Cloud) -> dict[str, Any]:
    try:
        inst = get_server(cloud, context, server_id, _S + "show")
    except (OperationalError, InterfaceError):
        # A cell that does not answer: 503 before 2.69, the minimal record from it.
        unknown = cells.unknown_server(cloud.router, server_id) \
            if version >= (2, 69) else None
        if unknown is None:
            raise
        return {"server": server_listing.unknown_show(cloud, request, context, version,
                                                      unknown)}
    with cloud.router.api() as session:
        extra = sq.get_extra(session, inst.uuid)
    view = _view(cloud, request, version, context)
    view.volumes = attached_volumes(cloud, [inst.uuid])
    return {"server": view.detail(inst, extra, _fault_if_error(cloud, inst))}


@router.put("/servers/{server_id}", summary="Update a server's name or description")
def update(server_id: str, body: UpdateBody, request: Request, context: Context,
           version: RequestVersion, cloud: Cloud) -> dict[str, Any]:
    inst = get_server(cloud, context, server_id, _S + "update")
    fields = body.server.model_fields_set
    if "description" in fields and version < (2, 19):
        raise errors.BadRequest("Additional properties are not allowed ('description' "
                                "was unexpected)")
    if "name" in fields and body.server.name is not None:
        with translated(server_id):
            inst = cloud.rename(inst.uuid, body.server.name)
    access = _access_ips(body.server.accessIPv4, body.server.accessIPv6)
    if access:
        with translated(server_id):
            inst = cloud.set_access_ips(inst.uuid, access)
    with cloud.router.api() as session:
        extra = sq.get_extra(session, inst.uuid)
        if "description" in fields:
            extra = sq.save_extra(session, extra.model_copy(
                update={"description": body.server.description}))
    view = _view(cloud, request, version, context)
    return {"server": view.updated(inst, extra, _fault_if_error(cloud, inst))}


@router.delete("/servers/{server_id}", status_code=204, summary="Delete a server")
def delete(server_id: str, context: Context, cloud: Cloud) -> Response:
    inst = get_server(cloud, context, server_id, _S + "delete")
    instance_actions.record(cloud, context, inst.uuid, "delete")
    with translated(server_id):
        cloud.delete(context, inst.uuid)
    return Response(status_code=204)
