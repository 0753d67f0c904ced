"""Networks, subnets, ports (with their fixed IPs) and security groups of the built-in
networking service (Networking API v2.0 subset).

A network carries the binding its ports get (`vif_type` and the JSON `vif_details`:
bridge name, vhost-user socket directory and mode); a port copies them when it is
bound to a host. `ip_allocations` is unique per (subnet, address), so two ports never
get the same address even when allocated concurrently. `security_groups.default_for`
holds the project id of that project's `default` group (NULL for the others), so a
project has at most one default group.

Revision ID: api006
Revises: api005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "api006"
down_revision = "api005"
branch_labels = None
depends_on = None

MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}
LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
STAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _stamps() -> list[sa.Column]:
    return [sa.Column("created_at", STAMP, nullable=True),
            sa.Column("updated_at", STAMP, nullable=True)]


def upgrade() -> None:
    op.create_table(
        "networks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("project_id", sa.String(255), nullable=True),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("description", sa.String(255), nullable=True),
        sa.Column("admin_state_up", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("shared", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("router_external", sa.Boolean, nullable=False,
                  server_default=sa.false()),
        sa.Column("status", sa.String(36), nullable=False),
        sa.Column("mtu", sa.Integer, nullable=False),
        sa.Column("network_type", sa.String(64), nullable=False),
        sa.Column("physical_network", sa.String(64), nullable=True),
        sa.Column("segmentation_id", sa.Integer, nullable=True),
        sa.Column("vif_type", sa.String(32), nullable=False),
        sa.Column("vif_details", LONG_TEXT, nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name="pk_networks"),
        sa.UniqueConstraint("uuid", name="uq_networks_uuid"),
        **MYSQL)
    op.create_index("ix_networks_project_id", "networks", ["project_id"])
    op.create_index("ix_networks_name", "networks", ["name"])

    op.create_table(
        "subnets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("network_id", sa.Integer, nullable=False),
        sa.Column("project_id", sa.String(255), nullable=True),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("description", sa.String(255), nullable=True),
        sa.Column("ip_version", sa.Integer, nullable=False),
        sa.Column("cidr", sa.String(64), nullable=False),
        sa.Column("gateway_ip", sa.String(64), nullable=True),
        sa.Column("enable_dhcp", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("allocation_pools", LONG_TEXT, nullable=False),
        sa.Column("dns_nameservers", LONG_TEXT, nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name="pk_subnets"),
        sa.UniqueConstraint("uuid", name="uq_subnets_uuid"),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"],
                                name="fk_subnets_network_id_networks"),
        **MYSQL)
    op.create_index("ix_subnets_network_id", "subnets", ["network_id"])

    op.create_table(
        "ports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("network_id", sa.Integer, nullable=False),
        sa.Column("project_id", sa.String(255), nullable=True),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("description", sa.String(255), nullable=True),
        sa.Column("mac_address", sa.String(32), nullable=False),
        sa.Column("admin_state_up", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("status", sa.String(36), nullable=False),
        sa.Column("device_id", sa.String(255), nullable=False, server_default=""),
        sa.Column("device_owner", sa.String(255), nullable=False, server_default=""),
        sa.Column("host_id", sa.String(255), nullable=False, server_default=""),
        sa.Column("vnic_type", sa.String(32), nullable=False),
        sa.Column("vif_type", sa.String(32), nullable=False),
        sa.Column("vif_details", LONG_TEXT, nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name="pk_ports"),
        sa.UniqueConstraint("uuid", name="uq_ports_uuid"),
        sa.UniqueConstraint("network_id", "mac_address",
                            name="uq_ports_network_id_mac_address"),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"],
                                name="fk_ports_network_id_networks"),
        **MYSQL)
    op.create_index("ix_ports_project_id", "ports", ["project_id"])
    op.create_index("ix_ports_device_id", "ports", ["device_id"])

    op.create_table(
        "ip_allocations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("port_id", sa.Integer, nullable=False),
        sa.Column("subnet_id", sa.Integer, nullable=False),
        sa.Column("ip_address", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ip_allocations"),
        sa.UniqueConstraint("subnet_id", "ip_address",
                            name="uq_ip_allocations_subnet_id_ip_address"),
        sa.ForeignKeyConstraint(["port_id"], ["ports.id"],
                                name="fk_ip_allocations_port_id_ports"),
        sa.ForeignKeyConstraint(["subnet_id"], ["subnets.id"],
                                name="fk_ip_allocations_subnet_id_subnets"),
        **MYSQL)
    op.create_index("ix_ip_allocations_port_id", "ip_allocations", ["port_id"])

    op.create_table(
        "security_groups",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("project_id", sa.String(255), nullable=True),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("description", sa.String(255), nullable=True),
        sa.Column("stateful", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("default_for", sa.String(255), nullable=True),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name="pk_security_groups"),
        sa.UniqueConstraint("uuid", name="uq_security_groups_uuid"),
        sa.UniqueConstraint("default_for", name="uq_security_groups_default_for"),
        **MYSQL)
    op.create_index("ix_security_groups_project_id", "security_groups", ["project_id"])

    op.create_table(
        "port_security_groups",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("port_id", sa.Integer, nullable=False),
        sa.Column("security_group_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_port_security_groups"),
        sa.UniqueConstraint("port_id", "security_group_id",
                            name="uq_port_security_groups_port_id_security_group_id"),
        sa.ForeignKeyConstraint(["port_id"], ["ports.id"],
                                name="fk_port_security_groups_port_id_ports"),
        sa.ForeignKeyConstraint(
            ["security_group_id"], ["security_groups.id"],
            name="fk_port_security_groups_security_group_id_security_groups"),
        **MYSQL)
    op.create_index("ix_port_security_groups_security_group_id", "port_security_groups",
                    ["security_group_id"])


def downgrade() -> None:
    for table in ("port_security_groups", "security_groups", "ip_allocations", "ports",
                  "subnets", "networks"):
        op.drop_table(table)
