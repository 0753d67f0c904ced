"""The request bodies of server create and update, and the checks of the fields that
exist only in some microversions (Nova's `schemas/servers.py`)."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tessera.api import errors

Name = Field(min_length=1, max_length=255)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NetworkRequest(_Strict):
    uuid: str | None = None
    port: str | None = None
    fixed_ip: str | None = None
    tag: str | None = Field(default=None, max_length=60)


class BlockDevice(_Strict):
    uuid: str | None = None
    source_type: Literal["image", "volume", "snapshot", "blank"] | None = None
    destination_type: Literal["local", "volume"] | None = None
    boot_index: int | str | None = None
    delete_on_termination: bool | str = False
    volume_size: int | None = None
    device_name: str | None = None
    guest_format: str | None = None
    disk_bus: str | None = None
    device_type: str | None = None
    tag: str | None = Field(default=None, max_length=60)
    volume_type: str | None = Field(default=None, max_length=255)


class ServerCreate(_Strict):
    name: str = Name
    imageRef: str | None = None
    flavorRef: str | int
    min_count: int = Field(default=1, ge=1)
    max_count: int | None = Field(default=None, ge=1)
    networks: Literal["none", "auto"] | list[NetworkRequest] | None = None
    block_device_mapping_v2: list[BlockDevice] | None = None
    availability_zone: str | None = Field(default=None, max_length=255)
    metadata: dict[str, str] = Field(default_factory=dict)
    key_name: str | None = Field(default=None, max_length=255)
    security_groups: list[dict[str, str]] | None = None
    user_data: str | None = None
    config_drive: bool | str | None = None
    adminPass: str | None = None
    accessIPv4: str | None = None
    accessIPv6: str | None = None
    personality: list[dict[str, str]] | None = None
    return_reservation_id: bool = False
    description: str | None = Field(default=None, max_length=255)
    tags: list[str] | None = None
    trusted_image_certificates: list[str] | None = Field(default=None, min_length=1,
                                                         max_length=50)
    OS_DCF_diskConfig: Literal["AUTO", "MANUAL"] | None = Field(
        default=None, alias="OS-DCF:diskConfig")


class CreateBody(_Strict):
    server: ServerCreate
    os_scheduler_hints: dict[str, Any] | None = Field(default=None,
                                                      alias="os:scheduler_hints")
    OS_SCH_HNT_scheduler_hints: dict[str, Any] | None = Field(
        default=None, alias="OS-SCH-HNT:scheduler_hints")


class ServerUpdate(_Strict):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=255)
    accessIPv4: str | None = None
    accessIPv6: str | None = None
    OS_DCF_diskConfig: str | None = Field(default=None, alias="OS-DCF:diskConfig")


class UpdateBody(_Strict):
    server: ServerUpdate


def check_versioned_fields(body: CreateBody, version: Any) -> None:
    """Fields that exist only in some microversions (400 outside them, as in Nova)."""
    s = body.server
    if s.description is not None and version < (2, 19):
        raise errors.BadRequest("Additional properties are not allowed ('description' "
                                "was unexpected)")
    if s.tags is not None and version < (2, 52):
        raise errors.BadRequest("Additional properties are not allowed ('tags' was "
                                "unexpected)")
    if s.personality is not None and version >= (2, 57):
        raise errors.BadRequest("Additional properties are not allowed ('personality' "
                                "was unexpected)")
    if version >= (2, 37) and s.networks is None:
        raise errors.BadRequest("Invalid input for field/attribute networks. "
                                "'networks' is a required property")
    if version < (2, 37) and isinstance(s.networks, str):
        raise errors.BadRequest("Invalid input for field/attribute networks. Value: %s. "
                                "'%s' is not of type 'array'" % (s.networks, s.networks))
    _check_trusted_certs(s, version)
    if version < (2, 67) and any("volume_type" in b.model_fields_set
                                 for b in s.block_device_mapping_v2 or ()):
        raise errors.BadRequest("Additional properties are not allowed ('volume_type' "
                                "was unexpected) in block_device_mapping_v2")
    nets = s.networks if isinstance(s.networks, list) else []
    # Nova's device-tag history: networks 2.32-2.36 and 2.42+, block devices 2.32
    # and 2.42+ (2.33 and 2.37 dropped them by mistake; 2.42 restored them).
    net_tags = (2, 32) <= version <= (2, 36) or version >= (2, 42)
    bdm_tags = version == (2, 32) or version >= (2, 42)
    if any(n.tag for n in nets) and not net_tags:
        raise errors.BadRequest("Additional properties are not allowed ('tag' was "
                                "unexpected) in networks")
    if any(b.tag for b in s.block_device_mapping_v2 or ()) and not bdm_tags:
        raise errors.BadRequest("Additional properties are not allowed ('tag' was "
                                "unexpected) in block_device_mapping_v2")
    for net in nets:
        if version >= (2, 37) and net.uuid is not None:
            try:
                uuidlib.UUID(net.uuid)
            except ValueError:
                raise errors.BadRequest("Invalid input for field/attribute uuid. "
                                        "Value: %s. '%s' is not a 'uuid'"
                                        % (net.uuid, net.uuid)) from None


def _check_trusted_certs(s: ServerCreate, version: Any) -> None:
    """`trusted_image_certificates` (2.63+): null, or 1 to 50 distinct non-empty ids,
    for an image-backed server only."""
    if "trusted_image_certificates" not in s.model_fields_set:
        return
    if version < (2, 63):
        raise errors.BadRequest("Additional properties are not allowed "
                                "('trusted_image_certificates' was unexpected)")
    certs = s.trusted_image_certificates
    if certs is None:
        return
    if any(not c for c in certs) or len(set(certs)) != len(certs):
        raise errors.BadRequest("Invalid input for field/attribute "
                                "trusted_image_certificates: the ids must be non-empty "
                                "and distinct.")
    if is_volume_backed(s):
        raise errors.BadRequest("Image certificate validation is not supported for "
                                "volume-backed servers.")


def is_volume_backed(s: ServerCreate) -> bool:
    """Whether the server boots from a volume (its boot device goes to a volume)."""
    return any(b.destination_type == "volume" and str(b.boot_index) == "0"
               for b in s.block_device_mapping_v2 or ())
