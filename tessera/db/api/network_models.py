"""API database tables of the networking service (revision api006): networks with the
VIF binding their ports get, subnets, ports with their fixed IPs, security groups.
JSON documents (vif_details, allocation pools, DNS servers) are stored whole."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db._util import LongText
from tessera.db.api.models import Base, _Timestamps


class NetworkRow(_Timestamps, Base):
    __tablename__ = "networks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    project_id: Mapped[str | None] = mapped_column(String(255), index=True)
    name: Mapped[str | None] = mapped_column(String(255), index=True)
    description: Mapped[str | None] = mapped_column(String(255))
    admin_state_up: Mapped[bool] = mapped_column(Boolean, server_default=true())
    shared: Mapped[bool] = mapped_column(Boolean, server_default=false())
    router_external: Mapped[bool] = mapped_column(Boolean, server_default=false())
    status: Mapped[str] = mapped_column(String(36))
    mtu: Mapped[int] = mapped_column(Integer)
    network_type: Mapped[str] = mapped_column(String(64))
    physical_network: Mapped[str | None] = mapped_column(String(64))
    segmentation_id: Mapped[int | None] = mapped_column(Integer)
    vif_type: Mapped[str] = mapped_column(String(32))
    vif_details: Mapped[str] = mapped_column(LongText)


class SubnetRow(_Timestamps, Base):
    __tablename__ = "subnets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"), index=True)
    project_id: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(String(255))
    ip_version: Mapped[int] = mapped_column(Integer)
    cidr: Mapped[str] = mapped_column(String(64))
    gateway_ip: Mapped[str | None] = mapped_column(String(64))
    enable_dhcp: Mapped[bool] = mapped_column(Boolean, server_default=true())
    allocation_pools: Mapped[str] = mapped_column(LongText)
    dns_nameservers: Mapped[str] = mapped_column(LongText)


class PortRow(_Timestamps, Base):
    __tablename__ = "ports"
    __table_args__ = (UniqueConstraint("network_id", "mac_address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"))
    project_id: Mapped[str | None] = mapped_column(String(255), index=True)
    name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(String(255))
    mac_address: Mapped[str] = mapped_column(String(32))
    admin_state_up: Mapped[bool] = mapped_column(Boolean, server_default=true())
    status: Mapped[str] = mapped_column(String(36))
    device_id: Mapped[str] = mapped_column(String(255), index=True, server_default="")
    device_owner: Mapped[str] = mapped_column(String(255), server_default="")
    host_id: Mapped[str] = mapped_column(String(255), server_default="")
    vnic_type: Mapped[str] = mapped_column(String(32))
    vif_type: Mapped[str] = mapped_column(String(32))
    vif_details: Mapped[str] = mapped_column(LongText)


class IPAllocationRow(Base):
    __tablename__ = "ip_allocations"
    __table_args__ = (UniqueConstraint("subnet_id", "ip_address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    port_id: Mapped[int] = mapped_column(ForeignKey("ports.id"), index=True)
    subnet_id: Mapped[int] = mapped_column(ForeignKey("subnets.id"))
    ip_address: Mapped[str] = mapped_column(String(64))


class SecurityGroupRow(_Timestamps, Base):
    __tablename__ = "security_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    project_id: Mapped[str | None] = mapped_column(String(255), index=True)
    name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(String(255))
    stateful: Mapped[bool] = mapped_column(Boolean, server_default=true())
    # The project whose `default` group this is; NULL for every other group.
    default_for: Mapped[str | None] = mapped_column(String(255), unique=True)


class PortSecurityGroupRow(Base):
    __tablename__ = "port_security_groups"
    __table_args__ = (UniqueConstraint("port_id", "security_group_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    port_id: Mapped[int] = mapped_column(ForeignKey("ports.id"))
    security_group_id: Mapped[int] = mapped_column(ForeignKey("security_groups.id"),
                                                   index=True)
