"""Servers with networks through the Compute API: ports made or claimed at create,
bound to the host the server lands on, shown in `addresses`, released on delete and on
a failed build; vhost-user only for huge-page guests."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.unit.network.conftest import (ADMIN, ALICE, CIRROS, NET, TestClient, post)

V = {"X-OpenStack-Nova-API-Version": "2.60"}
BOB3 = {"X-Auth-Token": "bob:p3"}


def boot(client: TestClient, networks: Any, flavor: str = "huge.2",
         headers: dict[str, str] = ADMIN, status: int = 202, **extra: Any) -> Any:
    r = client.post("/v2.1/servers", headers={**headers, **V}, json={"server": {
        "name": "vm", "imageRef": CIRROS, "flavorRef": flavor, "networks": networks,
        **extra}})
    assert r.status_code == status, r.text
    return r.json()["server"]["id"] if status == 202 else r.json()


def settle(client: TestClient, server_id: str, headers: dict[str, str] = ADMIN,
           timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get("/v2.1/servers/" + server_id, headers={**headers, **V}).json()
        server = body["server"]
        if server["status"] in ("ACTIVE", "ERROR") and not server["OS-EXT-STS:task_state"]:
            return server
        assert time.monotonic() < deadline, server
        time.sleep(0.02)


def ports_of(client: TestClient, server_id: str) -> list[dict[str, Any]]:
    r = client.get(NET + "/ports", headers=ADMIN, params={"device_id": server_id})
    return r.json()["ports"]


@pytest.fixture(scope="module")
def nets(client: TestClient) -> dict[str, dict[str, Any]]:
    out = {}
    for name, attrs, cidr in (
            ("dpdk", {"binding:vif_type": "vhostuser",
                      "tessera:vhostuser_socket_dir": "/run/vhu"}, "10.10.0.0/24"),
            ("routed", {"binding:vif_type": "tap"}, "10.20.0.0/24")):
        net = post(client, "networks", "network", headers=ADMIN, name=name, **attrs)
        post(client, "subnets", "subnet", headers=ADMIN, network_id=net["id"],
             cidr=cidr, ip_version=4)
        out[name] = net
    return out


def test_boot_on_two_networks_binds_ports_and_shows_addresses(
        client: TestClient, nets: dict) -> None:
    vm = boot(client, [{"uuid": nets["dpdk"]["id"]}, {"uuid": nets["routed"]["id"]}])
    server = settle(client, vm)
    assert server["status"] == "ACTIVE"
    ports = {p["network_id"]: p for p in ports_of(client, vm)}
    vhu, tap = ports[nets["dpdk"]["id"]], ports[nets["routed"]["id"]]
    for port in (vhu, tap):
        assert port["binding:host_id"] == server["OS-EXT-SRV-ATTR:host"]
        assert port["device_owner"] == "compute:nova" and port["status"] == "ACTIVE"
    assert vhu["binding:vif_type"] == "vhostuser"
    assert vhu["binding:vif_details"]["vhostuser_socket"] == "/run/vhu/vhu" + vhu["id"][:11]
    assert tap["binding:vif_details"]["devname"] == "tap" + tap["id"][:11]
    assert server["addresses"] == {
        "dpdk": [{"version": 4, "addr": vhu["fixed_ips"][0]["ip_address"],
                  "OS-EXT-IPS:type": "fixed", "OS-EXT-IPS-MAC:mac_addr": vhu["mac_address"]}],
        "routed": [{"version": 4, "addr": tap["fixed_ips"][0]["ip_address"],
                    "OS-EXT-IPS:type": "fixed",
                    "OS-EXT-IPS-MAC:mac_addr": tap["mac_address"]}]}
    r = client.get("/v2.1/servers/detail", headers={**ADMIN, **V},
                   params={"ip": vhu["fixed_ips"][0]["ip_address"].replace(".", r"\.") + "$"})
    assert [s["id"] for s in r.json()["servers"]] == [vm]
    assert client.delete("/v2.1/servers/" + vm, headers=ADMIN).status_code == 204
    assert ports_of(client, vm) == []
    for port in (vhu, tap):
        assert client.get(NET + "/ports/" + port["id"], headers=ADMIN).status_code == 404


def test_a_given_port_is_claimed_then_unbound_and_kept(client: TestClient, nets: dict) -> None:
    port = post(client, "ports", "port", headers=ADMIN, network_id=nets["routed"]["id"],
                fixed_ips=[{"ip_address": "10.20.0.50"}])
    vm = boot(client, [{"port": port["id"]}], flavor="plain.1")
    server = settle(client, vm)
    assert server["addresses"]["routed"][0]["addr"] == "10.20.0.50"
    bound = client.get(NET + "/ports/" + port["id"], headers=ADMIN).json()["port"]
    assert (bound["device_id"], bound["binding:vif_type"]) == (vm, "tap")
    r = client.post("/v2.1/servers", headers={**ADMIN, **V}, json={"server": {
        "name": "again", "imageRef": CIRROS, "flavorRef": "plain.1",
        "networks": [{"port": port["id"]}]}})
    assert r.status_code == 409 and "in use" in r.text
    client.delete("/v2.1/servers/" + vm, headers=ADMIN)
    kept = client.get(NET + "/ports/" + port["id"], headers=ADMIN).json()["port"]
    assert (kept["device_id"], kept["binding:host_id"], kept["binding:vif_type"]) == \
        ("", "", "unbound")
    assert kept["fixed_ips"][0]["ip_address"] == "10.20.0.50"


def test_vhostuser_needs_huge_pages(client: TestClient, nets: dict) -> None:
    body = boot(client, [{"uuid": nets["dpdk"]["id"]}], flavor="plain.1", status=400)
    assert "hw:mem_page_size" in body["badRequest"]["message"]
    before = client.get(NET + "/ports", headers=ADMIN,
                        params={"network_id": nets["dpdk"]["id"]}).json()["ports"]
    fine = boot(client, [{"uuid": nets["routed"]["id"]}], flavor="plain.1")
    settle(client, fine)
    client.delete("/v2.1/servers/" + fine, headers=ADMIN)
    after = client.get(NET + "/ports", headers=ADMIN,
                       params={"network_id": nets["dpdk"]["id"]}).json()["ports"]
    assert before == after  # the refused server made no port


def test_a_failed_build_releases_its_ports(client: TestClient, nets: dict) -> None:
    vm = boot(client, [{"uuid": nets["routed"]["id"]}], flavor="giant")
    server = settle(client, vm)
    assert server["status"] == "ERROR" and server["addresses"] == {}
    assert ports_of(client, vm) == []


@pytest.mark.parametrize("networks, status, text", [
    ([{"uuid": "5e2a0000-0000-4000-8000-000000000000"}], 400, "could not be found"),
    ([{"port": "5e2a0000-0000-4000-8000-000000000000"}], 400, "could not be found"),
    ([{"uuid": "NET", "fixed_ip": "10.20.0.999"}], 400, "Invalid fixed IP"),
    ([{"uuid": "NET", "fixed_ip": "10.99.0.5"}], 400, "not in any subnet"),
])
def test_bad_network_requests(client: TestClient, nets: dict, networks: list, status: int,
                              text: str) -> None:
    for item in networks:
        if item.get("uuid") == "NET":
            item["uuid"] = nets["routed"]["id"]
    body = boot(client, networks, flavor="plain.1", status=status)
    assert text in str(body)


def test_auto_takes_the_projects_only_network(client: TestClient) -> None:
    lone = boot(client, "auto", flavor="plain.1", headers=BOB3)
    assert settle(client, lone, BOB3)["addresses"] == {}  # no network to take
    net = post(client, "networks", "network", headers=BOB3, name="bobnet")
    post(client, "subnets", "subnet", headers=BOB3, network_id=net["id"],
         cidr="192.168.7.0/24", ip_version=4)
    vm = boot(client, "auto", flavor="plain.1", headers=BOB3)
    assert list(settle(client, vm, BOB3)["addresses"]) == ["bobnet"]
    post(client, "networks", "network", headers=BOB3, name="second")
    body = boot(client, "auto", flavor="plain.1", headers=BOB3, status=409)
    assert "Multiple possible networks" in str(body)
    plain = boot(client, "none", flavor="plain.1", headers=BOB3)
    assert settle(client, plain, BOB3)["addresses"] == {}
    for server in (lone, vm, plain):  # nothing left building when the cloud stops
        client.delete("/v2.1/servers/" + server, headers=BOB3)


def test_ports_made_for_a_server_get_its_security_groups(client: TestClient,
                                                         nets: dict) -> None:
    web = post(client, "security-groups", "security_group", headers=ADMIN, name="web")
    vm = boot(client, [{"uuid": nets["routed"]["id"]}], flavor="plain.1",
              security_groups=[{"name": "web"}])
    settle(client, vm)
    (port,) = ports_of(client, vm)
    assert port["security_groups"] == [web["id"]]
    r = client.delete(NET + "/security-groups/" + web["id"], headers=ADMIN)
    assert r.status_code == 409  # in use by the server's port
    client.delete("/v2.1/servers/" + vm, headers=ADMIN)
    assert client.delete(NET + "/security-groups/" + web["id"], headers=ADMIN).status_code == 204


def test_ips_api_lists_addresses_by_network(client: TestClient, nets: dict) -> None:
    vm = boot(client, [{"uuid": nets["routed"]["id"]}], flavor="plain.1")
    server = settle(client, vm)
    r = client.get("/v2.1/servers/%s/ips" % vm, headers=ADMIN)
    assert r.status_code == 200 and r.json() == {"addresses": server["addresses"]}
    r = client.get("/v2.1/servers/%s/ips/routed" % vm, headers=ADMIN)
    assert r.json() == {"routed": server["addresses"]["routed"]}
    assert client.get("/v2.1/servers/%s/ips/dpdk" % vm, headers=ADMIN).status_code == 404
    assert client.get("/v2.1/servers/%s/ips" % vm,
                      headers={"X-Auth-Token": "eve:p4"}).status_code == 404
    client.delete("/v2.1/servers/" + vm, headers=ADMIN)


def test_each_of_several_servers_gets_its_own_port(client: TestClient, nets: dict) -> None:
    r = client.post("/v2.1/servers", headers={**ADMIN, **V}, json={"server": {
        "name": "many", "imageRef": CIRROS, "flavorRef": "plain.1", "min_count": 2,
        "max_count": 2, "networks": [{"uuid": nets["routed"]["id"]}]}})
    assert r.status_code == 202, r.text
    r = client.get("/v2.1/servers/detail", headers={**ADMIN, **V}, params={"name": "^many-"})
    servers = [settle(client, s["id"]) for s in r.json()["servers"]]
    assert len(servers) == 2
    addrs = [s["addresses"]["routed"][0]["addr"] for s in servers]
    assert len(set(addrs)) == 2
    for server in servers:
        (port,) = ports_of(client, server["id"])
        assert port["fixed_ips"][0]["ip_address"] in addrs
        client.delete("/v2.1/servers/" + server["id"], headers=ADMIN)
