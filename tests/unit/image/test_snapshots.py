"""Server snapshots (`createImage`) on the fake driver, through the Compute and Image
APIs of an AllInOne: the image a snapshot makes, what it inherits, the answer of
each microversion, the states that refuse it, and failures that leave the server
as it was and no image behind."""

from __future__ import annotations

import hashlib
import time
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from tessera.api import policy
from tessera.api.compute import build_app
from tessera.deploy import AllInOne
from tessera.objects import Flavor
from tests.support.api_cloud import ADMIN, ALICE, BOB, all_in_one

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

OCTET = {"Content-Type": "application/octet-stream"}
HOST = "nfv-2s-smt"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AllInOne]:
    small = Flavor(flavorid="small", name="small", vcpus=1, memory_mb=512, root_gb=1)
    with all_in_one(tmp_path_factory.mktemp("aio"), "snap", [HOST], [small]) as aio:
        yield aio


@pytest.fixture(scope="module")
def client(cloud: AllInOne) -> Iterator[TestClient]:
    policy.reset()
    quotas = {"instances": 100, "cores": 200, "ram": 100 * 1024}
    yield TestClient(build_app(cloud.api, quotas=quotas), raise_server_exceptions=False)
    policy.reset()


def v(version: str, headers: dict[str, str] = ALICE) -> dict[str, str]:
    return {**headers, "X-OpenStack-Nova-API-Version": version}


def image(client: TestClient, name: str, **props: str) -> str:
    r = client.post("/image/v2/images", headers=ALICE, json={
        "name": name, "disk_format": "raw", "container_format": "bare", **props})
    assert r.status_code == 201, r.text
    image_id = r.json()["id"]
    r = client.put("/image/v2/images/%s/file" % image_id, content=b"base disk",
                   headers={**ALICE, **OCTET})
    assert r.status_code == 204, r.text
    return image_id


def server(client: TestClient, image_id: str, name: str = "vm",
           **extra: Any) -> str:
    r = client.post("/v2.1/servers", headers=v("2.37"), json={"server": {
        "name": name, "imageRef": image_id, "flavorRef": "small", "networks": "none",
        **extra}})
    assert r.status_code == 202, r.text
    return r.json()["server"]["id"]


def settled(client: TestClient, uuid: str, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get("/v2.1/servers/%s" % uuid, headers=ALICE).json()["server"]
        if body["status"] != "BUILD" and body["OS-EXT-STS:task_state"] is None:
            return body
        assert time.monotonic() < deadline, "server %s stayed %s" % (uuid, body)
        time.sleep(0.02)


def snapshot(client: TestClient, uuid: str, version: str = "2.45",
             headers: dict[str, str] = ALICE, **body: Any) -> Any:
    body.setdefault("name", "snap")
    return client.post("/v2.1/servers/%s/action" % uuid, headers=v(version, headers),
                       json={"createImage": body})


def image_when_done(client: TestClient, image_id: str, headers: dict[str, str] = ALICE,
                    timeout: float = 20) -> dict[str, Any] | None:
    """The image once it is active, or None once it is gone."""
    deadline = time.monotonic() + timeout
    while True:
        r = client.get("/image/v2/images/%s" % image_id, headers=headers)
        if r.status_code == 404:
            return None
        if r.json()["status"] == "active":
            return r.json()
        assert time.monotonic() < deadline, "image %s stayed %s" % (image_id, r.json())
        time.sleep(0.02)


@pytest.fixture(scope="module")
def windows(client: TestClient) -> str:
    return image(client, "win", os_type="windows", hw_qemu_guest_agent="yes",
                 os_require_quiesce="yes", hw_cpu_policy="dedicated",
                 img_signature="c2lnbmF0dXJl", site="lab")


def test_a_snapshot_becomes_an_active_image_with_the_server_image_properties(
        client: TestClient, windows: str) -> None:
    uuid = server(client, windows)
    assert settled(client, uuid)["status"] == "ACTIVE"
    r = snapshot(client, uuid, name="win-snap", metadata={"purpose": "backup"})
    assert r.status_code == 202, r.text
    assert "location" not in r.headers
    image_id = r.json()["image_id"]
    made = image_when_done(client, image_id)
    assert made is not None
    assert made["name"] == "win-snap" and made["owner"] == "p1"
    assert made["visibility"] == "private"
    assert made["disk_format"] == "raw" and made["container_format"] == "bare"
    assert made["base_image_ref"] == windows and made["instance_uuid"] == uuid
    assert made["image_type"] == "snapshot" and made["user_id"] == "alice"
    assert made["os_type"] == "windows" and made["hw_qemu_guest_agent"] == "yes"
    assert made["os_require_quiesce"] == "yes" and made["hw_cpu_policy"] == "dedicated"
    assert made["site"] == "lab" and made["purpose"] == "backup"
    assert "img_signature" not in made
    data = client.get("/image/v2/images/%s/file" % image_id, headers=ALICE).content
    assert made["size"] == len(data) and made["checksum"] == hashlib.md5(data).hexdigest()
    assert made["os_hash_algo"] == "sha512"
    assert made["os_hash_value"] == hashlib.sha512(data).hexdigest()
    assert b"tessera fake snapshot" in data and uuid.encode() in data
    assert b"quiesced True" in data  # the agent froze the guest
    after = settled(client, uuid)
    assert after["status"] == "ACTIVE" and after["OS-EXT-STS:task_state"] is None
    # the snapshot boots like any image and keeps steering placement
    again = server(client, image_id, name="from-snap")
    assert settled(client, again)["status"] == "ACTIVE"


def test_before_2_45_the_image_is_in_the_location_header(client: TestClient,
                                                          windows: str) -> None:
    uuid = server(client, windows)
    settled(client, uuid)
    r = snapshot(client, uuid, version="2.44")
    assert r.status_code == 202 and r.content == b""
    location = r.headers["location"]
    assert "/image/v2/images/" in location
    image_id = location.rsplit("/", 1)[1]
    assert image_when_done(client, image_id) is not None


def test_a_stopped_server_is_snapshotted_without_a_freeze(client: TestClient,
                                                          windows: str) -> None:
    uuid = server(client, windows)
    settled(client, uuid)
    r = client.post("/v2.1/servers/%s/action" % uuid, headers=ALICE,
                    json={"os-stop": None})
    assert r.status_code == 202
    assert settled(client, uuid)["status"] == "SHUTOFF"
    image_id = snapshot(client, uuid).json()["image_id"]
    made = image_when_done(client, image_id)
    assert made is not None
    data = client.get("/image/v2/images/%s/file" % image_id, headers=ALICE).content
    assert b"quiesced False" in data
    assert settled(client, uuid)["status"] == "SHUTOFF"


def _action_of(client: TestClient, uuid: str, name: str) -> dict[str, Any]:
    actions = client.get("/v2.1/servers/%s/os-instance-actions" % uuid,
                         headers=ALICE).json()["instanceActions"]
    return next(a for a in actions if a["action"] == name)


@pytest.mark.parametrize("props, metadata, why", [
    ({"os_require_quiesce": "yes"}, {}, "does not enable the QEMU guest agent"),
    ({"os_require_quiesce": "yes", "hw_qemu_guest_agent": "yes"},
     {"fake_fail_quiesce": "1"}, "guest agent did not answer"),
])
def test_a_required_quiesce_that_fails_leaves_no_image(
        client: TestClient, props: dict[str, str], metadata: dict[str, str],
        why: str) -> None:
    base = image(client, "needs-quiesce-%d" % len(metadata), **props)
    uuid = server(client, base, metadata=metadata)
    settled(client, uuid)
    before = {i["id"] for i in client.get("/image/v2/images",
                                          headers=ALICE).json()["images"]}
    r = snapshot(client, uuid, name="never")
    assert r.status_code == 202
    image_id = r.json()["image_id"]
    assert image_when_done(client, image_id) is None
    after = settled(client, uuid)
    assert after["status"] == "ACTIVE" and after["OS-EXT-STS:task_state"] is None
    assert {i["id"] for i in client.get("/image/v2/images",
                                        headers=ALICE).json()["images"]} == before
    action = _action_of(client, uuid, "createImage")
    assert "os_require_quiesce" in action["message"] and why in action["message"]


def test_a_quiesce_that_is_only_tried_does_not_fail(client: TestClient) -> None:
    base = image(client, "agent-only", hw_qemu_guest_agent="yes")
    uuid = server(client, base, metadata={"fake_fail_quiesce": "1"})
    settled(client, uuid)
    image_id = snapshot(client, uuid).json()["image_id"]
    assert image_when_done(client, image_id) is not None
    data = client.get("/image/v2/images/%s/file" % image_id, headers=ALICE).content
    assert b"quiesced False" in data


def test_a_driver_failure_deletes_the_image_and_records_a_fault(
        client: TestClient, cloud: AllInOne, windows: str) -> None:
    uuid = server(client, windows)
    settled(client, uuid)
    cloud.computes()[HOST].driver.inject_failure("snapshot")
    image_id = snapshot(client, uuid).json()["image_id"]
    assert image_when_done(client, image_id) is None
    assert settled(client, uuid)["status"] == "ACTIVE"
    fault = cloud.api.fault(uuid)
    assert fault is not None and "injected snapshot failure" in fault.message
    assert "injected snapshot failure" in _action_of(client, uuid,
                                                     "createImage")["message"]


def test_states_and_bad_requests_are_refused_and_create_nothing(
        client: TestClient, cloud: AllInOne, windows: str) -> None:
    count = len(client.get("/image/v2/images", headers=ADMIN).json()["images"])
    uuid = server(client, windows)
    settled(client, uuid)
    url = "/v2.1/servers/%s/action" % uuid
    for body, expect in [({"createImage": {}}, "name"),
                         ({"createImage": {"name": " padded"}}, "name"),
                         ({"createImage": {"name": "x", "metadata": "no"}}, "metadata"),
                         ({"createImage": {"name": "x", "metadata": {"k": 1}}}, "metadata"),
                         ({"createImage": {"name": "x", "metadata": {"status": "x"}}},
                          "status"),
                         ({"createImage": {"name": "x", "extra": 1}}, "createImage"),
                         ({"createImage": {"name": "x", "metadata": {
                             "hw_cpu_policy": "bogus"}}}, "hw_cpu_policy")]:
        r = client.post(url, json=body, headers=ALICE)
        assert r.status_code == 400, (body, r.text)
        assert expect in r.json()["badRequest"]["message"]
    assert snapshot(client, uuid, headers=BOB).status_code == 404
    # a snapshot in progress: a second one is a 409 until the first is done
    driver = cloud.computes()[HOST].driver
    driver.delay = 0.5
    try:
        first = snapshot(client, uuid)
        assert first.status_code == 202
        second = snapshot(client, uuid)
        assert second.status_code == 409
        assert "task_state image_" in second.json()["conflictingRequest"]["message"]
    finally:
        driver.delay = 0.0
    assert image_when_done(client, first.json()["image_id"]) is not None
    # a server in ERROR cannot be snapshotted
    broken = server(client, windows, name="broken", metadata={"fake_fail_spawn": "*"})
    assert settled(client, broken)["status"] == "ERROR"
    r = snapshot(client, broken)
    assert r.status_code == 409 and "vm_state error" in r.text
    images = client.get("/image/v2/images", headers=ADMIN).json()["images"]
    assert len(images) == count + 1   # only the one snapshot that was taken


def test_an_admin_snapshot_of_another_project_is_shared(client: TestClient,
                                                        windows: str) -> None:
    uuid = server(client, windows)
    settled(client, uuid)
    image_id = snapshot(client, uuid, headers=ADMIN).json()["image_id"]
    made = image_when_done(client, image_id, headers=ADMIN)
    assert made is not None
    assert made["owner"] == "admin" and made["visibility"] == "shared"
    assert made["instance_owner"] == "p1" and made["user_id"] == "admin"


def test_a_snapshot_cut_short_by_a_compute_restart_is_cleaned_up(
        client: TestClient, cloud: AllInOne, windows: str) -> None:
    """The compute service stopped while a snapshot was uploading: when it starts
    again the server's task is cleared, the unfinished image deleted and the open
    createImage action closed as an error; finished images are kept."""
    from tessera.db.api import server_queries as sq
    from tessera.db.cell import instances as inst_q
    from tessera.image import service as svc
    from tessera.objects import TaskState

    uuid = server(client, windows)
    settled(client, uuid)
    done = snapshot(client, uuid, name="done").json()["image_id"]
    assert image_when_done(client, done) is not None
    with cloud.api.router.api() as s:
        left = svc.create_image(s, svc.Image(
            id="00000000-0000-0000-0000-00000000c0de", name="left", status="saving",
            owner="p1", properties={"image_type": "snapshot", "instance_uuid": uuid}))
        sq.start_action(s, sq.InstanceAction(
            instance_uuid=uuid, request_id="req-cut-short", action="createImage",
            project_id="p1", user_id="alice",
            events=(sq.InstanceActionEvent(event="api_createImage"),)))
    with cloud.api.router.cell_db(cloud.api.router.cell_of_instance(uuid)) as s:
        inst_q.save_instance(s, cloud.api.get(uuid).model_copy(update={
            "task_state": TaskState.IMAGE_UPLOADING}))
    assert snapshot(client, uuid).status_code == 409
    cloud.computes()[HOST].init_host()
    after = settled(client, uuid)
    assert after["status"] == "ACTIVE" and after["OS-EXT-STS:task_state"] is None
    assert client.get("/image/v2/images/%s" % left.id, headers=ALICE).status_code == 404
    assert client.get("/image/v2/images/%s" % done, headers=ALICE).status_code == 200
    assert "interrupted" in cloud.api.fault(uuid).message
    r = client.get("/v2.1/servers/%s/os-instance-actions/req-cut-short" % uuid,
                   headers=ADMIN)
    assert "interrupted" in r.json()["instanceAction"]["message"]
    assert r.json()["instanceAction"]["events"][0]["result"] == "Error"
