"""How a server looks at each microversion (Nova's `views/servers.py`).

`server_status` maps vm_state/task_state to the API status as Nova's
`api/openstack/common.py` does; `ServerView.detail` builds the body with exactly the
fields of the requested version (Tempest's schemas forbid extra ones), the
`OS-EXT-SRV-ATTR:*` ones only when `os-extended-server-attributes` allows the caller.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from tessera.api import policy
from tessera.api.compute._common import isotime, links
from tessera.api.microversion import APIVersion
from tessera.db.api.server_queries import ServerExtra
from tessera.network.boot import addresses
from tessera.objects import Instance, InstanceFault, PowerState, TaskState, VmState

_T = TaskState
_RESIZING = {_T.RESIZE_PREP: "RESIZE", _T.RESIZE_MIGRATING: "RESIZE",
             _T.RESIZE_MIGRATED: "RESIZE", _T.RESIZE_FINISH: "RESIZE"}
STATE_MAP: dict[VmState, dict[TaskState | None, str]] = {
    VmState.BUILDING: {None: "BUILD"},
    VmState.ACTIVE: {None: "ACTIVE", _T.REBOOTING: "REBOOT", _T.REBUILDING: "REBUILD",
                     **_RESIZING},
    VmState.STOPPED: {None: "SHUTOFF", _T.REBOOTING: "REBOOT", _T.REBUILDING: "REBUILD",
                      **_RESIZING},
    VmState.ERROR: {None: "ERROR", _T.REBUILDING: "REBUILD"},
    VmState.RESIZED: {None: "VERIFY_RESIZE", _T.RESIZE_REVERTING: "REVERT_RESIZE"},
    VmState.DELETED: {None: "DELETED"},
}
# Every status Nova knows (a status filter outside it is a 400 from 2.38).
KNOWN_STATUSES = frozenset({
    "ACTIVE", "BUILD", "DELETED", "ERROR", "HARD_REBOOT", "MIGRATING", "PASSWORD",
    "PAUSED", "REBOOT", "REBUILD", "RESCUE", "RESIZE", "REVERT_RESIZE", "SHELVED",
    "SHELVED_OFFLOADED", "SHUTOFF", "SOFT_DELETED", "SUSPENDED", "UNKNOWN",
    "VERIFY_RESIZE"})
_PROGRESS = ("ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING")
EXTENDED_ATTRS = "os_compute_api:os-extended-server-attributes"
FLAVOR_SPECS = "os_compute_api:servers:show:flavor-extra-specs"
HOST_STATUS = "os_compute_api:servers:show:host_status"


def server_status(inst: Instance) -> str:
    """Nova's status of an instance (deleted instances are DELETED)."""
    if inst.deleted:
        return "DELETED"
    states = STATE_MAP.get(inst.vm_state, {None: "UNKNOWN"})
    return states.get(inst.task_state, states[None])


def generate_host_id(project_id: str, host: str | None) -> str:
    """Nova's hostId: a per-project hash of a host name, so projects cannot compare
    hosts; empty without a host."""
    if not host:
        return ""
    return hashlib.sha224((project_id + host).encode()).hexdigest()


def host_id(inst: Instance) -> str:
    """The hostId of the host a server is on."""
    return generate_host_id(inst.project_id, inst.host)


def _allowed(context: Any, rule: str, project_id: str) -> bool:
    try:
        policy.authorize(context, rule, {"project_id": project_id,
                                         "user_id": context.user_id})
    except policy.PolicyNotAuthorized:
        return False
    return True


@dataclass
class ServerView:
    """Renders servers for one request: its version, caller and link base."""

    request: Request
    version: APIVersion
    context: Any
    host_states: dict[str, str] = field(default_factory=dict)
    volumes: dict[str, list[str]] = field(default_factory=dict)  # server -> volume ids

    def summary(self, inst: Instance) -> dict[str, Any]:
        return {"id": inst.uuid, "name": inst.display_name,
                "links": links(self.request, "servers", inst.uuid, inst.project_id)}

    def detail(self, inst: Instance, extra: ServerExtra | None = None,
               fault: InstanceFault | None = None) -> dict[str, Any]:
        v, status = self.version, server_status(inst)
        body: dict[str, Any] = {
            "id": inst.uuid, "name": inst.display_name, "status": status,
            "tenant_id": inst.project_id, "user_id": inst.user_id,
            "metadata": dict(inst.metadata), "hostId": host_id(inst),
            "image": self._image(inst), "flavor": self._flavor(inst),
            "created": isotime(inst.created_at),
            "updated": isotime(inst.updated_at or inst.created_at),
            "addresses": addresses(inst), "accessIPv4": inst.access_ip_v4 or "",
            "accessIPv6": inst.access_ip_v6 or "",
            "links": links(self.request, "servers", inst.uuid, inst.project_id),
            "key_name": inst.key_name, "config_drive": "",
            "OS-DCF:diskConfig": "MANUAL",
            "OS-EXT-AZ:availability_zone": inst.availability_zone or "nova",
            "OS-EXT-STS:task_state": inst.task_state.value if inst.task_state else None,
            "OS-EXT-STS:vm_state": inst.vm_state.value,
            "OS-EXT-STS:power_state": int(inst.power_state or PowerState.NOSTATE),
            "OS-SRV-USG:launched_at": _usg(inst.launched_at),
            "OS-SRV-USG:terminated_at": _usg(inst.terminated_at),
            "os-extended-volumes:volumes_attached": [
                {"id": vol, **({"delete_on_termination": False} if v >= (2, 3) else {})}
                for vol in self.volumes.get(inst.uuid, [])],
        }
        if status in _PROGRESS:
            body["progress"] = 100 if status == "ACTIVE" else 0
        if fault is not None and status in ("ERROR", "DELETED"):
            body["fault"] = self._fault(fault)
        if _allowed(self.context, EXTENDED_ATTRS, inst.project_id):
            body.update({"OS-EXT-SRV-ATTR:host": inst.host,
                         "OS-EXT-SRV-ATTR:hypervisor_hostname": inst.node,
                         "OS-EXT-SRV-ATTR:instance_name": inst.instance_name})
            if v >= (2, 3):
                body.update({"OS-EXT-SRV-ATTR:reservation_id": "r-" + inst.uuid[:8],
                             "OS-EXT-SRV-ATTR:launch_index": 0,
                             "OS-EXT-SRV-ATTR:hostname": _hostname(inst.display_name),
                             "OS-EXT-SRV-ATTR:kernel_id": "",
                             "OS-EXT-SRV-ATTR:ramdisk_id": "",
                             "OS-EXT-SRV-ATTR:root_device_name": None,
                             "OS-EXT-SRV-ATTR:user_data": None})
        if v >= (2, 9):
            body["locked"] = False
        if v >= (2, 16) and _allowed(self.context, HOST_STATUS, inst.project_id):
            body["host_status"] = self.host_states.get(inst.host or "", "") \
                if inst.host else ""
        if v >= (2, 19):
            body["description"] = extra.description if extra else None
        if v >= (2, 26):
            body["tags"] = list(extra.tags) if extra else []
        if v >= (2, 63):
            body["trusted_image_certificates"] = (list(inst.trusted_certs)
                                                  if inst.trusted_certs else None)
        return body

    def updated(self, inst: Instance, extra: ServerExtra | None = None,
                fault: InstanceFault | None = None) -> dict[str, Any]:
        """The server in a PUT (or rebuild) response: before 2.75, `detail` without
        the extension attributes (zone, states, usage, extended attributes, key name,
        config drive, volumes, host status); from 2.75 all of `detail`, as Nova."""
        if self.version >= (2, 75):
            return self.detail(inst, extra, fault)
        return {k: v for k, v in self.detail(inst, extra, fault).items()
                if k not in _NOT_IN_UPDATE and not k.startswith(_NOT_IN_UPDATE_PREFIXES)}

    def unknown(self, inst: Instance) -> dict[str, Any]:
        """A server of a cell that does not answer, shown alone (2.69): what the API
        database knows of it (its mapping and request spec); the zone is UNKNOWN
        when none was asked for."""
        return {"id": inst.uuid, "status": "UNKNOWN", "tenant_id": inst.project_id,
                "user_id": inst.user_id, "created": isotime(inst.created_at),
                "links": links(self.request, "servers", inst.uuid, inst.project_id),
                "image": self._image(inst), "flavor": self._flavor(inst),
                "OS-EXT-AZ:availability_zone": inst.availability_zone or "UNKNOWN",
                "OS-EXT-STS:power_state": int(PowerState.NOSTATE)}

    def _image(self, inst: Instance) -> dict[str, Any] | str:
        if not inst.image.id:
            return ""
        base = links(self.request, "images", inst.image.id, inst.project_id)
        return {"id": inst.image.id, "links": [base[1]]}

    def _flavor(self, inst: Instance) -> dict[str, Any]:
        f = inst.flavor
        if self.version < (2, 47):
            return {"id": f.flavorid,
                    "links": [links(self.request, "flavors", f.flavorid,
                                    inst.project_id)[1]]}
        body: dict[str, Any] = {"vcpus": f.vcpus, "ram": f.memory_mb, "disk": f.root_gb,
                                "ephemeral": f.ephemeral_gb, "swap": f.swap,
                                "original_name": f.name}
        if _allowed(self.context, FLAVOR_SPECS, inst.project_id):
            body["extra_specs"] = dict(f.extra_specs)
        return body

    def _fault(self, fault: InstanceFault) -> dict[str, Any]:
        body: dict[str, Any] = {"code": fault.code, "message": fault.message,
                                "created": isotime(fault.created_at)}
        # Nova shows details to admins, and to anyone when the code is not a 500.
        if fault.details and (self.context.is_admin or fault.code != 500):
            body["details"] = fault.details
        return body


_NOT_IN_UPDATE = frozenset({"key_name", "config_drive", "security_groups", "host_status",
                            "os-extended-volumes:volumes_attached"})
_NOT_IN_UPDATE_PREFIXES = ("OS-EXT-AZ:", "OS-EXT-STS:", "OS-SRV-USG:", "OS-EXT-SRV-ATTR:")


def _usg(value: Any) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") if value is not None else None


def _hostname(name: str) -> str:
    text = "".join(c if c.isalnum() or c == "-" else "-" for c in name.lower())
    return text.strip("-")[:63] or "server"
