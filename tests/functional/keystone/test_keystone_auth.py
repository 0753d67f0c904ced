"""Tessera behind a real Keystone: tokens are checked by keystonemiddleware, the
project and roles Keystone vouches for decide what a caller sees and may do."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

CIRROS = "1b9a0b1e-0c38-4c6e-9a57-6f0d6d1c0001"
# one worker runs them all: one Keystone, one install of its venv
pytestmark = pytest.mark.xdist_group("keystone")


def call(cloud: Any, method: str, path: str, token: str | None,
         version: str | None = None, **kw: Any) -> requests.Response:
    headers = {"X-Auth-Token": token} if token is not None else {}
    if version:
        headers["OpenStack-API-Version"] = "compute " + version
    return requests.request(method, cloud.tessera_url + path, headers=headers,
                            timeout=30, **kw)


@pytest.fixture(scope="module")
def tokens(keystone_cloud) -> dict[str, str]:
    return {user: keystone_cloud.token(user) for user in ("admin", "alice", "bob")}


@pytest.fixture(scope="module")
def alice_server(keystone_cloud, tokens) -> str:
    flavors = call(keystone_cloud, "GET", "/v2.1/flavors", tokens["alice"]).json()
    flavor = next(f["id"] for f in flavors["flavors"] if f["name"] == "m1.small")
    made = call(keystone_cloud, "POST", "/v2.1/servers", tokens["alice"], json={
        "server": {"name": "alice-vm", "imageRef": CIRROS, "flavorRef": flavor,
                   "networks": "none"}}, version="2.37")
    assert made.status_code == 202, made.text
    server_id = made.json()["server"]["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        shown = call(keystone_cloud, "GET", "/v2.1/servers/" + server_id, tokens["alice"])
        if shown.json()["server"]["status"] in ("ACTIVE", "ERROR"):
            break
        time.sleep(0.3)
    assert shown.json()["server"]["status"] == "ACTIVE"
    return server_id


def test_the_server_belongs_to_the_project_keystone_named(keystone_cloud, tokens,
                                                          alice_server):
    shown = call(keystone_cloud, "GET", "/v2.1/servers/" + alice_server, tokens["alice"])
    server = shown.json()["server"]
    assert server["tenant_id"] == keystone_cloud.project_ids["alice"]
    listed = call(keystone_cloud, "GET", "/v2.1/servers", tokens["alice"]).json()
    assert alice_server in {s["id"] for s in listed["servers"]}


def test_another_project_cannot_see_the_server(keystone_cloud, tokens, alice_server):
    listed = call(keystone_cloud, "GET", "/v2.1/servers/detail", tokens["bob"])
    assert listed.status_code == 200
    assert alice_server not in {s["id"] for s in listed.json()["servers"]}
    shown = call(keystone_cloud, "GET", "/v2.1/servers/" + alice_server, tokens["bob"])
    assert shown.status_code == 404
    assert "itemNotFound" in shown.json()


@pytest.mark.parametrize("method, suffix, body", [
    ("DELETE", "", None),
    ("PUT", "", {"server": {"name": "stolen"}}),
    ("POST", "/action", {"os-stop": None}),
    ("POST", "/action", {"reboot": {"type": "HARD"}}),
])
def test_another_project_cannot_act_on_the_server(keystone_cloud, tokens, alice_server,
                                                  method, suffix, body):
    done = call(keystone_cloud, method, "/v2.1/servers/" + alice_server + suffix,
                tokens["bob"], json=body)
    assert done.status_code == 404, done.text
    still = call(keystone_cloud, "GET", "/v2.1/servers/" + alice_server, tokens["alice"])
    assert still.status_code == 200
    assert still.json()["server"]["name"] == "alice-vm"
    assert still.json()["server"]["status"] == "ACTIVE"


def test_project_id_in_the_url_must_be_the_callers(keystone_cloud, tokens, alice_server):
    own = call(keystone_cloud, "GET", "/v2.1/%s/servers" % keystone_cloud.project_ids["bob"],
               tokens["bob"])
    assert own.status_code == 200
    other = call(keystone_cloud, "GET",
                 "/v2.1/%s/servers/%s" % (keystone_cloud.project_ids["alice"], alice_server),
                 tokens["bob"])
    assert other.status_code == 400


def test_admin_sees_every_project(keystone_cloud, tokens, alice_server):
    listed = call(keystone_cloud, "GET", "/v2.1/servers?all_tenants=1", tokens["admin"])
    assert alice_server in {s["id"] for s in listed.json()["servers"]}
    hypervisors = call(keystone_cloud, "GET", "/v2.1/os-hypervisors", tokens["admin"])
    assert hypervisors.status_code == 200 and hypervisors.json()["hypervisors"]


@pytest.mark.parametrize("method, path, body", [
    ("GET", "/v2.1/os-hypervisors", None),
    ("GET", "/v2.1/os-services", None),
    ("POST", "/v2.1/flavors", {"flavor": {"name": "sneaky", "ram": 64, "vcpus": 1,
                                          "disk": 1}}),
    ("GET", "/v2.1/servers/detail?all_tenants=1", None),
])
def test_a_member_is_refused_admin_apis(keystone_cloud, tokens, method, path, body):
    done = call(keystone_cloud, method, path, tokens["alice"], json=body)
    assert done.status_code == 403, done.text
    assert done.json()["forbidden"]["message"].startswith("Policy doesn't allow")
    names = {f["name"] for f in call(keystone_cloud, "GET", "/v2.1/flavors",
                                     tokens["admin"]).json()["flavors"]}
    assert "sneaky" not in names


@pytest.mark.parametrize("path", ["/v2.1/servers", "/v2/servers", "/image/v2/images",
                                  "/network/v2.0/security-groups"])
def test_a_missing_or_bogus_token_is_a_401_with_a_challenge(keystone_cloud, path):
    for token in (None, "gAAAAAbogus-token", "admin:admin"):
        done = call(keystone_cloud, "GET", path, token)
        assert done.status_code == 401, (token, done.text)
        assert done.headers["WWW-Authenticate"] == 'Keystone uri="%s"' % (
            keystone_cloud.keystone_url)


def test_the_image_api_takes_keystone_tokens(keystone_cloud, tokens):
    images = call(keystone_cloud, "GET", "/image/v2/images", tokens["alice"])
    assert images.status_code == 200
    assert CIRROS in {i["id"] for i in images.json()["images"]}
    made = call(keystone_cloud, "POST", "/image/v2/images", tokens["alice"], json={
        "name": "alice-img", "disk_format": "raw", "container_format": "bare"})
    assert made.status_code == 201, made.text
    assert made.json()["owner"] == keystone_cloud.project_ids["alice"]
    hidden = call(keystone_cloud, "GET", "/image/v2/images/" + made.json()["id"],
                  tokens["bob"])
    assert hidden.status_code == 404


def test_an_expired_token_is_a_401(keystone_cloud, tokens):
    token = keystone_cloud.short_token("bob", ttl=2)
    # never validated before it expires, so no cache can vouch for it
    time.sleep(3)
    done = call(keystone_cloud, "GET", "/v2.1/servers", token)
    assert done.status_code == 401
    assert done.headers["WWW-Authenticate"].startswith("Keystone uri=")


def test_a_short_token_works_until_it_expires(keystone_cloud):
    token = keystone_cloud.short_token("bob", ttl=60)
    done = call(keystone_cloud, "GET", "/v2.1/servers", token)
    assert done.status_code == 200


def test_a_revoked_token_is_a_401(keystone_cloud):
    token = keystone_cloud.token("bob")
    admin = keystone_cloud.token("admin")
    revoked = requests.delete(keystone_cloud.keystone_url + "/v3/auth/tokens", timeout=30,
                              headers={"X-Auth-Token": admin, "X-Subject-Token": token})
    assert revoked.status_code == 204
    done = call(keystone_cloud, "GET", "/v2.1/flavors", token)
    assert done.status_code == 401


def test_the_openstack_cli_finds_tessera_in_keystones_catalog(keystone_cloud, alice_server,
                                                               tmp_path):
    """The clouds.yaml `tessera up --auth keystone` prints, with alice's password: the
    CLI authenticates at Keystone and reaches compute and image through the catalog."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    import yaml

    from tessera.cmd.services import clouds_yaml

    doc = yaml.safe_load(clouds_yaml(keystone_cloud.tessera_url,
                                     keystone_cloud.keystone_url + "/v3"))
    doc["clouds"]["tessera"]["auth"].update(
        username="alice", password="secret-pw", project_name="project-a")
    (tmp_path / "clouds.yaml").write_text(yaml.safe_dump(doc))
    env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(tmp_path / "clouds.yaml")}
    openstack = str(Path(sys.executable).parent / "openstack")

    def cli(*args: str) -> list[dict[str, Any]]:
        done = subprocess.run([openstack, "--os-cloud", "tessera", *args, "-f", "json"],
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    assert alice_server in {s["ID"] for s in cli("server", "list")}
    assert CIRROS in {i["ID"] for i in cli("image", "list")}
    assert "m1.small" in {f["Name"] for f in cli("flavor", "list")}
