"""The Image API v2 subset at /image against an AllInOne (same fixture pattern as
tests/unit/api/compute/conftest.py)."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from tessera.api import policy
from tessera.api.compute import build_app
from tessera.deploy import AllInOne
from tests.support.api_cloud import ADMIN, ALICE, BOB, CIRROS, all_in_one

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}
OCTET = {"Content-Type": "application/octet-stream"}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AllInOne]:
    with all_in_one(tmp_path_factory.mktemp("aio"),
                    "img", ["nfv-2s-smt"]) as aio:
        yield aio


@pytest.fixture(scope="module")
def client(cloud: AllInOne) -> Iterator[TestClient]:
    policy.reset()
    yield TestClient(build_app(cloud.api), raise_server_exceptions=False)
    policy.reset()


def create(client: TestClient, headers: dict[str, str] = ALICE, **body) -> dict:
    body.setdefault("disk_format", "qcow2")
    body.setdefault("container_format", "bare")
    r = client.post("/image/v2/images", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_versions_document(client: TestClient) -> None:
    r = client.get("/image/")
    assert r.status_code == 200
    (version,) = r.json()["versions"]
    assert version["id"] == "v2.16" and version["links"][0]["href"].endswith("/image/v2/")


def test_builtin_images_are_seeded(client: TestClient) -> None:
    r = client.get("/image/v2/images", params={"name": "cirros"}, headers=ALICE)
    (img,) = r.json()["images"]
    assert img["id"] == CIRROS and img["status"] == "active"
    nfv = client.get("/image/v2/images/1b9a0b1e-0c38-4c6e-9a57-6f0d6d1c0003",
                     headers=ALICE).json()
    assert nfv["hw_cpu_policy"] == "dedicated"
    assert client.get("/image/v2/images/cirros", headers=ALICE).status_code == 404


def test_create_upload_download_round_trip(client: TestClient, cloud: AllInOne) -> None:
    img = create(client, name="rt", visibility="private", os_type="windows",
                 hw_qemu_guest_agent="yes")
    assert img["status"] == "queued" and img["owner"] == "p1"
    assert img["os_type"] == "windows" and img["size"] is None
    assert client.get("/image/v2/images/%s/file" % img["id"], headers=ALICE
                      ).status_code == 204
    data = bytes(range(256)) * 4099
    r = client.put("/image/v2/images/%s/file" % img["id"], content=data,
                   headers={**ALICE, **OCTET})
    assert r.status_code == 204, r.text
    shown = client.get("/image/v2/images/%s" % img["id"], headers=ALICE).json()
    assert shown["status"] == "active" and shown["size"] == len(data)
    assert shown["checksum"] == hashlib.md5(data).hexdigest()
    assert shown["os_hash_algo"] == "sha512"
    assert shown["os_hash_value"] == hashlib.sha512(data).hexdigest()
    r = client.get("/image/v2/images/%s/file" % img["id"], headers=ALICE)
    assert r.status_code == 200 and r.content == data
    assert r.headers["content-md5"] == shown["checksum"]
    # a second upload is refused; another project does not see a private image
    assert client.put("/image/v2/images/%s/file" % img["id"], content=b"x",
                      headers={**ALICE, **OCTET}).status_code == 409
    assert client.get("/image/v2/images/%s" % img["id"], headers=BOB).status_code == 404
    assert client.get("/image/v2/images/%s" % img["id"], headers=ADMIN).status_code == 200
    # delete removes the record and the file
    api_db = Path(cloud.api.router.api_db_url.split("sqlite:///", 1)[1])
    path = api_db.parent / "images" / img["id"]
    assert path.is_file()
    assert client.delete("/image/v2/images/%s" % img["id"], headers=ALICE
                         ).status_code == 204
    assert not path.exists()
    assert client.get("/image/v2/images/%s" % img["id"], headers=ALICE).status_code == 404
    assert client.delete("/image/v2/images/%s" % img["id"], headers=ALICE
                         ).status_code == 404


def test_list_filters_and_paging(client: TestClient) -> None:
    made = [create(client, headers=BOB, name="page-%d" % i, visibility="private")
            for i in range(5)]
    ids = {m["id"] for m in made}
    mine = [i for i in client.get("/image/v2/images", headers=BOB).json()["images"]
            if i["id"] in ids]
    assert len(mine) == 5
    r = client.get("/image/v2/images", params={"id": "in:%s,%s" % (made[0]["id"],
                                                                  made[1]["id"])},
                   headers=BOB)
    assert {i["id"] for i in r.json()["images"]} == {made[0]["id"], made[1]["id"]}
    assert [i["name"] for i in client.get("/image/v2/images", params={"name": "page-3"},
                                          headers=BOB).json()["images"]] == ["page-3"]
    queued = client.get("/image/v2/images", params={"status": "queued",
                                                    "visibility": "private"},
                        headers=BOB).json()["images"]
    assert {i["id"] for i in queued} == ids
    assert all(i["visibility"] == "public" for i in client.get(
        "/image/v2/images", params={"visibility": "public"}, headers=BOB
    ).json()["images"])
    # alice sees none of bob's private images
    assert not ids & {i["id"] for i in client.get("/image/v2/images",
                                                  headers=ALICE).json()["images"]}
    # paging: follow `next` until it is gone
    seen, url = [], "/image/v2/images?visibility=private&limit=2"
    while url:
        body = client.get("/image" + url if url.startswith("/v2") else url,
                          headers=BOB).json()
        assert len(body["images"]) <= 2
        seen += [i["id"] for i in body["images"]]
        url = body.get("next")
    assert sorted(seen) == sorted(ids) and len(seen) == 5
    assert client.get("/image/v2/images", params={"marker": "nope"},
                      headers=BOB).status_code == 400


def test_patch_properties(client: TestClient) -> None:
    img = create(client, name="p", hw_cpu_policy="dedicated")
    url = "/image/v2/images/%s" % img["id"]
    ops = [{"op": "add", "path": "/os_type", "value": "windows"},
           {"op": "add", "path": "/hw_mem_page_size", "value": "large"},
           {"op": "replace", "path": "/name", "value": "p2"},
           {"op": "remove", "path": "/hw_cpu_policy"}]
    r = client.patch(url, json=ops, headers={**ALICE, **PATCH})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["name"] == "p2" and body["os_type"] == "windows"
    assert body["hw_mem_page_size"] == "large" and "hw_cpu_policy" not in body
    r = client.patch(url, json=[{"op": "replace", "path": "/os_type", "value": "linux"}],
                     headers={**ALICE, **PATCH})
    assert r.json()["os_type"] == "linux"
    assert client.get(url, headers=ALICE).json()["os_type"] == "linux"
    # removing a missing property, read-only fields, wrong media type, other owner
    assert client.patch(url, json=[{"op": "remove", "path": "/nope"}],
                        headers={**ALICE, **PATCH}).status_code == 409
    assert client.patch(url, json=[{"op": "replace", "path": "/status", "value": "x"}],
                        headers={**ALICE, **PATCH}).status_code == 403
    assert client.patch(url, json=[], headers=ALICE).status_code == 415
    client.patch(url, json=[{"op": "replace", "path": "/visibility", "value": "public"}],
                 headers={**ALICE, **PATCH})
    assert client.patch(url, json=[{"op": "add", "path": "/a", "value": "b"}],
                        headers={**BOB, **PATCH}).status_code == 403


def test_bad_hw_properties_refused(client: TestClient) -> None:
    r = client.post("/image/v2/images", json={"name": "bad", "hw_mem_page_size": "huge"},
                    headers=ALICE)
    assert r.status_code == 400 and "hw_mem_page_size" in r.text
    r = client.post("/image/v2/images", json={"name": "bad", "hw_cpu_policy": "bogus"},
                    headers=ALICE)
    assert r.status_code == 400
    assert "hw_cpu_policy" in r.text and "shared, dedicated, mixed" in r.text
    img = create(client, name="ok")
    r = client.patch("/image/v2/images/%s" % img["id"],
                     json=[{"op": "add", "path": "/hw_cpu_policy", "value": "nope"}],
                     headers={**ALICE, **PATCH})
    assert r.status_code == 400 and "hw_cpu_policy" in r.text
    assert "hw_cpu_policy" not in client.get("/image/v2/images/%s" % img["id"],
                                             headers=ALICE).json()
    # non-placement hw_ keys and other properties pass through
    create(client, name="agent", hw_qemu_guest_agent="yes", hw_disk_bus="scsi")
    assert client.post("/image/v2/images", json={"visibility": "everyone"},
                       headers=ALICE).status_code == 400


def test_protected_image_cannot_be_deleted(client: TestClient) -> None:
    img = create(client, name="prot", protected=True)
    assert client.delete("/image/v2/images/%s" % img["id"], headers=ALICE
                         ).status_code == 403


def test_a_server_booted_from_a_stored_image_takes_its_placement_properties(
        client: TestClient, cloud: AllInOne) -> None:
    """hw_cpu_policy=dedicated on the image (the flavor leaves it open) pins the guest."""
    from tessera.objects import Flavor
    cloud.api.create_flavor(Flavor(flavorid="open.2", name="open.2", vcpus=2,
                                   memory_mb=2048, root_gb=1))
    img = create(client, name="pinned-by-image", hw_cpu_policy="dedicated")
    r = client.put("/image/v2/images/%s/file" % img["id"], content=b"disk",
                   headers={**ALICE, **OCTET})
    assert r.status_code == 204, r.text
    at_237 = {**ALICE, "X-OpenStack-Nova-API-Version": "2.37"}  # networks: "none"
    for ref in (img["id"], "pinned-by-image"):
        r = client.post("/v2.1/servers", headers=at_237, json={"server": {
            "name": "vm", "flavorRef": "open.2", "imageRef": ref, "networks": "none"}})
        assert r.status_code == 202, r.text
        uuid = r.json()["server"]["id"]
        spec = cloud.api.request_spec(uuid)
        assert spec.image.properties.get("hw_cpu_policy") == "dedicated"
        assert spec.numa_topology.pinned and spec.numa_topology.cells
    queued = create(client, name="not-uploaded")
    r = client.post("/v2.1/servers", headers=at_237, json={"server": {
        "name": "vm", "flavorRef": "open.2", "imageRef": queued["id"], "networks": "none"}})
    assert r.status_code == 400 and "not active" in r.text


def test_the_auth_middleware_guards_the_image_api(client: TestClient) -> None:
    """No token: 401 on /image/v2 (the version document stays public); the caller's
    project and role come from the middleware's context only."""
    assert client.get("/image/").status_code == 200
    r = client.get("/image/v2/images")
    assert r.status_code == 401
    assert client.post("/image/v2/images", json={"name": "anon"}).status_code == 401
    # identity headers sent by the client do not make an admin
    img = create(client, headers=BOB, name="bobs", visibility="private")
    forged = {**ALICE, "X-Roles": "admin", "X-Project-Id": "p2"}
    assert client.get("/image/v2/images/%s" % img["id"], headers=forged
                      ).status_code == 404
    assert client.delete("/image/v2/images/%s" % img["id"], headers=forged
                         ).status_code == 404
