"""The pure binding and address rules: a network's VIF binding from its attributes or
its physical network, the ports' details, and the pools."""

from __future__ import annotations

import ipaddress

import pytest

from tessera.network import binding, errors, ipam
from tessera.network.types import AllocationPool

NET_ID = "0123456789abcdef-net"
PORT_ID = "fedcba9876543210-port"
PHYSNETS = binding.parse_physnet_map(["dpdk:vhostuser:/run/ovs:client", "routed:tap",
                                      "ext:bridge:br-ex"])


@pytest.mark.parametrize("attrs, physnet, expected", [
    ({}, None, ("bridge", {"bridge_name": "brq0123456789a"})),
    ({}, "ext", ("bridge", {"bridge_name": "br-ex"})),
    ({}, "routed", ("tap", {})),
    ({}, "dpdk", ("vhostuser", {"vhostuser_socket_dir": "/run/ovs",
                                "vhostuser_mode": "client"})),
    ({"tessera:vhostuser_mode": "server"}, "dpdk",
     ("vhostuser", {"vhostuser_socket_dir": "/run/ovs", "vhostuser_mode": "server"})),
    ({"binding:vif_type": "vhostuser"}, None,
     ("vhostuser", {"vhostuser_socket_dir": "/var/run/openvswitch",
                    "vhostuser_mode": "server"})),
    ({"binding:vif_type": "tap"}, "dpdk", ("tap", {})),
])
def test_network_binding(attrs: dict, physnet: str | None, expected: tuple) -> None:
    assert binding.network_binding(NET_ID, attrs, physnet, PHYSNETS) == expected


@pytest.mark.parametrize("entry", ["dpdk", "dpdk:macvtap", ":tap"])
def test_bad_physnet_entries(entry: str) -> None:
    with pytest.raises(errors.InvalidInput, match="physnet_vif_types"):
        binding.parse_physnet_map([entry])


def test_port_details() -> None:
    vhu = binding.port_details(PORT_ID, "vhostuser", {"vhostuser_socket_dir": "/run/ovs",
                                                      "vhostuser_mode": "client"})
    assert vhu["vhostuser_socket"] == "/run/ovs/vhufedcba98765"
    assert vhu["vhostuser_mode"] == "client"
    assert binding.port_details(PORT_ID, "tap", {})["devname"] == "tapfedcba98765"
    bridge = binding.port_details(PORT_ID, "bridge", {"bridge_name": "br-ex"})
    assert (bridge["bridge_name"], bridge["devname"]) == ("br-ex", "tapfedcba98765")


def test_pools_skip_the_gateway_and_taken_addresses() -> None:
    net = ipam.parse_cidr("192.168.0.0/29", 4)
    pools = ipam.default_pools(net, "192.168.0.3")
    assert pools == [AllocationPool(start="192.168.0.1", end="192.168.0.2"),
                     AllocationPool(start="192.168.0.4", end="192.168.0.6")]
    assert ipam.next_free(pools, ["192.168.0.1", "192.168.0.2"]) == "192.168.0.4"
    full = ["192.168.0.%d" % i for i in (1, 2, 4, 5, 6)]
    assert ipam.next_free(pools, full) is None
    assert ipam.in_pools(ipaddress.ip_address("192.168.0.5"), pools)
    with pytest.raises(errors.InvalidInput, match="conflicts"):
        ipam.check_pools(net, [AllocationPool(start="192.168.0.1", end="192.168.0.6")],
                         "192.168.0.3")
