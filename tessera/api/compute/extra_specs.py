"""Flavor extra specs (`/flavors/{id}/os-extra_specs`): index, show, create, update,
delete. Writes are validated before they are stored: each `hw:` key on its own with
the placement core's rules (`validate_extra_specs`; Nova's other `hw:` keys, which
Tessera does not act on, are accepted), then the flavor as a whole request. A bad
spec is a 400 with the placement core's message."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Body, Response

from tessera.api import Context, authorize, errors
from tessera.api.compute._common import Cloud, translated
from tessera.db import errors as db_errors

router = APIRouter(tags=["flavor extra specs"])
_R = "os_compute_api:os-flavor-extra-specs:"

# Nova's hw: extra specs (nova/api/validation/extra_specs/hw.py) that the placement
# core does not model: accepted and stored, so real flavors import unchanged.
NOVA_OTHER_HW_KEYS: frozenset[str] = frozenset({
    "hw:cpu_sockets", "hw:cpu_cores", "hw:cpu_threads", "hw:cpu_max_sockets",
    "hw:cpu_max_cores", "hw:cpu_max_threads", "hw:hide_hypervisor_id",
    "hw:locked_memory", "hw:boot_menu", "hw:vif_multiqueue_enabled",
    "hw:mem_encryption", "hw:mem_encryption_model", "hw:pmem", "hw:pmu",
    "hw:serial_port_count", "hw:tpm_version", "hw:tpm_model", "hw:tpm_secret_security",
    "hw:watchdog_action", "hw:virtio_packed_ring", "hw:viommu_model",
    "hw:maxphysaddr_mode", "hw:maxphysaddr_bits", "hw:ephemeral_encryption",
    "hw:ephemeral_encryption_format", "hw:sound_model", "hw:usb_model",
    "hw:redirected_usb_ports", "hw:video:ram_max_mb", "hw:rng:allowed",
    "hw:rng:rate_bytes", "hw:rng:rate_period"})
_KEY_RE = re.compile(r"^[\w\-\.:\s/]{1,255}$")


def _clean(specs: Any) -> dict[str, str]:
    if not isinstance(specs, dict):
        raise errors.BadRequest("Invalid input for field/attribute extra_specs: "
                                "an object of key/value pairs is expected")
    out: dict[str, str] = {}
    for key, value in specs.items():
        if not isinstance(key, str) or not _KEY_RE.match(key):
            raise errors.BadRequest("Invalid input for field/attribute extra_specs. "
                                    "Key %r is not 1-255 of letters, digits, "
                                    "'_-.: /'" % (key,))
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise errors.BadRequest("Invalid input for field/attribute %s. Value: %s. "
                                    "A string or number is expected" % (key, value))
        text = str(value)
        if len(text) > 255:
            raise errors.BadRequest("Value of %s is longer than 255 characters" % key)
        out[key] = text
    return out


def _write(cloud: Any, flavor_id: str, specs: dict[str, str]) -> None:
    try:
        cloud.set_flavor_extra_specs(flavor_id, specs, also_known=NOVA_OTHER_HW_KEYS)
    except db_errors.FlavorNotFound:
        raise errors.NotFound("Flavor %s could not be found." % flavor_id) from None


def _flavor(cloud: Any, flavor_id: str) -> Any:
    try:
        return cloud.get_flavor(flavor_id)
    except db_errors.FlavorNotFound:
        raise errors.NotFound("Flavor %s could not be found." % flavor_id) from None


@router.get("/flavors/{flavor_id}/os-extra_specs", summary="List a flavor's extra specs")
def index(flavor_id: str, context: Context, cloud: Cloud) -> dict[str, Any]:
    authorize(context, _R + "index")
    return {"extra_specs": dict(_flavor(cloud, flavor_id).extra_specs)}


@router.post("/flavors/{flavor_id}/os-extra_specs",
             summary="Add or overwrite extra specs (admin)")
def create(flavor_id: str, context: Context, cloud: Cloud,
           body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    authorize(context, _R + "create")
    if set(body) != {"extra_specs"}:
        raise errors.BadRequest("Invalid input: the body must be {\"extra_specs\": {...}}")
    specs = _clean(body["extra_specs"])
    _write(cloud, flavor_id, specs)
    return {"extra_specs": specs}


@router.get("/flavors/{flavor_id}/os-extra_specs/{key}", summary="Show an extra spec")
def show(flavor_id: str, key: str, context: Context, cloud: Cloud) -> dict[str, Any]:
    authorize(context, _R + "show")
    specs = _flavor(cloud, flavor_id).extra_specs
    if key not in specs:
        raise errors.NotFound("Flavor %s has no extra specs with key %s."
                              % (flavor_id, key))
    return {key: specs[key]}


@router.put("/flavors/{flavor_id}/os-extra_specs/{key}",
            summary="Set one extra spec (admin)")
def update(flavor_id: str, key: str, context: Context, cloud: Cloud,
           body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    authorize(context, _R + "update")
    if len(body) != 1:
        raise errors.BadRequest("Request body contains too many items")
    if key not in body:
        raise errors.BadRequest("Request body and URI mismatch")
    specs = _clean(body)
    _write(cloud, flavor_id, specs)
    return specs


@router.delete("/flavors/{flavor_id}/os-extra_specs/{key}",
               summary="Delete an extra spec (admin)", response_class=Response)
def delete(flavor_id: str, key: str, context: Context, cloud: Cloud) -> Response:
    """200 with no body, as Nova answers."""
    authorize(context, _R + "delete")
    with translated(flavor_id):
        cloud.unset_flavor_extra_spec(flavor_id, key)
    return Response(status_code=200)
