"""The networking service's resources as typed objects: networks with the VIF binding
their ports get, subnets, ports with fixed IPs and binding, security groups."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

# VIF types a network's ports can get (Neutron's names for them).
VIF_BRIDGE = "bridge"        # a Linux bridge; the guest's tap device is plugged into it
VIF_TAP = "tap"              # routed: a bare tap device the host routes to
VIF_VHOSTUSER = "vhostuser"  # a vhost-user socket of a DPDK switch
VIF_TYPES = (VIF_BRIDGE, VIF_TAP, VIF_VHOSTUSER)
VIF_UNBOUND = "unbound"      # a port not bound to a host yet

VHOSTUSER_MODES = ("server", "client")  # QEMU's side of the socket


class Network(BaseModel):
    id: str
    project_id: str | None = None
    name: str = ""
    description: str = ""
    admin_state_up: bool = True
    shared: bool = False
    router_external: bool = False
    status: str = "ACTIVE"
    mtu: int = 1500
    network_type: str = "local"
    physical_network: str | None = None
    segmentation_id: int | None = None
    vif_type: str = VIF_BRIDGE
    # bridge: bridge_name; vhostuser: vhostuser_socket_dir, vhostuser_mode.
    vif_details: dict[str, Any] = Field(default_factory=dict)
    subnet_ids: list[str] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None


class AllocationPool(BaseModel):
    start: str
    end: str


class Subnet(BaseModel):
    id: str
    network_id: str
    project_id: str | None = None
    name: str = ""
    description: str = ""
    ip_version: int = 4
    cidr: str
    gateway_ip: str | None = None
    enable_dhcp: bool = True
    allocation_pools: list[AllocationPool] = Field(default_factory=list)
    dns_nameservers: list[str] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None


class FixedIP(BaseModel):
    subnet_id: str
    ip_address: str


class Port(BaseModel):
    id: str
    network_id: str
    project_id: str | None = None
    name: str = ""
    description: str = ""
    mac_address: str
    admin_state_up: bool = True
    status: str = "DOWN"
    device_id: str = ""
    device_owner: str = ""
    host_id: str = ""
    vnic_type: str = "normal"
    vif_type: str = VIF_UNBOUND
    vif_details: dict[str, Any] = Field(default_factory=dict)
    fixed_ips: list[FixedIP] = Field(default_factory=list)
    security_group_ids: list[str] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None


class SecurityGroup(BaseModel):
    id: str
    project_id: str | None = None
    name: str = ""
    description: str = ""
    stateful: bool = True
    is_default: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
