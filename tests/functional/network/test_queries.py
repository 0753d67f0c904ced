"""The networking service's queries on SQLite, PostgreSQL and MariaDB: concurrent
address allocation never hands out an address twice, a project gets one `default`
group however many ask at once, and the life of a server's ports (allocate, bind,
release) and the refusals that keep the tables consistent."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tessera.db.engine import get_engine, session_scope
from tessera.network import allocate, errors
from tessera.network import networks as nets
from tessera.network import ports as port_q
from tessera.network import security_groups as groups
from tessera.network.allocate import RequestedNetwork
from tessera.network.types import Network, Subnet


def _network(url: str, vif_type: str = "tap", details: dict | None = None,
             cidr: str = "10.0.0.0/26") -> tuple[str, str]:
    with session_scope(get_engine(url)) as s:
        net = nets.create_network(s, Network(id="", project_id="p1", name="n",
                                             vif_type=vif_type,
                                             vif_details=details or {}))
        sub = nets.create_subnet(s, Subnet(id="", network_id=net.id, project_id="p1",
                                           cidr=cidr))
    return net.id, sub.id


def test_concurrent_ports_get_distinct_addresses(api_url: str) -> None:
    net_id, _ = _network(api_url)

    def make(_: int) -> str:
        with session_scope(get_engine(api_url)) as s:
            return port_q.create_port(s, net_id, "p1").fixed_ips[0].ip_address

    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(make, range(12)))
    assert len(set(got)) == 12
    assert "10.0.0.1" not in got  # the gateway


def test_one_default_group_per_project(api_url: str) -> None:
    def ensure(_: int) -> str:
        with session_scope(get_engine(api_url)) as s:
            return groups.ensure_default(s, "p9").id

    with ThreadPoolExecutor(4) as pool:
        ids = set(pool.map(ensure, range(8)))
    assert len(ids) == 1
    with session_scope(get_engine(api_url)) as s:
        assert [g.name for g in groups.list_groups(s, project_ids=["p9"])] == ["default"]


def test_refusals_keep_the_tables_consistent(api_url: str) -> None:
    net_id, sub_id = _network(api_url, cidr="10.1.0.0/30")  # one usable address
    engine = get_engine(api_url)
    with session_scope(engine) as s:
        port = port_q.create_port(s, net_id, "p1", mac_address="fa:16:3e:00:00:01")
    with pytest.raises(errors.AddressInUse, match="mac address"):
        with session_scope(engine) as s:
            port_q.create_port(s, net_id, "p1", mac_address="FA:16:3E:00:00:01")
    with pytest.raises(errors.IpAddressGenerationFailure):
        with session_scope(engine) as s:
            port_q.create_port(s, net_id, "p1")
    with pytest.raises(errors.InUse):
        with session_scope(engine) as s:
            nets.delete_network(s, net_id)
    with session_scope(engine) as s:
        assert [p.id for p in port_q.list_ports(s)] == [port.id]
        port_q.delete_port(s, port.id)
        nets.delete_network(s, net_id)
    with session_scope(engine) as s:
        assert nets.list_networks(s) == [] and nets.list_subnets(s) == []
        with pytest.raises(errors.SubnetNotFound):
            nets.get_subnet(s, sub_id)


def test_a_servers_ports_from_allocation_to_release(api_url: str) -> None:
    vhu_id, _ = _network(api_url, "vhostuser", {"vhostuser_socket_dir": "/run/v",
                                                "vhostuser_mode": "server"})
    engine = get_engine(api_url)
    with session_scope(engine) as s:
        mine = port_q.create_port(s, vhu_id, "p1")
        vifs = allocate.allocate(s, "p1", "vm-1", [RequestedNetwork(network_id=vhu_id),
                                                   RequestedNetwork(port_id=mine.id)])
    assert [v.preserve_on_delete for v in vifs] == [False, True]
    assert all(v.vif_type == "unbound" for v in vifs)
    with session_scope(engine) as s:
        bound = allocate.bind(s, vifs, "host-a")
    made = bound[0]
    assert made.vif_type == "vhostuser"
    assert made.vif_details["vhostuser_socket"] == "/run/v/vhu" + made.port_id[:11]
    with session_scope(engine) as s:
        with pytest.raises(errors.InUse):
            allocate.resolve(s, "p1", False, [RequestedNetwork(port_id=mine.id)])
        allocate.release(s, "vm-1", bound)
    with session_scope(engine) as s:
        (left,) = port_q.list_ports(s)
        assert (left.id, left.device_id, left.host_id, left.vif_type) == \
            (mine.id, "", "", "unbound")


def test_concurrent_claims_of_one_port_have_one_winner(api_url: str) -> None:
    net_id, _ = _network(api_url)
    with session_scope(get_engine(api_url)) as s:
        port = port_q.create_port(s, net_id, "p1")

    def claim(n: int) -> str:
        try:
            with session_scope(get_engine(api_url)) as s:
                port_q.claim_port(s, port.id, "vm-%d" % n, "compute:nova")
            return "vm-%d" % n
        except errors.InUse:
            return ""

    with ThreadPoolExecutor(4) as pool:
        winners = [w for w in pool.map(claim, range(6)) if w]
    assert len(winners) == 1
    with session_scope(get_engine(api_url)) as s:
        assert port_q.get_port(s, port.id).device_id == winners[0]
        with pytest.raises(errors.PortNotFound):
            port_q.claim_port(s, "no-such-port", "vm", "compute:nova")
