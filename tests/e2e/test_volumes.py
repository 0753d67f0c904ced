"""Volumes end to end with the real `openstack` CLI: a multiattach volume type and
volume attached to two servers (`--os-compute-api-version 2.60 server add volume`),
detached from one while the other keeps it; an in-use volume that is not multiattach
refused with a clear error; a failing driver attach leaving no attachment; a deleted
server releasing its attachments. Then, on `tessera up --driver libvirt` with
libvirt's test driver, both guests' domain XML carry the volume as a `<shareable/>`
disk with cache none."""

from __future__ import annotations

import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.e2e.conftest import Tessera, running_on_libvirt

pytestmark = pytest.mark.e2e
CIRROS = "1b9a0b1e-0c38-4c6e-9a57-6f0d6d1c0001"
SMALL = str(uuid.uuid5(uuid.NAMESPACE_URL, "tessera-flavor:m1.small"))  # seeded by up


def until(check: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.3)


def attached_servers(cloud: Tessera, volume: str, status: str,
                     token: str = "bob:p2") -> Callable[[], set[str] | None]:
    """A poll (over HTTP, cheaper than a CLI process): the servers holding the volume
    once it has `status` ({"-"} for none), else None."""
    def check() -> set[str] | None:
        code, body = cloud.http("GET", "/volume/v3/volumes/" + volume, token=token)
        assert code == 200, body
        if body["volume"]["status"] != status:
            return None
        return {a["server_id"] for a in body["volume"]["attachments"]} or {"-"}
    return check


def server_volumes(cloud: Tessera, server: str) -> list[str]:
    rows = cloud.cli_json("server", "volume", "list", server, cloud="bob")
    return [r["Volume ID"] for r in rows]


def boot(cloud: Tessera, name: str, flavor: str, metadata: dict[str, str] | None = None,
         token: str = "bob:p2") -> str:
    """A server through the HTTP API (booting is not what these tests are about),
    once ACTIVE."""
    code, body = cloud.http("POST", "/v2.1/servers", {"server": {
        "name": name, "flavorRef": flavor, "imageRef": CIRROS,
        "metadata": metadata or {}}}, token=token)
    assert code == 202, body
    uuid = body["server"]["id"]

    def active() -> bool:
        server = cloud.http("GET", "/v2.1/servers/" + uuid, token=token)[1]["server"]
        assert server["status"] != "ERROR", server
        return server["status"] == "ACTIVE"
    until(active, "server %s to be ACTIVE" % name)
    return str(uuid)


def http_ok(cloud: Tessera, method: str, path: str, body: Any = None,
            token: str = "bob:p2") -> Any:
    code, answer = cloud.http(method, path, body, token=token)
    assert code < 300, (code, answer)
    return answer


def test_multiattach_volume_on_two_servers(tessera: Tessera) -> None:
    vt = tessera.cli_json("volume", "type", "create", "--property",
                          "multiattach=<is> True", "e2e-multi")
    assert vt["properties"] == {"multiattach": "<is> True"}
    vol = tessera.cli_json("volume", "create", "--size", "1", "--type", "e2e-multi",
                           "e2e-shared", cloud="bob")
    assert vol["status"] == "available" and vol["multiattach"] is True
    vm1 = boot(tessera, "vol-vm1", SMALL)
    vm2 = boot(tessera, "vol-vm2", SMALL)

    # before 2.60 a multiattach volume is refused, with Nova's message
    old = tessera.cli("server", "add", "volume", vm1, "e2e-shared", cloud="bob",
                      version="2.59", check=False)
    assert old.returncode != 0
    assert "only supported starting with compute API version 2.60" in old.stderr

    for vm in (vm1, vm2):
        tessera.cli("server", "add", "volume", vm, "e2e-shared", cloud="bob",
                    version="2.60")
        until(lambda vm=vm: vm in (attached_servers(tessera, vol["id"], "in-use")()
                                   or set()), "the volume on %s" % vm)
    shown = tessera.cli_json("volume", "show", vol["id"], cloud="bob")
    by_server = {a["server_id"]: a["attachment_id"] for a in shown["attachments"]}
    assert set(by_server) == {vm1, vm2} and len(set(by_server.values())) == 2
    assert server_volumes(tessera, vm1) == [vol["id"]]

    tessera.cli("server", "remove", "volume", vm1, "e2e-shared", cloud="bob",
                version="2.60")
    until(lambda: attached_servers(tessera, vol["id"], "in-use")() == {vm2},
          "the volume to stay on vm2 only")
    after = tessera.cli_json("volume", "show", vol["id"], cloud="bob")
    assert [a["attachment_id"] for a in after["attachments"]] == [by_server[vm2]]
    until(lambda: http_ok(tessera, "GET", "/v2.1/servers/%s/os-volume_attachments"
                          % vm1)["volumeAttachments"] == [], "the detach on vm1")
    assert server_volumes(tessera, vm2) == [vol["id"]]
    listed = http_ok(tessera, "GET", "/volume/v3/volumes/detail")["volumes"]
    assert {v["name"]: v["status"] for v in listed}["e2e-shared"] == "in-use"

    # an in-use volume that is not multiattach: refused with a clear error
    single = http_ok(tessera, "POST", "/volume/v3/volumes", {"volume": {
        "size": 1, "name": "e2e-single"}})["volume"]["id"]
    tessera.cli("server", "add", "volume", vm2, "e2e-single", cloud="bob", version="2.60")
    until(lambda: attached_servers(tessera, single, "in-use")() == {vm2},
          "the single volume on vm2")
    refused = tessera.cli("server", "add", "volume", vm1, "e2e-single", cloud="bob",
                          version="2.60", check=False)
    assert refused.returncode != 0
    assert "status must be available to reserve, but the current status is in-use" \
        in refused.stderr
    code, body = tessera.http("DELETE", "/volume/v3/volumes/" + single, token="bob:p2")
    assert code == 400 and "Invalid volume" in body["badRequest"]["message"]

    # deleting a server releases its attachments
    tessera.cli("server", "delete", "--wait", vm2, cloud="bob")
    until(lambda: attached_servers(tessera, vol["id"], "available")() == {"-"},
          "the shared volume to be available")
    until(lambda: attached_servers(tessera, single, "available")() == {"-"},
          "the single volume to be available")
    for volume in (single, vol["id"]):
        http_ok(tessera, "DELETE", "/volume/v3/volumes/" + volume)
    http_ok(tessera, "DELETE", "/v2.1/servers/" + vm1)


def test_failing_driver_attach_leaves_no_attachment(tessera: Tessera) -> None:
    vm = boot(tessera, "vol-flaky", SMALL, {"fake_fail_attach": "*"})
    victim = http_ok(tessera, "POST", "/volume/v3/volumes", {"volume": {
        "size": 1, "name": "e2e-victim"}})["volume"]["id"]
    tessera.cli("server", "add", "volume", vm, "e2e-victim", cloud="bob", version="2.60")
    until(lambda: attached_servers(tessera, victim, "available")() == {"-"},
          "the failed attach to be undone")
    assert server_volumes(tessera, vm) == []
    status, body = tessera.http("GET", "/volume/v3/attachments/detail",
                                token="bob:p2",
                                headers={"OpenStack-API-Version": "volume 3.27"})
    assert status == 200 and body["attachments"] == []
    http_ok(tessera, "DELETE", "/volume/v3/volumes/" + victim)
    http_ok(tessera, "DELETE", "/v2.1/servers/" + vm)


# -- the libvirt test driver -------------------------------------------------------



@pytest.fixture(scope="module")
def libvirt_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tessera]:
    with running_on_libvirt(tmp_path_factory.mktemp("tessera-up-volumes"),
                            "e2e-vol-libvirt") as cloud:
        yield cloud


def _volume_disks(cloud: Tessera, server: str) -> list[ET.Element]:
    status, body = cloud.http("GET", "/v2.1/os-tessera/servers/%s/domain-xml" % server)
    assert status == 200, body
    root = ET.fromstring(body["domain_xml"])
    return [d for d in root.findall("devices/disk")
            if d.find("target") is not None and d.find("target").get("dev") == "vdb"]


def _power(cloud: Tessera, server: str, action: str, status: str) -> None:
    http_ok(cloud, "POST", "/v2.1/servers/%s/action" % server, {action: None})
    until(lambda: cloud.http("GET", "/v2.1/servers/" + server, token="bob:p2")[1][
        "server"]["status"] == status, "%s to be %s" % (server, status))


def test_shared_disk_in_both_guests_xml(libvirt_cloud: Tessera) -> None:
    cloud = libvirt_cloud
    cloud.cli("volume", "type", "create", "--property", "multiattach=<is> True", "multi")
    vol = cloud.cli_json("volume", "create", "--size", "1", "--type", "multi", "lv-shared",
                         cloud="bob")
    http_ok(cloud, "POST", "/v2.1/flavors", {"flavor": {
        "name": "lv.small", "id": "lv.small", "vcpus": 1, "ram": 512, "disk": 0}}, token="admin:admin")
    vms = [boot(cloud, "lv-%d" % i, "lv.small") for i in (1, 2)]
    for vm in vms:
        cloud.cli("server", "add", "volume", vm, "lv-shared", cloud="bob", version="2.60")
    until(lambda: attached_servers(cloud, vol["id"], "in-use")() == set(vms),
          "the volume on both guests")
    # the test driver cannot hot-plug: the disk is in each guest's persistent
    # definition, which a stopped guest shows and a started one runs with
    for vm in vms:
        _power(cloud, vm, "os-stop", "SHUTOFF")
    _power(cloud, vms[0], "os-start", "ACTIVE")
    for vm in vms:
        (disk,) = _volume_disks(cloud, vm)
        assert disk.find("shareable") is not None
        assert disk.find("driver").get("cache") == "none"
        assert disk.find("source").get("file").endswith("volume-%s" % vol["id"])
        assert disk.find("serial").text == vol["id"]

    cloud.cli("server", "remove", "volume", vms[0], "lv-shared", cloud="bob",
              version="2.60")
    until(lambda: attached_servers(cloud, vol["id"], "in-use")() == {vms[1]},
          "the volume to stay on the second guest")
    until(lambda: http_ok(cloud, "GET", "/v2.1/servers/%s/os-volume_attachments"
                          % vms[0])["volumeAttachments"] == [], "the detach on the first")
    _power(cloud, vms[0], "os-stop", "SHUTOFF")
    assert _volume_disks(cloud, vms[0]) == []
    assert len(_volume_disks(cloud, vms[1])) == 1
