"""Volumes attached to servers through the Compute API (os-volume_attachments) and the
Block Storage API, on an all-in-one (SQLite, fake:// RPC, fake hosts): Nova's
microversion and in-use rules, detach by attachment, rollback of a failed driver
attach, and a deleted server releasing its attachments."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tessera.api import policy
from tessera.api.compute import build_app
from tessera.deploy import AllInOne
from tessera.objects import Flavor
from tests.support.api_cloud import ADMIN, ALICE, BOB, CIRROS, all_in_one

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

VOL = {"OpenStack-API-Version": "volume 3.59"}
SMALL = Flavor(flavorid="vol.small", name="vol.small", vcpus=1, memory_mb=512, root_gb=1)


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AllInOne]:
    with all_in_one(tmp_path_factory.mktemp("aio"),
                    "vol", ["nfv-2s-smt", "nfv-4n-nosmt"], [SMALL]) as aio:
        yield aio


@pytest.fixture(scope="module")
def client(cloud: AllInOne) -> Iterator[TestClient]:
    policy.reset()
    app = build_app(cloud.api, quotas={"instances": 100, "cores": 200, "ram": 512000})
    yield TestClient(app, raise_server_exceptions=False)
    policy.reset()


@pytest.fixture(scope="module")
def multi_type(client: TestClient) -> str:
    r = client.post("/volume/v3/types", json={"volume_type": {"name": "shared"}},
                    headers={**ADMIN, **VOL})
    assert r.status_code == 200, r.text
    type_id = r.json()["volume_type"]["id"]
    r = client.post("/volume/v3/types/%s/extra_specs" % type_id,
                    json={"extra_specs": {"multiattach": "<is> True"}},
                    headers={**ADMIN, **VOL})
    assert r.status_code == 200, r.text
    return type_id


def until(check: Callable[[], Any], what: str, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.02)


def boot(client: TestClient, name: str, headers: dict[str, str] = ALICE,
         **extra: Any) -> str:
    r = client.post("/v2.1/servers", json={"server": {
        "name": name, "imageRef": CIRROS, "flavorRef": "vol.small", **extra}},
        headers=headers)
    assert r.status_code == 202, r.text
    uuid = r.json()["server"]["id"]

    def active() -> bool:
        body = client.get("/v2.1/servers/" + uuid, headers=headers).json()["server"]
        assert body["status"] != "ERROR", body
        return body["status"] == "ACTIVE" and body["OS-EXT-STS:task_state"] is None
    until(active, "server %s to be ACTIVE" % name)
    return uuid


def volume(client: TestClient, name: str, type_id: str | None = None,
           headers: dict[str, str] = ALICE) -> str:
    body: dict[str, Any] = {"size": 1, "name": name}
    if type_id:
        body["volume_type"] = type_id
    r = client.post("/volume/v3/volumes", json={"volume": body}, headers={**headers, **VOL})
    assert r.status_code == 202, r.text
    assert r.json()["volume"]["status"] == "available"
    return r.json()["volume"]["id"]


def show_volume(client: TestClient, volume_id: str,
                headers: dict[str, str] = ALICE) -> dict[str, Any]:
    r = client.get("/volume/v3/volumes/" + volume_id, headers={**headers, **VOL})
    assert r.status_code == 200, r.text
    return r.json()["volume"]


def attach(client: TestClient, server: str, volume_id: str, version: str = "2.60",
           headers: dict[str, str] = ALICE) -> Any:
    return client.post("/v2.1/servers/%s/os-volume_attachments" % server,
                       json={"volumeAttachment": {"volumeId": volume_id}},
                       headers={**headers, "X-OpenStack-Nova-API-Version": version})


def wait_volume(client: TestClient, volume_id: str, status: str,
                servers: set[str] | None = None) -> dict[str, Any]:
    def settled() -> dict[str, Any] | None:
        vol = show_volume(client, volume_id)
        attached = {a["server_id"] for a in vol["attachments"]}
        if vol["status"] == status and (servers is None or attached == servers):
            return vol
        return None
    return until(settled, "volume %s to be %s on %s" % (volume_id, status, servers))


def fake_driver(cloud: AllInOne, server: str) -> Any:
    host = cloud.api.get(server).host
    return cloud.computes()[host].driver


def test_multiattach_volume_on_two_servers_detach_one(client: TestClient,
                                                      cloud: AllInOne,
                                                      multi_type: str) -> None:
    vm1, vm2 = boot(client, "m1"), boot(client, "m2")
    vol = volume(client, "shared-1", multi_type)
    r = attach(client, vm1, vol)
    assert r.status_code == 200, r.text
    assert r.json()["volumeAttachment"] == {"device": "/dev/vdb", "id": vol,
                                            "serverId": vm1, "volumeId": vol}
    wait_volume(client, vol, "in-use", {vm1})
    assert attach(client, vm2, vol).status_code == 200
    shown = wait_volume(client, vol, "in-use", {vm1, vm2})
    ids = {a["server_id"]: a["attachment_id"] for a in shown["attachments"]}
    assert len(set(ids.values())) == 2
    assert list(fake_driver(cloud, vm2).volumes_of(vm2).values()) == [vol]

    r = client.delete("/v2.1/servers/%s/os-volume_attachments/%s" % (vm1, vol),
                      headers=ALICE)
    assert r.status_code == 202, r.text
    after = wait_volume(client, vol, "in-use", {vm2})
    assert after["attachments"][0]["attachment_id"] == ids[vm2]
    until(lambda: fake_driver(cloud, vm1).volumes_of(vm1) == {} and client.get(
        "/v2.1/servers/%s/os-volume_attachments" % vm1,
        headers=ALICE).json()["volumeAttachments"] == [], "the detach on vm1's host")
    assert fake_driver(cloud, vm2).volumes_of(vm2) == {ids[vm2]: vol}
    manager = cloud.computes()[cloud.api.get(vm2).host]
    manager.attach_volume(None, vm2, ids[vm2])   # a repeated message changes nothing
    manager.detach_volume(None, vm2, ids[vm2])   # nor does a detach nobody asked for
    assert fake_driver(cloud, vm2).volumes_of(vm2) == {ids[vm2]: vol}
    assert show_volume(client, vol)["status"] == "in-use"

    def attached(vm: str, version: str = "2.1") -> list[dict]:
        r = client.get("/v2.1/servers/" + vm, headers={
            **ALICE, "X-OpenStack-Nova-API-Version": version})
        return r.json()["server"]["os-extended-volumes:volumes_attached"]
    assert attached(vm1) == [] and attached(vm2) == [{"id": vol}]
    assert attached(vm2, "2.3") == [{"id": vol, "delete_on_termination": False}]
    listed = {s["id"]: s["os-extended-volumes:volumes_attached"] for s in client.get(
        "/v2.1/servers/detail", headers=ALICE).json()["servers"]}
    assert listed[vm2] == [{"id": vol}] and listed[vm1] == []
    listed = client.get("/v2.1/servers/%s/os-volume_attachments" % vm2,
                        headers=ALICE).json()["volumeAttachments"]
    assert [a["volumeId"] for a in listed] == [vol]
    assert client.get("/v2.1/servers/%s/os-volume_attachments" % vm1,
                      headers=ALICE).json()["volumeAttachments"] == []
    r = client.get("/v2.1/servers/%s/os-volume_attachments/%s" % (vm1, vol), headers=ALICE)
    assert r.status_code == 404
    assert "is not attached to volume" in r.json()["itemNotFound"]["message"]


def test_multiattach_needs_2_60(client: TestClient, multi_type: str) -> None:
    vm = boot(client, "old-client")
    vol = volume(client, "shared-old", multi_type)
    r = attach(client, vm, vol, version="2.59")
    assert r.status_code == 400
    assert r.json()["badRequest"]["message"] == (
        "Multiattach volumes are only supported starting with compute API version 2.60.")
    assert show_volume(client, vol)["status"] == "available"


def test_in_use_volume_that_is_not_multiattach_is_refused(client: TestClient,
                                                         cloud: AllInOne) -> None:
    vm1, vm2 = boot(client, "s1"), boot(client, "s2")
    vol = volume(client, "single")
    assert attach(client, vm1, vol).status_code == 200
    wait_volume(client, vol, "in-use", {vm1})
    r = attach(client, vm2, vol)
    assert r.status_code == 400
    message = r.json()["badRequest"]["message"]
    assert "status must be available to reserve" in message and "in-use" in message
    again = attach(client, vm1, vol)
    assert again.status_code == 400
    assert "already attached" in again.json()["badRequest"]["message"]
    r = client.delete("/volume/v3/volumes/" + vol, headers={**ALICE, **VOL})
    assert r.status_code == 400   # attached volumes are not deleted
    assert show_volume(client, vol)["status"] == "in-use"
    driver = fake_driver(cloud, vm1)
    driver.delay = 0.5            # a slow host: the second detach finds it detaching
    try:
        path = "/v2.1/servers/%s/os-volume_attachments/%s" % (vm1, vol)
        assert client.delete(path, headers=ALICE).status_code == 202
        again = client.delete(path, headers=ALICE)
        assert again.status_code == 400 and "detaching" in again.text
        wait_volume(client, vol, "available", set())
    finally:
        driver.delay = 0


def test_failing_driver_attach_leaves_no_attachment(client: TestClient,
                                                    cloud: AllInOne) -> None:
    vm = boot(client, "flaky", metadata={"fake_fail_attach": "*"})
    vol = volume(client, "victim")
    r = attach(client, vm, vol)
    assert r.status_code == 200, r.text
    wait_volume(client, vol, "available", set())
    until(lambda: client.get("/v2.1/servers/%s/os-volume_attachments" % vm,
                             headers=ALICE).json()["volumeAttachments"] == [],
          "the block device mapping to go")
    r = client.get("/volume/v3/attachments?volume_id=" + vol,
                   headers={**ALICE, "OpenStack-API-Version": "volume 3.27"})
    assert r.json()["attachments"] == []
    assert fake_driver(cloud, vm).volumes_of(vm) == {}
    # the same volume then attaches to a healthy server
    ok = boot(client, "healthy")
    assert attach(client, ok, vol).status_code == 200
    wait_volume(client, vol, "in-use", {ok})


def test_injected_driver_failure_rolls_back_a_multiattach_volume(
        client: TestClient, cloud: AllInOne, multi_type: str) -> None:
    vm1, vm2 = boot(client, "r1"), boot(client, "r2")
    vol = volume(client, "shared-rb", multi_type)
    assert attach(client, vm1, vol).status_code == 200
    wait_volume(client, vol, "in-use", {vm1})
    fake_driver(cloud, vm2).inject_failure("attach_volume")
    assert attach(client, vm2, vol).status_code == 200
    until(lambda: client.get("/v2.1/servers/%s/os-volume_attachments" % vm2,
                             headers=ALICE).json()["volumeAttachments"] == [],
          "the failed mapping to go")
    vol_now = wait_volume(client, vol, "in-use", {vm1})
    assert len(vol_now["attachments"]) == 1


def test_deleting_a_server_releases_its_attachments(client: TestClient,
                                                    multi_type: str) -> None:
    vm1, vm2 = boot(client, "d1"), boot(client, "d2")
    shared, single = volume(client, "shared-del", multi_type), volume(client, "solo-del")
    for vm in (vm1, vm2):
        assert attach(client, vm, shared).status_code == 200
        wait_volume(client, shared, "in-use")
    assert attach(client, vm1, single).status_code == 200
    wait_volume(client, single, "in-use", {vm1})
    wait_volume(client, shared, "in-use", {vm1, vm2})
    assert client.delete("/v2.1/servers/" + vm1, headers=ALICE).status_code == 204
    wait_volume(client, single, "available", set())
    wait_volume(client, shared, "in-use", {vm2})


def test_other_projects_volumes_and_bad_requests(client: TestClient) -> None:
    vm = boot(client, "mine")
    theirs = volume(client, "bobs", headers=BOB)
    r = attach(client, vm, theirs)
    assert r.status_code == 404
    r = client.post("/v2.1/servers/%s/os-volume_attachments" % vm,
                    json={"volumeAttachment": {"volumeId": theirs, "bogus": 1}},
                    headers=ALICE)
    assert r.status_code == 400
    r = client.delete("/v2.1/servers/%s/os-volume_attachments/%s" % (vm, theirs),
                      headers=ALICE)
    assert r.status_code == 404


def test_a_stopped_server_takes_volumes_a_building_one_does_not(
        client: TestClient) -> None:
    vm = boot(client, "stopper")
    assert client.post("/v2.1/servers/%s/action" % vm, json={"os-stop": None},
                       headers=ALICE).status_code == 202
    until(lambda: client.get("/v2.1/servers/" + vm, headers=ALICE).json()["server"][
        "status"] == "SHUTOFF", "server to stop")
    vol = volume(client, "cold")
    assert attach(client, vm, vol).status_code == 200
    wait_volume(client, vol, "in-use", {vm})
