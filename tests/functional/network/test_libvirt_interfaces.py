"""Servers on vhost-user, tap and bridge networks on the libvirt driver (libvirt's test
driver): the domain XML libvirt holds, read back through the admin domain-xml API,
has one `<interface>` per port with the binding's socket, tap or bridge, RAM shared
for vhost-user, and is valid against libvirt's domain schema."""

from __future__ import annotations

import warnings
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType
from typing import Any

from tessera.api import policy
from tessera.api.compute import build_app
from tessera.conf import make_conf
from tessera.deploy import AllInOne, Settings
from tests.functional.control.helpers import flavor, wait_for
from tests.functional.libvirt.test_all_in_one import CONF
from tests.unit.virt.fixtures import FIXTURES
from tests.unit.virt.scenarios import DEDICATED, SHARED

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ADMIN = {"X-Auth-Token": "admin:admin", "X-OpenStack-Nova-API-Version": "2.60"}
NET = "/network/v2.0"
CIRROS = "1b9a0b1e-0c38-4c6e-9a57-6f0d6d1c0001"


def _post(client: TestClient, collection: str, key: str, **body: Any) -> dict[str, Any]:
    r = client.post("%s/%s" % (NET, collection), headers=ADMIN, json={key: body})
    assert r.status_code == 201, r.text
    return r.json()[key]


def _network(client: TestClient, name: str, cidr: str, **attrs: Any) -> dict[str, Any]:
    net = _post(client, "networks", "network", name=name, **attrs)
    _post(client, "subnets", "subnet", network_id=net["id"], cidr=cidr, ip_version=4)
    return net


def _active(client: TestClient, server_id: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        server = client.get("/v2.1/servers/" + server_id, headers=ADMIN).json()["server"]
        assert server["status"] != "ERROR", server
        return server if server["status"] == "ACTIVE" else None
    return wait_for(probe, 30, "server %s to be ACTIVE" % server_id)


def test_interfaces_of_a_libvirt_guest(libvirt: ModuleType, test_uri: str, domain_rng: Any,
                                       tmp_path: Path) -> None:
    from lxml import etree

    path = tmp_path / "tessera.conf"
    path.write_text(CONF.format(tmp=tmp_path, dedicated=DEDICATED, shared=SHARED,
                                uri=test_uri, caps=FIXTURES / "caps-2cell.xml"))
    settings = Settings.from_conf(make_conf(config_files=[str(path)]), hosts=[])
    settings.api_db = "sqlite:///%s/api.sqlite" % tmp_path
    settings.cell_db = "sqlite:///%s/cell1.sqlite" % tmp_path
    settings.transport_url = "fake://nic-%s" % tmp_path.name
    policy.reset()
    with AllInOne(settings) as aio:
        client = TestClient(build_app(aio.api), raise_server_exceptions=False)
        aio.api.create_flavor(flavor("nfv.2", 2, 2048, **{"hw:cpu_policy": "dedicated",
                                                          "hw:mem_page_size": "2MB"}))
        dpdk = _network(client, "dpdk", "10.1.0.0/24", **{
            "binding:vif_type": "vhostuser", "tessera:vhostuser_socket_dir": "/run/vhu",
            "tessera:vhostuser_mode": "server"})
        routed = _network(client, "routed", "10.2.0.0/24", **{"binding:vif_type": "tap"})
        bridged = _network(client, "bridged", "10.3.0.0/24",
                           **{"tessera:bridge_name": "br-test"})
        given = _post(client, "ports", "port", network_id=bridged["id"])
        r = client.post("/v2.1/servers", headers=ADMIN, json={"server": {
            "name": "vm", "imageRef": CIRROS, "flavorRef": "nfv.2",
            "networks": [{"uuid": dpdk["id"]}, {"uuid": routed["id"]},
                         {"port": given["id"]}]}})
        assert r.status_code == 202, r.text
        vm = r.json()["server"]["id"]
        _active(client, vm)
        ports = client.get(NET + "/ports", headers=ADMIN,
                           params={"device_id": vm}).json()["ports"]
        by_net = {p["network_id"]: p for p in ports}
        vhu, tap = by_net[dpdk["id"]], by_net[routed["id"]]

        r = client.get("/v2.1/os-tessera/servers/%s/domain-xml" % vm, headers=ADMIN)
        assert r.status_code == 200, r.text
        text = r.json()["domain_xml"]
        assert domain_rng.validate(etree.fromstring(text.encode())), domain_rng.error_log
        domain = ET.fromstring(text)
        ifaces = domain.findall("./devices/interface")
        assert [i.get("type") for i in ifaces] == ["vhostuser", "ethernet", "bridge"]
        vhu_if, tap_if, br_if = ifaces
        assert vhu_if.find("source").attrib == {  # type: ignore[union-attr]
            "type": "unix", "path": "/run/vhu/vhu" + vhu["id"][:11], "mode": "server"}
        assert vhu_if.find("mac").get("address") == vhu["mac_address"]  # type: ignore[union-attr]
        assert tap_if.find("target").get("dev") == "tap" + tap["id"][:11]  # type: ignore[union-attr]
        assert br_if.find("source").get("bridge") == "br-test"  # type: ignore[union-attr]
        assert br_if.find("mac").get("address") == given["mac_address"]  # type: ignore[union-attr]
        cells = domain.findall("./cpu/numa/cell")
        assert cells and all(c.get("memAccess") == "shared" for c in cells)

        assert client.delete("/v2.1/servers/" + vm, headers=ADMIN).status_code == 204
        driver = aio.computes()["nfv-libvirt"].driver
        wait_for(lambda: driver.list_instances() == [], what="the domain to go")
        left = client.get(NET + "/ports", headers=ADMIN).json()["ports"]
        assert [p["id"] for p in left] == [given["id"]]
        assert left[0]["device_id"] == "" and left[0]["binding:vif_type"] == "unbound"
    policy.reset()
