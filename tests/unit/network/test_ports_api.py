"""Networks, subnets and ports through the API: VIF bindings from the network, address
allocation from the pools, binding details of bound ports, and the errors."""

from __future__ import annotations

import pytest

from tests.unit.network.conftest import ADMIN, ALICE, BOB, NET, TestClient, post


def network(client: TestClient, headers: dict[str, str] = ADMIN, **body: object) -> dict:
    return post(client, "networks", "network", headers=headers, **body)


def subnet(client: TestClient, net: dict, cidr: str, headers: dict[str, str] = ADMIN,
           **body: object) -> dict:
    return post(client, "subnets", "subnet", headers=headers, network_id=net["id"],
                cidr=cidr, ip_version=4, **body)


def test_vhostuser_network_ports_get_socket_and_mode(client: TestClient) -> None:
    net = network(client, name="dpdk", **{"binding:vif_type": "vhostuser",
                                          "tessera:vhostuser_socket_dir": "/run/vhu",
                                          "tessera:vhostuser_mode": "client"})
    assert net["binding:vif_type"] == "vhostuser"
    assert net["tessera:vhostuser_socket_dir"] == "/run/vhu"
    sub = subnet(client, net, "10.1.0.0/24")
    assert sub["gateway_ip"] == "10.1.0.1"
    assert sub["allocation_pools"] == [{"start": "10.1.0.2", "end": "10.1.0.254"}]
    port = post(client, "ports", "port", headers=ADMIN, network_id=net["id"])
    assert port["binding:vif_type"] == "unbound" and port["binding:vif_details"] == {}
    assert port["fixed_ips"] == [{"subnet_id": sub["id"], "ip_address": "10.1.0.2"}]
    assert port["mac_address"].startswith("fa:16:3e:")
    r = client.put(NET + "/ports/" + port["id"], headers=ADMIN,
                   json={"port": {"binding:host_id": "nfv-2s-smt", "device_id": "vm1"}})
    bound = r.json()["port"]
    assert bound["binding:vif_type"] == "vhostuser" and bound["status"] == "ACTIVE"
    assert bound["binding:vif_details"]["vhostuser_socket"] == \
        "/run/vhu/vhu" + port["id"][:11]
    assert bound["binding:vif_details"]["vhostuser_mode"] == "client"
    second = post(client, "ports", "port", headers=ADMIN, network_id=net["id"])
    assert second["fixed_ips"][0]["ip_address"] == "10.1.0.3"


def test_tap_and_bridge_bindings(client: TestClient) -> None:
    tap = network(client, name="routed", **{"binding:vif_type": "tap"})
    port = post(client, "ports", "port", headers=ADMIN, network_id=tap["id"],
                **{"binding:host_id": "h1"})
    assert port["binding:vif_type"] == "tap"
    assert port["binding:vif_details"]["devname"] == "tap" + port["id"][:11]
    plain = network(client, name="plain")
    assert plain["binding:vif_type"] == "bridge"
    assert plain["tessera:bridge_name"] == "brq" + plain["id"][:11]


def test_fixed_ip_requests_and_exhaustion(client: TestClient) -> None:
    net = network(client, name="tiny")
    sub = subnet(client, net, "10.9.0.0/29", allocation_pools=[
        {"start": "10.9.0.4", "end": "10.9.0.5"}])
    first = post(client, "ports", "port", headers=ADMIN, network_id=net["id"],
                 fixed_ips=[{"ip_address": "10.9.0.5"}])
    assert first["fixed_ips"][0] == {"subnet_id": sub["id"], "ip_address": "10.9.0.5"}
    r = client.post(NET + "/ports", headers=ADMIN, json={"port": {
        "network_id": net["id"], "fixed_ips": [{"ip_address": "10.9.0.5"}]}})
    assert r.status_code == 409 and "already allocated" in r.text
    post(client, "ports", "port", headers=ADMIN, network_id=net["id"])
    r = client.post(NET + "/ports", headers=ADMIN, json={"port": {"network_id": net["id"]}})
    assert r.status_code == 409 and "No more IP addresses" in r.text
    r = client.delete(NET + "/networks/" + net["id"], headers=ADMIN)
    assert r.status_code == 409  # ports still on it
    r = client.delete(NET + "/subnets/" + sub["id"], headers=ADMIN)
    assert r.status_code == 409


@pytest.mark.parametrize("body, status, text", [
    ({"binding:vif_type": "macvtap"}, 400, "binding:vif_type"),
    ({"binding:vif_type": "vhostuser", "tessera:vhostuser_mode": "both"}, 400, "mode"),
    ({"binding:vif_type": "tap", "tessera:bridge_name": "br0"}, 400, "bridge"),
    ({"provider:network_type": "vlan"}, 400, "physical_network"),
    ({"provider:network_type": "vlan", "provider:physical_network": "p",
      "provider:segmentation_id": 5000}, 400, "out of range"),
    ({"colour": "red"}, 400, "colour"),
])
def test_bad_networks(client: TestClient, body: dict, status: int, text: str) -> None:
    r = client.post(NET + "/networks", headers=ADMIN, json={"network": body})
    assert r.status_code == status and text in r.text


def test_bad_subnets(client: TestClient) -> None:
    net = network(client, name="n-bad")
    for body, text in (({"cidr": "10.0.0.1/24"}, "not a valid IP subnet"),
                       ({"cidr": "10.0.0.0/24", "ip_version": 6}, "ip_version"),
                       ({"cidr": "10.0.0.0/24", "gateway_ip": "10.1.0.1"}, "gateway_ip")):
        r = client.post(NET + "/subnets", headers=ADMIN,
                        json={"subnet": {"network_id": net["id"], "ip_version": 4, **body}})
        assert r.status_code == 400 and text in r.text, r.text
    subnet(client, net, "10.0.0.0/24")
    r = client.post(NET + "/subnets", headers=ADMIN, json={"subnet": {
        "network_id": net["id"], "ip_version": 4, "cidr": "10.0.0.128/25"}})
    assert r.status_code == 400 and "overlaps" in r.text


def test_projects_see_their_own_and_shared_networks(client: TestClient) -> None:
    own = network(client, headers=ALICE, name="alice-net")
    shared = network(client, name="public-net", shared=True)
    r = client.get(NET + "/networks", headers=BOB)
    ids = {n["id"] for n in r.json()["networks"]}
    assert shared["id"] in ids and own["id"] not in ids
    assert client.get(NET + "/networks/" + own["id"], headers=BOB).status_code == 404
    r = client.post(NET + "/networks", headers=ALICE,
                    json={"network": {"provider:network_type": "local",
                                      "binding:vif_type": "tap"}})
    assert r.status_code == 403
    r = client.get(NET + "/networks", headers=ALICE, params={"name": "alice-net"})
    assert [n["id"] for n in r.json()["networks"]] == [own["id"]]
    port = post(client, "ports", "port", headers=ALICE, network_id=own["id"])
    (default,) = port["security_groups"]
    r = client.put(NET + "/ports/" + port["id"], headers=ALICE,
                   json={"port": {"binding:host_id": "h"}})
    assert r.status_code == 403
    r = client.delete(NET + "/security-groups/" + default, headers=ADMIN)
    assert r.status_code == 409 and "in use" in r.text
    assert client.delete(NET + "/ports/" + port["id"], headers=ALICE).status_code == 204
    assert client.delete(NET + "/networks/" + own["id"], headers=ALICE).status_code == 204


def test_boolean_and_repeated_filters(client: TestClient) -> None:
    a = network(client, name="flt-a", shared=True)
    b = network(client, name="flt-b")
    r = client.get(NET + "/networks", headers=ADMIN, params={"shared": "True",
                                                             "name": ["flt-a", "flt-b"]})
    assert [n["id"] for n in r.json()["networks"]] == [a["id"]]
    r = client.get(NET + "/networks", headers=ADMIN, params={"name": ["flt-a", "flt-b"]})
    assert [n["id"] for n in r.json()["networks"]] == [a["id"], b["id"]]
