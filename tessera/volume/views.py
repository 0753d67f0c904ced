"""The JSON shapes of the Block Storage API v3 subset: volumes (summary and detail),
volume types and attachments, as Cinder draws them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tessera.api.microversion import APIVersion
from tessera.volume import service as svc
from tessera.volume import types as vtypes

BACKEND_HOST = "tessera@file#file"


def isotime(value: datetime | None) -> str | None:
    """Cinder's timestamps: `2024-01-02T03:04:05.000000` (UTC)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")


def _links(root: str, project: str, kind: str, ident: str) -> list[dict[str, str]]:
    """Self and bookmark links under the service root (`http://host:port/volume`)."""
    return [{"rel": "self", "href": "%s/v3/%s/%s/%s" % (root, project, kind, ident)},
            {"rel": "bookmark", "href": "%s/%s/%s/%s" % (root, project, kind, ident)}]


def volume_summary(vol: svc.Volume, root: str) -> dict[str, Any]:
    return {"id": vol.id, "name": vol.name,
            "links": _links(root, vol.project_id, "volumes", vol.id)}


def volume_attachment(att: svc.Attachment) -> dict[str, Any]:
    """An entry of a volume's `attachments` (attached ones only, as Cinder)."""
    return {"id": att.volume_id, "attachment_id": att.id, "volume_id": att.volume_id,
            "server_id": att.instance_uuid, "host_name": att.host,
            "device": att.mountpoint, "attached_at": isotime(att.attached_at)}


def volume_detail(vol: svc.Volume, root: str, version: APIVersion,
                  admin: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": vol.id, "name": vol.name, "description": vol.description,
        "status": vol.status, "size": vol.size,
        "availability_zone": vol.availability_zone,
        "created_at": isotime(vol.created_at), "updated_at": isotime(vol.updated_at),
        "volume_type": vol.volume_type_name,
        "attachments": [volume_attachment(a) for a in vol.attachments
                        if a.status == svc.ATTACHED],
        "multiattach": vol.multiattach, "bootable": "false", "encrypted": False,
        "metadata": dict(vol.metadata), "snapshot_id": None, "source_volid": None,
        "consistencygroup_id": None, "user_id": vol.user_id,
        "os-vol-tenant-attr:tenant_id": vol.project_id,
        "replication_status": None, "migration_status": None,
        "links": _links(root, vol.project_id, "volumes", vol.id),
    }
    if version >= (3, 13):
        out["group_id"] = None
    if version >= (3, 21):
        out["provider_id"] = None
    if version >= (3, 48):
        out["shared_targets"] = False
        out["service_uuid"] = None
    if admin:
        out["os-vol-host-attr:host"] = BACKEND_HOST
        out["os-vol-mig-status-attr:migstat"] = None
        out["os-vol-mig-status-attr:name_id"] = None
    return out


def volume_type(vt: vtypes.VolumeType) -> dict[str, Any]:
    return {"id": vt.id, "name": vt.name, "description": vt.description,
            "is_public": vt.is_public, "os-volume-type-access:is_public": vt.is_public,
            "extra_specs": dict(vt.extra_specs), "qos_specs_id": None}


def attachment_summary(att: svc.Attachment) -> dict[str, Any]:
    return {"id": att.id, "volume_id": att.volume_id, "instance": att.instance_uuid,
            "status": att.status}


def attachment_detail(att: svc.Attachment) -> dict[str, Any]:
    return {**attachment_summary(att), "attach_mode": att.mode,
            "attached_at": isotime(att.attached_at), "detached_at": None,
            "connection_info": att.connection_info or {}}
