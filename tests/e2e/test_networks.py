"""Networks end to end with the real `openstack` CLI against `tessera up --driver
libvirt` on libvirt's test driver: a vhost-user network and a routed (tap) network,
their VIF types coming from `[network] physnet_vif_types` by physical network; servers
booted with `--nic net-id=` on each and with `--nic port-id=`; the ports bound
(`openstack port show`), the addresses in `server show`, each `<interface>` in the
domain XML libvirt holds; a guest without huge pages refused on vhost-user; deleting
the servers releases their ports."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import Tessera, running_on_libvirt

pytestmark = pytest.mark.e2e

NETWORK_CONF = """
[network]
physnet_vif_types = dpdk:vhostuser:/run/tessera-vhu:client,routed:tap
"""



@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tessera]:
    with running_on_libvirt(tmp_path_factory.mktemp("tessera-up-nics"), "e2e-nics",
                            NETWORK_CONF) as cloud:
        yield cloud


def active(cloud: Tessera, server_id: str, timeout: float = 60) -> dict[str, Any]:
    """Poll the server (faster than the CLI's 5 s `--wait`) until ACTIVE."""
    deadline = time.monotonic() + timeout
    while True:
        status, body = cloud.http("GET", "/v2.1/servers/%s" % server_id)
        assert status == 200 and body["server"]["status"] != "ERROR", body
        if body["server"]["status"] == "ACTIVE":
            return body["server"]
        assert time.monotonic() < deadline, body
        time.sleep(0.1)


def gone(cloud: Tessera, path: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while cloud.http("GET", path)[0] != 404:
        assert time.monotonic() < deadline, "%s is still there" % path
        time.sleep(0.1)


def interfaces(cloud: Tessera, server_id: str) -> list[ET.Element]:
    status, body = cloud.http("GET", "/v2.1/os-tessera/servers/%s/domain-xml" % server_id)
    assert status == 200, body
    return ET.fromstring(body["domain_xml"]).findall("devices/interface")


def test_servers_on_vhostuser_and_tap_networks(cloud: Tessera) -> None:
    nets = {}
    for name, physnet, cidr in (("dpdk-net", "dpdk", "10.50.0.0/24"),
                                ("tap-net", "routed", "10.60.0.0/24")):
        nets[name] = cloud.cli_json("network", "create", "--provider-network-type", "flat",
                                    "--provider-physical-network", physnet, name)
        cloud.cli_json("subnet", "create", "--network", name, "--subnet-range", cidr,
                       name + "-sub")
    given = cloud.cli_json("port", "create", "--network", "tap-net", "--fixed-ip",
                           "ip-address=10.60.0.77", "given-port")
    # (HTTP where the CLI adds nothing: each CLI run costs seconds)
    for name in ("nfv.vhu", "plain.small"):
        assert cloud.http("POST", "/v2.1/flavors", {"flavor": {
            "name": name, "id": name, "vcpus": 2, "ram": 1024, "disk": 0}})[0] == 200
    assert cloud.http("POST", "/v2.1/flavors/nfv.vhu/os-extra_specs", {"extra_specs": {
        "hw:cpu_policy": "dedicated", "hw:mem_page_size": "large"}})[0] == 200

    # a guest without huge pages cannot share its RAM with the vhost-user switch
    status, body = cloud.http("POST", "/v2.1/servers", {"server": {
        "name": "no-pages", "imageRef": "cirros", "flavorRef": "plain.small",
        "networks": [{"uuid": nets["dpdk-net"]["id"]}]}})
    assert status == 400 and "hw:mem_page_size" in body["badRequest"]["message"]

    vm1 = cloud.cli_json("server", "create", "--flavor", "nfv.vhu", "--image", "cirros",
                         "--nic", "net-id=%s" % nets["dpdk-net"]["id"],
                         "--nic", "net-id=%s" % nets["tap-net"]["id"], "vm1")
    vm2 = cloud.cli_json("server", "create", "--flavor", "nfv.vhu", "--image", "cirros",
                         "--nic", "port-id=%s" % given["id"], "vm2")
    host = active(cloud, vm1["id"])["OS-EXT-SRV-ATTR:host"]
    active(cloud, vm2["id"])

    ports = cloud.http("GET", "/network/v2.0/ports?device_id=" + vm1["id"])[1]["ports"]
    assert len(ports) == 2
    bound = {}
    for listed in ports:
        port = cloud.cli_json("port", "show", listed["id"])
        assert port["device_id"] == vm1["id"] and port["binding_host_id"] == host
        bound[port["binding_vif_type"]] = port
    vhu, tap = bound["vhostuser"], bound["tap"]
    assert vhu["binding_vif_details"]["vhostuser_socket"] == \
        "/run/tessera-vhu/vhu" + vhu["id"][:11]
    assert vhu["binding_vif_details"]["vhostuser_mode"] == "client"
    assert tap["binding_vif_details"]["devname"] == "tap" + tap["id"][:11]
    mine = cloud.http("GET", "/network/v2.0/ports/" + given["id"])[1]["port"]
    assert (mine["device_id"], mine["binding:vif_type"]) == (vm2["id"], "tap")

    shown1 = cloud.cli_json("server", "show", "vm1")
    addresses = str(shown1["addresses"])
    for port in (vhu, tap):
        assert port["fixed_ips"][0]["ip_address"] in addresses, shown1["addresses"]
    status, body = cloud.http("GET", "/v2.1/servers/" + vm2["id"])
    assert body["server"]["addresses"]["tap-net"][0]["addr"] == "10.60.0.77"

    vhu_if, tap_if = interfaces(cloud, vm1["id"])
    assert vhu_if.get("type") == "vhostuser"
    assert vhu_if.find("source").attrib == {  # type: ignore[union-attr]
        "type": "unix", "path": "/run/tessera-vhu/vhu" + vhu["id"][:11], "mode": "client"}
    assert vhu_if.find("mac").get("address") == vhu["mac_address"]  # type: ignore[union-attr]
    assert tap_if.get("type") == "ethernet"
    assert tap_if.find("target").get("dev") == "tap" + tap["id"][:11]  # type: ignore[union-attr]
    (given_if,) = interfaces(cloud, vm2["id"])
    assert given_if.find("mac").get("address") == given["mac_address"]  # type: ignore[union-attr]

    cloud.cli("server", "delete", "vm1", "vm2")
    for vm in (vm1, vm2):
        gone(cloud, "/v2.1/servers/" + vm["id"])
    left = cloud.http("GET", "/network/v2.0/ports")[1]["ports"]
    assert [p["id"] for p in left] == [given["id"]]  # vm1's ports went with it
    kept = left[0]
    assert kept["device_id"] == "" and kept["binding:vif_type"] == "unbound"
    groups = cloud.http("GET", "/network/v2.0/security-groups")[1]["security_groups"]
    assert [g["name"] for g in groups] == ["default"]
    cloud.cli("port", "delete", given["id"])
    cloud.cli("network", "delete", "dpdk-net", "tap-net")
    assert cloud.http("GET", "/network/v2.0/networks")[1]["networks"] == []
    assert cloud.http("GET", "/network/v2.0/subnets")[1]["subnets"] == []
