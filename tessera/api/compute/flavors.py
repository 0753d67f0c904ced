"""Flavors: list, detail, show (by flavor id only: a name is a 404, so the CLI falls
back to listing), and for admins create, update (description, 2.55+) and delete.

Fields by version: `description` from 2.55, `extra_specs` from 2.61 (where the
`os-flavor-extra-specs:index` policy allows), as Tempest's schemas expect.
"""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from tessera.api import Context, RequestVersion, api_version, authorize, errors, policy
from tessera.api.compute._common import Cloud, links, next_link, page, parse_limit, translated
from tessera.api.compute.extra_specs import NOVA_OTHER_HW_KEYS
from tessera.db import errors as db_errors
from tessera.objects import Flavor

router = APIRouter(tags=["flavors"])
_M = "os_compute_api:os-flavor-manage:"


class FlavorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    name: str = Field(min_length=1, max_length=255)
    id: str | int | None = Field(default=None, union_mode="left_to_right")
    ram: int = Field(ge=1)
    vcpus: int = Field(ge=1)
    disk: int = Field(ge=0)
    ephemeral: int = Field(default=0, ge=0, alias="OS-FLV-EXT-DATA:ephemeral")
    swap: int = Field(default=0, ge=0)
    rxtx_factor: float = Field(default=1.0, gt=0)
    is_public: bool = Field(default=True, alias="os-flavor-access:is_public")
    description: str | None = Field(default=None, max_length=65535)


class CreateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    flavor: FlavorCreate


class FlavorUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str | None = Field(max_length=65535)


class UpdateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    flavor: FlavorUpdate


def view(flavor: Flavor, request: Request, version: Any, context: Any, detail: bool = True
         ) -> dict[str, Any]:
    body: dict[str, Any] = {"id": flavor.flavorid, "name": flavor.name,
                            "links": links(request, "flavors", flavor.flavorid)}
    if detail:
        body.update({"ram": flavor.memory_mb, "disk": flavor.root_gb,
                     "vcpus": flavor.vcpus,
                     "OS-FLV-EXT-DATA:ephemeral": flavor.ephemeral_gb,
                     "OS-FLV-DISABLED:disabled": flavor.disabled,
                     "swap": flavor.swap or "", "rxtx_factor": flavor.rxtx_factor,
                     "os-flavor-access:is_public": flavor.is_public})
    if version >= (2, 55):
        body["description"] = flavor.description
    if detail and version >= (2, 61):
        try:
            authorize(context, "os_compute_api:os-flavor-extra-specs:index")
            body["extra_specs"] = dict(flavor.extra_specs)
        except policy.PolicyNotAuthorized:
            pass
    return body


def _listing(request: Request, context: Any, cloud: Any) -> tuple[list[Flavor], bool]:
    q = request.query_params
    is_public: bool | None = True
    raw = q.get("is_public")
    if context.is_admin:
        is_public = None if raw is None or raw.lower() in ("none", "") else \
            raw.lower() in ("true", "t", "1", "yes", "y", "on")
    try:
        min_ram = int(q["minRam"]) if "minRam" in q else None
        min_disk = int(q["minDisk"]) if "minDisk" in q else None
    except ValueError:
        raise errors.BadRequest("Invalid minRam or minDisk filter") from None
    flavors = cloud.list_flavors(is_public=is_public, min_memory_mb=min_ram,
                                 min_root_gb=min_disk)
    return page(flavors, lambda f: f.flavorid, q.get("marker"), parse_limit(q.get("limit")))


@router.get("/flavors", summary="List flavors")
def index(request: Request, context: Context, version: RequestVersion, cloud: Cloud
          ) -> dict[str, Any]:
    flavors, more = _listing(request, context, cloud)
    body: dict[str, Any] = {"flavors": [view(f, request, version, context, False)
                                        for f in flavors]}
    if more and flavors:
        body["flavors_links"] = next_link(request, "flavors", flavors[-1].flavorid)
    return body


@router.get("/flavors/detail", summary="List flavors with details")
def detail(request: Request, context: Context, version: RequestVersion, cloud: Cloud
           ) -> dict[str, Any]:
    flavors, more = _listing(request, context, cloud)
    body: dict[str, Any] = {"flavors": [view(f, request, version, context)
                                        for f in flavors]}
    if more and flavors:
        body["flavors_links"] = next_link(request, "flavors/detail", flavors[-1].flavorid)
    return body


@router.get("/flavors/{flavor_id}", summary="Show a flavor (by id; 404 for a name)")
def show(flavor_id: str, request: Request, context: Context, version: RequestVersion,
         cloud: Cloud) -> dict[str, Any]:
    try:
        flavor = cloud.get_flavor(flavor_id)
    except db_errors.FlavorNotFound:
        raise errors.NotFound("Flavor %s could not be found." % flavor_id) from None
    return {"flavor": view(flavor, request, version, context)}


@router.post("/flavors", summary="Create a flavor (admin)")
def create(body: CreateBody, request: Request, context: Context, version: RequestVersion,
           cloud: Cloud) -> dict[str, Any]:
    authorize(context, _M + "create")
    f = body.flavor
    if f.description is not None and version < (2, 55):
        raise errors.BadRequest("Additional properties are not allowed ('description' "
                                "was unexpected)")
    flavorid = "" if f.id is None else str(f.id)  # Tempest sends integer ids
    if len(flavorid) > 255:
        raise errors.BadRequest("Invalid input for field/attribute id. Value: %s. "
                                "is too long" % flavorid)
    flavor = Flavor(flavorid=flavorid or str(uuidlib.uuid4()), name=f.name.strip(),
                    vcpus=f.vcpus, memory_mb=f.ram, root_gb=f.disk,
                    ephemeral_gb=f.ephemeral, swap=f.swap, rxtx_factor=f.rxtx_factor,
                    is_public=f.is_public, description=f.description)
    try:
        created = cloud.create_flavor(flavor)
    except db_errors.FlavorExists:
        raise errors.Conflict("Flavor with ID %s or name %s already exists."
                              % (flavor.flavorid, flavor.name)) from None
    return {"flavor": view(created, request, version, context)}


@router.put("/flavors/{flavor_id}", dependencies=[api_version("2.55")],
            summary="Update a flavor's description (admin, 2.55+)")
def update(flavor_id: str, body: UpdateBody, request: Request, context: Context,
           version: RequestVersion, cloud: Cloud) -> dict[str, Any]:
    authorize(context, _M + "update")
    with translated(flavor_id):
        flavor = cloud.update_flavor_description(flavor_id, body.flavor.description)
    return {"flavor": view(flavor, request, version, context)}


@router.delete("/flavors/{flavor_id}", status_code=202, summary="Delete a flavor (admin)")
def delete(flavor_id: str, context: Context, cloud: Cloud) -> Response:
    authorize(context, _M + "delete")
    try:
        cloud.delete_flavor(flavor_id)
    except db_errors.FlavorNotFound:
        raise errors.NotFound("Flavor %s could not be found." % flavor_id) from None
    return Response(status_code=202)


__all__ = ["NOVA_OTHER_HW_KEYS", "router", "view"]
