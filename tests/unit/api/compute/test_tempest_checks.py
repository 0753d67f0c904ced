"""Compute API behaviour that Tempest's slice checks (docs/tempest.md): integer flavor
ids, empty action bodies, the PUT response's fields, access IPs, metadata limits,
image minimums, unsupported actions on missing servers, hypervisor search/servers/
uptime, unknown security groups."""

from __future__ import annotations

import pytest

from tessera.objects import Flavor

from .conftest import ADMIN, ALICE, BOB, CIRROS, boot as _boot, v, wait_status

TINY = "tiny.t"


@pytest.fixture(scope="module", autouse=True)
def tiny_flavor(cloud):
    cloud.api.create_flavor(Flavor(flavorid=TINY, name=TINY, vcpus=1, memory_mb=256,
                                   root_gb=1))


@pytest.fixture(autouse=True)
def delete_servers(client):
    """Alice's servers go after each test (the module's cloud keeps its quota)."""
    yield
    for server in client.get("/v2.1/servers", headers=ALICE).json()["servers"]:
        client.delete("/v2.1/servers/" + server["id"], headers=ALICE)


def boot(client, name, **kw):
    return _boot(client, name, flavor=TINY, **kw)

EXTENSION_KEYS = ("OS-EXT-STS:vm_state", "OS-EXT-AZ:availability_zone",
                  "OS-SRV-USG:launched_at", "key_name", "config_drive",
                  "os-extended-volumes:volumes_attached", "OS-EXT-SRV-ATTR:host")


def _create(client, headers=ALICE, version="2.1", **server):
    body = {"name": "t", "imageRef": CIRROS, "flavorRef": TINY, **server}
    return client.post("/v2.1/servers", json={"server": body}, headers=v(version, headers))


def test_flavor_with_an_integer_id(client):
    made = client.post("/v2.1/flavors", headers=ADMIN, json={"flavor": {
        "name": "int-id", "ram": 64, "vcpus": 1, "disk": 1, "id": 2022194959}})
    assert made.status_code == 200, made.text
    assert made.json()["flavor"]["id"] == "2022194959"
    assert client.get("/v2.1/flavors/2022194959", headers=ALICE).status_code == 200
    client.delete("/v2.1/flavors/2022194959", headers=ADMIN)


def test_os_stop_takes_an_empty_object(client):
    uuid = boot(client, "stop-me")
    wait_status(client, uuid)
    done = client.post("/v2.1/servers/%s/action" % uuid, json={"os-stop": {}}, headers=ALICE)
    assert done.status_code == 202, done.text
    assert wait_status(client, uuid, ("SHUTOFF",))["status"] == "SHUTOFF"
    bad = client.post("/v2.1/servers/%s/action" % uuid, json={"os-start": {"x": 1}},
                      headers=ALICE)
    assert bad.status_code == 400


@pytest.mark.parametrize("version", ["2.1", "2.47"])
def test_update_answers_without_extension_attributes(client, version):
    uuid = boot(client, "upd-" + version.replace(".", ""), version=version)
    wait_status(client, uuid)
    done = client.put("/v2.1/servers/" + uuid, headers=v(version, ADMIN), json={
        "server": {"name": "renamed", "accessIPv4": "1.1.1.1",
                   "accessIPv6": "2001:db8::1"}})
    assert done.status_code == 200, done.text
    server = done.json()["server"]
    assert (server["name"], server["accessIPv4"], server["accessIPv6"]) == (
        "renamed", "1.1.1.1", "2001:db8::1")
    assert not [k for k in EXTENSION_KEYS if k in server]
    shown = client.get("/v2.1/servers/" + uuid, headers=v(version, ADMIN)).json()["server"]
    assert shown["accessIPv4"] == "1.1.1.1" and shown["OS-EXT-STS:vm_state"] == "active"


def test_access_ips_given_at_create_are_shown(client):
    made = _create(client, accessIPv4="10.1.2.3",
                   accessIPv6="0000:0000:0000:0000:0000:babe:220.12.22.2")
    assert made.status_code == 202, made.text
    server = wait_status(client, made.json()["server"]["id"])
    assert (server["accessIPv4"], server["accessIPv6"]) == ("10.1.2.3", "::babe:dc0c:1602")


@pytest.mark.parametrize("field, value", [("accessIPv4", "1.1.1.1.1"),
                                          ("accessIPv4", "2001:db8::1"),
                                          ("accessIPv6", "notIPv6"),
                                          ("accessIPv6", "1.1.1.1")])
def test_invalid_access_ips_are_refused(client, field, value):
    assert _create(client, **{field: value}).status_code == 400


def test_metadata_keys_and_values_are_checked_before_the_quota(client):
    long_key = _create(client, metadata={"a" * 256: "b"})
    assert long_key.status_code == 400
    long_value = _create(client, metadata={"k": "v" * 256})
    assert long_value.status_code == 400
    too_many = _create(client, metadata={str(i): str(i) for i in range(129)})
    assert too_many.status_code == 403
    assert "metadata" in too_many.json()["forbidden"]["message"]
    limits = client.get("/v2.1/limits", headers=ALICE).json()["limits"]["absolute"]
    assert limits["maxServerMeta"] == 128


def test_an_image_needing_more_memory_than_the_flavor_is_refused(client):
    made = client.post("/image/v2/images", headers=ALICE, json={
        "name": "big-ram", "disk_format": "raw", "container_format": "bare",
        "min_ram": 257, "visibility": "private"})
    assert made.status_code == 201, made.text
    image_id = made.json()["id"]
    put = client.put("/image/v2/images/%s/file" % image_id, content=b"x" * 1024,
                     headers={**ALICE, "Content-Type": "application/octet-stream"})
    assert put.status_code == 204, put.text
    refused = _create(client, imageRef=image_id)
    assert refused.status_code == 400
    assert "memory is too small" in refused.json()["badRequest"]["message"]
    assert _create(client, imageRef=image_id, flavorRef="pinned.4").status_code == 202


@pytest.mark.parametrize("action", ["rebuild", "forceDelete", "restore",
                                    "os-getConsoleOutput"])
def test_unsupported_action_on_a_missing_server_is_a_404(client, action):
    missing = client.post("/v2.1/servers/%s/action" % ("0" * 8 + "-0000-0000-0000-" + "0" * 12),
                          json={action: {}}, headers=ALICE)
    assert missing.status_code == 404


def test_unsupported_action_on_someone_elses_server_is_a_404(client):
    uuid = boot(client, "not-bobs")
    other = client.post("/v2.1/servers/%s/action" % uuid, json={"forceDelete": None},
                        headers=BOB)
    assert other.status_code == 404
    own = client.post("/v2.1/servers/%s/action" % uuid, json={"forceDelete": None},
                      headers=ALICE)
    assert own.status_code == 400


def test_hypervisor_search_servers_and_uptime_before_2_53(client):
    uuid = boot(client, "on-a-host")
    host = wait_status(client, uuid, headers=ADMIN)["OS-EXT-SRV-ATTR:hypervisor_hostname"]
    found = client.get("/v2.1/os-hypervisors/%s/search" % host[:5], headers=ADMIN)
    assert found.status_code == 200
    assert host in {h["hypervisor_hostname"] for h in found.json()["hypervisors"]}
    with_servers = client.get("/v2.1/os-hypervisors/%s/servers" % host, headers=ADMIN)
    [hyper] = [h for h in with_servers.json()["hypervisors"]
               if h["hypervisor_hostname"] == host]
    assert uuid in {s["uuid"] for s in hyper["servers"]}
    assert client.get("/v2.1/os-hypervisors/nomatch/search",
                      headers=ADMIN).status_code == 404
    hyper_id = found.json()["hypervisors"][0]["id"]
    up = client.get("/v2.1/os-hypervisors/%s/uptime" % hyper_id, headers=ADMIN)
    assert up.status_code == 200
    assert " up " in up.json()["hypervisor"]["uptime"]
    assert client.get("/v2.1/os-hypervisors/%s/search" % host,
                      headers=v("2.53")).status_code == 404
    assert client.get("/v2.1/os-hypervisors/%s/uptime" % hyper_id,
                      headers=ALICE).status_code == 403


def test_an_unknown_security_group_is_refused(client):
    refused = _create(client, security_groups=[{"name": "no-such-group"}])
    assert refused.status_code == 400
    assert "no-such-group" in refused.json()["badRequest"]["message"]
    assert _create(client, security_groups=[{"name": "default"}]).status_code == 202


UBUNTU = "1b9a0b1e-0c38-4c6e-9a57-6f0d6d1c0002"
FEDORA_NFV = "1b9a0b1e-0c38-4c6e-9a57-6f0d6d1c0003"


def test_rebuild_gives_the_server_a_new_image(client):
    uuid = boot(client, "rebuild-me")
    wait_status(client, uuid)
    client.post("/v2.1/os-keypairs", headers=v("2.2"), json={"keypair": {
        "name": "rb-key", "public_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3lFxDqKDZ"
                                        "cPTLWsvQmtZM5qAH+PBiVb/mBtlkSL4QD test"}})
    done = client.post("/v2.1/servers/%s/action" % uuid, headers=v("2.57"), json={
        "rebuild": {"imageRef": UBUNTU, "name": "rebuilt", "user_data": "ZWNobw==",
                    "metadata": {"k": "v"}, "accessIPv4": "10.0.0.9"}})
    assert done.status_code == 202, done.text
    server = done.json()["server"]
    assert server["status"] == "REBUILD"
    assert server["image"]["id"] == UBUNTU and server["name"] == "rebuilt"
    assert server["user_data"] == "ZWNobw==" and server["adminPass"]
    assert "key_name" in server and "OS-EXT-STS:vm_state" not in server
    after = wait_status(client, uuid)
    assert (after["image"]["id"], after["metadata"], after["accessIPv4"]) == (
        UBUNTU, {"k": "v"}, "10.0.0.9")
    keyed = client.post("/v2.1/servers/%s/action" % uuid, headers=v("2.54", ALICE),
                        json={"rebuild": {"imageRef": CIRROS, "key_name": "no-such"}})
    assert keyed.status_code == 400
    actions = client.get("/v2.1/servers/%s/os-instance-actions" % uuid, headers=ALICE)
    assert "rebuild" in {a["action"] for a in actions.json()["instanceActions"]}


@pytest.mark.parametrize("version, body", [
    ("2.1", {"imageRef": UBUNTU, "user_data": "eA=="}),
    ("2.53", {"imageRef": UBUNTU, "key_name": None}),
    ("2.57", {"imageRef": UBUNTU, "personality": []}),
    ("2.1", {"imageRef": UBUNTU, "bogus": 1}),
    ("2.1", {"name": "no-image"}),
    ("2.1", {"imageRef": "not-an-image"}),
    ("2.1", {"imageRef": FEDORA_NFV}),
])
def test_rebuild_refuses_what_it_cannot_do(client, version, body):
    uuid = boot(client, "rebuild-bad")
    wait_status(client, uuid)
    done = client.post("/v2.1/servers/%s/action" % uuid, headers=v(version, ALICE),
                       json={"rebuild": body})
    assert done.status_code == 400, done.text
    shown = client.get("/v2.1/servers/" + uuid, headers=ALICE).json()["server"]
    assert shown["status"] == "ACTIVE" and shown["image"]["id"] == CIRROS



def test_specs_conflicting_with_the_flavor_are_stored_and_its_boot_refused(client):
    made = client.post("/v2.1/flavors", headers=ADMIN, json={"flavor": {
        "name": "one-cpu", "ram": 256, "vcpus": 1, "disk": 1, "id": "one-cpu"}})
    assert made.status_code == 200
    url = "/v2.1/flavors/one-cpu/os-extra_specs"
    assert client.post(url, headers=ADMIN, json={"extra_specs": {
        "hw:numa_nodes": "1", "hw:cpu_policy": "shared"}}).status_code == 200
    updated = client.put(url + "/hw:numa_nodes", headers=ADMIN,
                         json={"hw:numa_nodes": "2"})
    assert updated.status_code == 200 and updated.json() == {"hw:numa_nodes": "2"}
    bad_value = client.put(url + "/hw:numa_nodes", headers=ADMIN,
                           json={"hw:numa_nodes": "zero"})
    assert bad_value.status_code == 400
    refused = _create(client, flavorRef="one-cpu")
    assert refused.status_code == 400, refused.text
    unset = client.delete(url + "/hw:numa_nodes", headers=ADMIN)
    assert unset.status_code == 200 and unset.content == b""
    assert client.get(url, headers=ADMIN).json() == {
        "extra_specs": {"hw:cpu_policy": "shared"}}
    client.delete("/v2.1/flavors/one-cpu", headers=ADMIN)


@pytest.mark.parametrize("version, ident, status", [
    ("2.1", "f6a4ab1c-9c36-4f6e-a1c6-2f4b8f0a1e11", 404),
    ("2.1", "999999", 404),
    ("2.53", "f6a4ab1c-9c36-4f6e-a1c6-2f4b8f0a1e11", 404),
    ("2.53", "1", 400),
])
def test_an_unknown_hypervisor(client, version, ident, status):
    for suffix in ("", "/uptime"):
        got = client.get("/v2.1/os-hypervisors/%s%s" % (ident, suffix),
                         headers=v(version))
        assert got.status_code == status, (suffix, got.text)


def test_server_metadata_api(client):
    uuid = boot(client, "meta", metadata={"a": "1"})
    wait_status(client, uuid)
    url = "/v2.1/servers/%s/metadata" % uuid
    assert client.get(url, headers=ALICE).json() == {"metadata": {"a": "1"}}
    merged = client.post(url, headers=ALICE, json={"metadata": {"b": "2"}})
    assert merged.status_code == 200 and merged.json() == {"metadata": {"a": "1", "b": "2"}}
    replaced = client.put(url, headers=ALICE, json={"metadata": {"c": "3"}})
    assert replaced.json() == {"metadata": {"c": "3"}}
    one = client.put(url + "/d", headers=ALICE, json={"meta": {"d": "4"}})
    assert one.status_code == 200 and one.json() == {"meta": {"d": "4"}}
    assert client.get(url + "/d", headers=ALICE).json() == {"meta": {"d": "4"}}
    assert client.delete(url + "/c", headers=ALICE).status_code == 204
    assert client.get(url + "/c", headers=ALICE).status_code == 404
    shown = client.get("/v2.1/servers/" + uuid, headers=ALICE).json()["server"]
    assert shown["metadata"] == {"d": "4"}
    # Nova's refusals
    assert client.put(url + "/d", headers=ALICE, json={"meta": {"x": "1"}}).status_code == 400
    assert client.put(url + "/d", headers=ALICE,
                      json={"meta": {"d": "1", "e": "2"}}).status_code == 400
    assert client.post(url, headers=ALICE, json={"metadata": {"": "x"}}).status_code == 400
    assert client.put(url, headers=ALICE, json={"foo": {}}).status_code == 400
    too_many = {str(i): "v" for i in range(129)}
    assert client.post(url, headers=ALICE, json={"metadata": too_many}).status_code == 403
    assert client.get(url, headers=BOB).status_code == 404
    assert client.delete(url + "/d", headers=BOB).status_code == 404
    missing = "/v2.1/servers/%s/metadata" % ("0" * 8 + "-0000-0000-0000-" + "0" * 12)
    assert client.get(missing, headers=ALICE).status_code == 404
    assert client.get(url, headers=ALICE).json() == {"metadata": {"d": "4"}}


def test_update_view_is_the_whole_server_from_2_75():
    """Nova answers PUT and rebuild with the full server from 2.75 (ahead of the
    microversions served today, so checked on the view itself)."""
    from starlette.requests import Request

    from tessera.api.compute.server_views import ServerView
    from tessera.api.microversion import APIVersion
    from tessera.context import RequestContext
    from tessera.objects import Instance

    request = Request({"type": "http", "method": "PUT", "path": "/v2.1/servers/x",
                       "headers": [(b"host", b"h")], "query_string": b"",
                       "scheme": "http", "server": ("h", 80), "root_path": ""})
    context = RequestContext(user_id="u", project_id="p", roles=["member"])
    inst = Instance(uuid="x", project_id="p", user_id="u",
                    flavor=Flavor(flavorid="f", name="f", vcpus=1, memory_mb=64))
    old = ServerView(request, APIVersion.parse("2.74"), context).updated(inst)
    new = ServerView(request, APIVersion.parse("2.75"), context).updated(inst)
    assert "OS-EXT-STS:vm_state" not in old and "key_name" not in old
    assert new["OS-EXT-STS:vm_state"] == "building" and "key_name" in new
