"""The network interfaces (VIFs) of an instance: one per port, with what the guest's
`<interface>` needs (VIF type and binding details, MAC, MTU) and what the API shows
(network name, fixed IPs). Stored in the instance's body in its cell."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tessera.objects.base import TesseraObject


class VifAddress(TesseraObject):
    address: str
    version: int = 4
    subnet_id: str = ""


class InstanceVif(TesseraObject):
    port_id: str
    network_id: str
    network_name: str = ""
    mac_address: str
    addresses: list[VifAddress] = Field(default_factory=list)
    vif_type: str = "unbound"  # bridge, tap or vhostuser once bound to a host
    vif_details: dict[str, Any] = Field(default_factory=dict)
    mtu: int | None = None
    tag: str | None = None
    # A port the user gave: unbound and kept when the server goes; the others are
    # deleted with it.
    preserve_on_delete: bool = False
