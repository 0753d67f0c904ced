"""The Block Storage API v3 subset at /volume against an all-in-one (SQLite): version
documents and the microversion header, volume types and extra specs (admin only),
volumes with filters, project isolation and status rules, sparse files, and the
attachments API's reserve -> connect -> complete -> delete flow."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from tessera.api import policy
from tessera.api.compute import build_app
from tessera.deploy import AllInOne
from tessera.volume.store import GIB
from tests.support.api_cloud import all_in_one

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

V = {"OpenStack-API-Version": "volume 3.59"}
ADMIN = {"X-Auth-Token": "admin:admin", **V}
ALICE = {"X-Auth-Token": "alice:p1", **V}
BOB = {"X-Auth-Token": "bob:p2", **V}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AllInOne]:
    with all_in_one(tmp_path_factory.mktemp("aio"),
                    "volapi", ["nfv-2s-smt"]) as aio:
        yield aio


@pytest.fixture(scope="module")
def client(cloud: AllInOne) -> Iterator[TestClient]:
    policy.reset()
    yield TestClient(build_app(cloud.api), raise_server_exceptions=False)
    policy.reset()


def create(client: TestClient, headers: dict[str, str] = ALICE, **body) -> dict:
    body.setdefault("size", 1)
    r = client.post("/volume/v3/volumes", json={"volume": body}, headers=headers)
    assert r.status_code == 202, r.text
    return r.json()["volume"]


def make_type(client: TestClient, name: str, **specs: str) -> str:
    r = client.post("/volume/v3/types", json={"volume_type": {
        "name": name, "extra_specs": specs}}, headers=ADMIN)
    assert r.status_code == 200, r.text
    return r.json()["volume_type"]["id"]


def test_version_documents_and_header(client: TestClient) -> None:
    for path in ("/volume/v3", "/volume/v3/"):
        doc = client.get(path).json()["version"]
        assert (doc["min_version"], doc["version"]) == ("3.0", "3.59")
        assert doc["links"][0]["href"].endswith("/volume/v3/")
    assert client.get("/volume/").json()["versions"][0]["id"] == "v3.0"
    r = client.get("/volume/v3/types", headers=ALICE)
    assert r.headers["OpenStack-API-Version"] == "volume 3.59"
    r = client.get("/volume/v3/types", headers={**ALICE, "OpenStack-API-Version":
                                                "volume latest"})
    assert r.headers["OpenStack-API-Version"] == "volume 3.59"
    r = client.get("/volume/v3/types", headers={"X-Auth-Token": "alice:p1"})
    assert r.headers["OpenStack-API-Version"] == "volume 3.0"
    r = client.get("/volume/v3/types", headers={**ALICE, "OpenStack-API-Version":
                                                "volume 3.99"})
    assert r.status_code == 406
    r = client.get("/volume/v3/types", headers={**ALICE, "OpenStack-API-Version":
                                                "volume 3.x"})
    assert r.status_code == 400
    assert client.get("/volume/v3/types").status_code == 401
    missing = client.get("/volume/v3/volumes/nope", headers=ALICE)
    assert missing.status_code == 404
    assert missing.headers["OpenStack-API-Version"] == "volume 3.59"
    assert missing.json()["itemNotFound"]["message"] == "Volume nope could not be found."


def test_types_and_extra_specs(client: TestClient) -> None:
    type_id = make_type(client, "fast")
    r = client.post("/volume/v3/types/%s/extra_specs" % type_id,
                    json={"extra_specs": {"multiattach": "<is> True"}}, headers=ADMIN)
    assert r.json() == {"extra_specs": {"multiattach": "<is> True"}}
    shown = client.get("/volume/v3/types/" + type_id, headers=ALICE).json()["volume_type"]
    assert shown["name"] == "fast" and shown["extra_specs"] == {"multiattach": "<is> True"}
    assert client.get("/volume/v3/types/fast", headers=ALICE).status_code == 404
    assert client.get("/volume/v3/types/default", headers=ALICE).json()[
        "volume_type"]["name"] == "__DEFAULT__"
    names = {t["name"] for t in client.get("/volume/v3/types", headers=ALICE).json()[
        "volume_types"]}
    assert {"fast", "__DEFAULT__"} <= names
    r = client.post("/volume/v3/types", json={"volume_type": {"name": "mine"}},
                    headers=ALICE)
    assert r.status_code == 403 and "types_manage" in r.json()["forbidden"]["message"]
    r = client.post("/volume/v3/types", json={"volume_type": {"name": "fast"}},
                    headers=ADMIN)
    assert r.status_code == 409
    r = client.put("/volume/v3/types/%s/extra_specs/tier" % type_id,
                   json={"tier": "gold"}, headers=ADMIN)
    assert r.json() == {"tier": "gold"}
    assert client.get("/volume/v3/types/%s/extra_specs/tier" % type_id,
                      headers=ALICE).json() == {"tier": "gold"}
    assert client.delete("/volume/v3/types/%s/extra_specs/tier" % type_id,
                         headers=ADMIN).status_code == 202
    assert client.get("/volume/v3/types/%s/extra_specs/tier" % type_id,
                      headers=ALICE).status_code == 404
    vol = create(client, volume_type="fast", name="typed")
    assert vol["volume_type"] == "fast" and vol["multiattach"] is True
    r = client.delete("/volume/v3/types/" + type_id, headers=ADMIN)
    assert r.status_code == 400 and "still in use" in r.json()["badRequest"]["message"]
    assert client.delete("/volume/v3/volumes/" + vol["id"], headers=ALICE).status_code == 202
    assert client.delete("/volume/v3/types/" + type_id, headers=ADMIN).status_code == 202


def test_volume_create_is_a_sparse_file(client: TestClient, cloud: AllInOne) -> None:
    vol = create(client, size=2, name="data", description="d", metadata={"k": "v"})
    assert vol["status"] == "available" and vol["size"] == 2
    assert vol["volume_type"] == "__DEFAULT__" and vol["multiattach"] is False
    assert vol["os-vol-tenant-attr:tenant_id"] == "p1" and vol["metadata"] == {"k": "v"}
    assert "os-vol-host-attr:host" not in vol   # admins only
    path = Path(cloud.settings.api_db.split("///")[1]).parent / "volumes" / (
        "volume-%s" % vol["id"])
    assert path.stat().st_size == 2 * GIB
    assert path.stat().st_blocks * 512 < 1 << 20
    assert client.delete("/volume/v3/volumes/" + vol["id"], headers=ALICE).status_code == 202
    assert not path.exists()
    assert client.get("/volume/v3/volumes/" + vol["id"], headers=ALICE).status_code == 404


@pytest.mark.parametrize("body, message", [
    ({"size": 0}, "greater than 0"),
    ({"size": "big"}, "must be an integer"),
    ({"name": "no-size"}, "size is required"),
    ({"size": 1, "volume_type": "nope"}, "could not be found"),
    ({"size": 1, "snapshot_id": "abc"}, "not supported"),
    ({"size": 1, "multiattach": True}, "does not say"),
])
def test_bad_volume_requests(client: TestClient, body: dict, message: str) -> None:
    r = client.post("/volume/v3/volumes", json={"volume": body}, headers=ALICE)
    assert r.status_code in (400, 404), r.text
    assert message in r.text
    names = [v["name"] for v in client.get("/volume/v3/volumes", headers=ALICE).json()[
        "volumes"]]
    assert "no-size" not in names


def test_list_filters_update_and_projects(client: TestClient) -> None:
    a = create(client, name="alpha")
    b = create(client, name="beta")
    theirs = create(client, headers=BOB, name="alpha")
    listed = client.get("/volume/v3/volumes", params={"name": "alpha"},
                        headers=ALICE).json()["volumes"]
    assert [v["id"] for v in listed] == [a["id"]] and set(listed[0]) == {"id", "name",
                                                                         "links"}
    detail = client.get("/volume/v3/volumes/detail", params={"status": "available"},
                        headers=ALICE).json()["volumes"]
    assert {a["id"], b["id"]} <= {v["id"] for v in detail}
    assert theirs["id"] not in {v["id"] for v in detail}
    assert client.get("/volume/v3/volumes/" + theirs["id"], headers=ALICE).status_code == 404
    every = client.get("/volume/v3/volumes", params={"all_tenants": "1", "name": "alpha"},
                       headers=ADMIN).json()["volumes"]
    assert {v["id"] for v in every} == {a["id"], theirs["id"]}
    r = client.get("/volume/v3/abcdef12/volumes", headers=ALICE)
    assert r.status_code == 400    # a project in the URL must be the caller's
    r = client.get("/volume/v3/p1/volumes/detail", headers=ALICE)
    assert r.status_code == 200 and {a["id"], b["id"]} <= {v["id"] for v in
                                                           r.json()["volumes"]}
    r = client.put("/volume/v3/volumes/" + a["id"], json={"volume": {
        "name": "alpha2", "description": "renamed"}}, headers=ALICE)
    assert r.json()["volume"]["name"] == "alpha2"
    page = client.get("/volume/v3/volumes", params={"limit": 1}, headers=ALICE).json()
    assert len(page["volumes"]) == 1
    for vol, who in ((a, ALICE), (b, ALICE), (theirs, BOB)):
        client.delete("/volume/v3/volumes/" + vol["id"], headers=who)


def test_attachments_flow_and_status(client: TestClient) -> None:
    vol = create(client, name="att")
    old = client.post("/volume/v3/attachments", json={"attachment": {
        "volume_uuid": vol["id"], "instance_uuid": "i-1"}},
        headers={**ALICE, "OpenStack-API-Version": "volume 3.26"})
    assert old.status_code == 404
    r = client.post("/volume/v3/attachments", json={"attachment": {
        "volume_uuid": vol["id"], "instance_uuid": "i-1"}}, headers=ALICE)
    assert r.status_code == 200, r.text
    att = r.json()["attachment"]
    assert att["status"] == "reserved" and att["connection_info"] == {}

    def status() -> str:
        return client.get("/volume/v3/volumes/" + vol["id"], headers=ALICE).json()[
            "volume"]["status"]
    assert status() == "reserved"
    second = client.post("/volume/v3/attachments", json={"attachment": {
        "volume_uuid": vol["id"], "instance_uuid": "i-2"}}, headers=ALICE)
    assert second.status_code == 400 and "reserved" in second.text
    r = client.put("/volume/v3/attachments/" + att["id"], json={"attachment": {
        "connector": {"host": "h1", "mountpoint": "/dev/vdb"}}}, headers=ALICE)
    info = r.json()["attachment"]["connection_info"]
    assert r.json()["attachment"]["status"] == "attached"
    assert info["driver_volume_type"] == "file"
    assert info["data"]["device_path"].endswith("volume-" + vol["id"])
    assert status() == "attaching"
    assert client.post("/volume/v3/attachments/%s/action" % att["id"],
                       json={"os-complete": None}, headers=ALICE).status_code == 204
    shown = client.get("/volume/v3/volumes/" + vol["id"], headers=ALICE).json()["volume"]
    assert shown["status"] == "in-use"
    assert shown["attachments"][0]["attachment_id"] == att["id"]
    assert shown["attachments"][0]["host_name"] == "h1"
    listed = client.get("/volume/v3/attachments", headers=ALICE).json()["attachments"]
    assert [a["id"] for a in listed if a["volume_id"] == vol["id"]] == [att["id"]]
    assert client.get("/volume/v3/attachments/" + att["id"],
                      headers=BOB).status_code == 404
    r = client.delete("/volume/v3/attachments/" + att["id"], headers=ALICE)
    assert r.status_code == 200 and r.json() == {"attachments": []}
    assert status() == "available"
    client.delete("/volume/v3/volumes/" + vol["id"], headers=ALICE)


def test_extend_grows_an_available_volume(client: TestClient, cloud: AllInOne) -> None:
    vol = create(client, name="grow")
    path = "/volume/v3/volumes/%s/action" % vol["id"]
    r = client.post(path, json={"os-extend": {"new_size": 1}}, headers=ALICE)
    assert r.status_code == 400 and "greater than current size" in r.text
    assert client.post(path, json={"os-extend": {"new_size": 3}},
                       headers=ALICE).status_code == 202
    shown = client.get("/volume/v3/volumes/" + vol["id"], headers=ALICE).json()["volume"]
    assert (shown["size"], shown["status"]) == (3, "available")
    data = Path(cloud.settings.api_db.split("///")[1]).parent / "volumes" / (
        "volume-%s" % vol["id"])
    assert data.stat().st_size == 3 * GIB
    att = client.post("/volume/v3/attachments", json={"attachment": {
        "volume_uuid": vol["id"], "instance_uuid": "i-9"}}, headers=ALICE).json()
    r = client.post(path, json={"os-extend": {"new_size": 4}}, headers=ALICE)
    assert r.status_code == 400 and "must be available to extend" in r.text
    client.delete("/volume/v3/attachments/" + att["attachment"]["id"], headers=ALICE)
    client.delete("/volume/v3/volumes/" + vol["id"], headers=ALICE)


def test_reset_status_is_for_admins(client: TestClient) -> None:
    vol = create(client, name="stuck")
    body = {"os-reset_status": {"status": "error"}}
    path = "/volume/v3/volumes/%s/action" % vol["id"]
    assert client.post(path, json=body, headers=ALICE).status_code == 403
    assert client.post(path, json=body, headers=ADMIN).status_code == 202
    assert client.get("/volume/v3/volumes/" + vol["id"], headers=ALICE).json()[
        "volume"]["status"] == "error"
    assert client.delete("/volume/v3/volumes/" + vol["id"], headers=ALICE).status_code == 202
