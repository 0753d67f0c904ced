"""How a network's ports are plugged into guests: the VIF binding of a network (type
and details, from its own attributes, else from `[network] physnet_vif_types`, else a
Linux bridge) and the binding details a port gets from it when bound to a host.

Pure functions; the names are Neutron's where Neutron has one:

- `bridge`: `bridge_name` (default `brq` + the network id's first 11 characters, as
  Linux bridge agents name them); the port's tap device is `devname`.
- `tap` (routed): the port's tap device `devname` = `tap` + the port id's first 11
  characters; no bridge, the host routes to it.
- `vhostuser`: `vhostuser_socket_dir` and `vhostuser_mode` (`server`: QEMU creates the
  socket, as with OVS-DPDK's dpdkvhostuserclient ports; `client`: the switch does);
  the port's socket is the directory + `vhu` + the port id's first 11 characters.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from tessera.network import errors
from tessera.network.types import (VHOSTUSER_MODES, VIF_BRIDGE, VIF_TAP, VIF_TYPES,
                                   VIF_VHOSTUSER)

DEFAULT_SOCKET_DIR = "/var/run/openvswitch"
DEFAULT_MODE = "server"
NAME_LEN = 14  # Linux interface names hold 15 bytes; Neutron uses prefix + 11

# The network attributes that set the binding through the API.
ATTR_VIF_TYPE = "binding:vif_type"
ATTR_BRIDGE = "tessera:bridge_name"
ATTR_SOCKET_DIR = "tessera:vhostuser_socket_dir"
ATTR_MODE = "tessera:vhostuser_mode"
ATTRS = (ATTR_VIF_TYPE, ATTR_BRIDGE, ATTR_SOCKET_DIR, ATTR_MODE)


def parse_physnet_map(entries: list[str]) -> dict[str, dict[str, str]]:
    """`PHYSNET:TYPE[:ARG[:MODE]]` entries (the `[network] physnet_vif_types` option)
    as {physnet: network attributes}: `br0:bridge:br-ex`, `dpdk:vhostuser:/run/vhu:client`,
    `routed:tap`."""
    out: dict[str, dict[str, str]] = {}
    for entry in entries:
        parts = [p.strip() for p in entry.split(":")]
        if len(parts) < 2 or not parts[0] or parts[1] not in VIF_TYPES:
            raise errors.InvalidInput(
                "Bad physnet_vif_types entry %r: expected PHYSNET:TYPE[:ARG[:MODE]] with "
                "TYPE one of %s" % (entry, ", ".join(VIF_TYPES)))
        attrs = {ATTR_VIF_TYPE: parts[1]}
        if parts[1] == VIF_BRIDGE and len(parts) > 2 and parts[2]:
            attrs[ATTR_BRIDGE] = parts[2]
        if parts[1] == VIF_VHOSTUSER:
            if len(parts) > 2 and parts[2]:
                attrs[ATTR_SOCKET_DIR] = parts[2]
            if len(parts) > 3 and parts[3]:
                attrs[ATTR_MODE] = parts[3]
        out[parts[0]] = attrs
    return out


def network_binding(network_id: str, attrs: Mapping[str, Any],
                    physical_network: str | None = None,
                    physnets: Mapping[str, Mapping[str, str]] | None = None,
                    ) -> tuple[str, dict[str, Any]]:
    """(vif_type, vif_details) of a new network: its own binding attributes win (a
    `binding:vif_type` of its own replaces its physical network's entry in `physnets`
    whole), then that entry, then a Linux bridge."""
    given = {k: v for k, v in attrs.items() if k in ATTRS and v is not None}
    merged = {} if ATTR_VIF_TYPE in given else dict(
        (physnets or {}).get(physical_network or "", {}))
    merged.update(given)
    vif_type = merged.get(ATTR_VIF_TYPE, VIF_BRIDGE)
    if vif_type not in VIF_TYPES:
        raise errors.InvalidInput("Invalid %s %r: one of %s." % (
            ATTR_VIF_TYPE, vif_type, ", ".join(VIF_TYPES)))
    for attr, allowed in ((ATTR_BRIDGE, VIF_BRIDGE), (ATTR_SOCKET_DIR, VIF_VHOSTUSER),
                          (ATTR_MODE, VIF_VHOSTUSER)):
        if attr in merged and vif_type != allowed:
            raise errors.InvalidInput("%s applies to %s networks only." % (attr, allowed))
    if vif_type == VIF_BRIDGE:
        name = _name(merged.get(ATTR_BRIDGE) or "brq" + network_id[:11], ATTR_BRIDGE)
        return vif_type, {"bridge_name": name}
    if vif_type == VIF_VHOSTUSER:
        directory = merged.get(ATTR_SOCKET_DIR) or DEFAULT_SOCKET_DIR
        if not isinstance(directory, str) or not os.path.isabs(directory):
            raise errors.InvalidInput("%s must be an absolute path." % ATTR_SOCKET_DIR)
        mode = merged.get(ATTR_MODE) or DEFAULT_MODE
        if mode not in VHOSTUSER_MODES:
            raise errors.InvalidInput("%s must be one of %s." % (
                ATTR_MODE, ", ".join(VHOSTUSER_MODES)))
        return vif_type, {"vhostuser_socket_dir": directory, "vhostuser_mode": mode}
    return VIF_TAP, {}


def _name(value: Any, attr: str) -> str:
    if not isinstance(value, str) or not value or len(value) > NAME_LEN + 1 or \
            any(c in value for c in "/ :"):
        raise errors.InvalidInput("%s must be an interface name of at most 15 characters."
                                  % attr)
    return value


def network_attrs(vif_type: str, details: Mapping[str, Any]) -> dict[str, Any]:
    """The binding of a network as the API shows it."""
    out: dict[str, Any] = {ATTR_VIF_TYPE: vif_type}
    if vif_type == VIF_BRIDGE:
        out[ATTR_BRIDGE] = details.get("bridge_name")
    if vif_type == VIF_VHOSTUSER:
        out[ATTR_SOCKET_DIR] = details.get("vhostuser_socket_dir")
        out[ATTR_MODE] = details.get("vhostuser_mode")
    return out


def devname(port_id: str) -> str:
    """The host-side tap device of a port."""
    return ("tap" + port_id)[:NAME_LEN]


def port_details(port_id: str, vif_type: str,
                 network_details: Mapping[str, Any]) -> dict[str, Any]:
    """The `binding:vif_details` of a port bound on a network of `vif_type`."""
    if vif_type == VIF_VHOSTUSER:
        socket = os.path.join(network_details["vhostuser_socket_dir"],
                              ("vhu" + port_id)[:NAME_LEN])
        return {"vhostuser_socket": socket,
                "vhostuser_mode": network_details["vhostuser_mode"],
                "port_filter": False}
    if vif_type == VIF_BRIDGE:
        return {"bridge_name": network_details["bridge_name"], "devname": devname(port_id),
                "port_filter": False}
    return {"devname": devname(port_id), "port_filter": False}
