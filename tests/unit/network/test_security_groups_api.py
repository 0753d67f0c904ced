"""The Networking API's root documents and security groups: the per-project `default`
group made on first use, filters, visibility, and the delete rules Tempest relies on."""

from __future__ import annotations

from tests.unit.network.conftest import ADMIN, ALICE, BOB, NET, TestClient, post


def test_version_documents_are_public(client: TestClient) -> None:
    r = client.get("/network/")
    assert r.status_code == 200
    (version,) = r.json()["versions"]
    assert version["id"] == "v2.0"
    assert version["links"][0]["href"].endswith("/network/v2.0/")
    resources = client.get(NET + "/").json()["resources"]
    assert {"networks", "subnets", "ports", "security-groups"} <= {
        r["collection"] for r in resources}


def test_listing_needs_a_token(client: TestClient) -> None:
    r = client.get(NET + "/security-groups")
    assert r.status_code == 401


def test_default_group_is_made_once_per_project(client: TestClient) -> None:
    first = client.get(NET + "/security-groups", headers=ALICE).json()["security_groups"]
    again = client.get(NET + "/security-groups", headers=ALICE).json()["security_groups"]
    (default,) = [g for g in first if g["name"] == "default"]
    assert default["project_id"] == "p1" == default["tenant_id"]
    assert [g["id"] for g in again if g["name"] == "default"] == [default["id"]]
    bobs = client.get(NET + "/security-groups", headers=BOB).json()["security_groups"]
    assert [g["project_id"] for g in bobs] == ["p2"]  # alice's groups stay hidden


def test_admin_filters_by_project_and_name(client: TestClient) -> None:
    client.get(NET + "/security-groups", headers=ALICE)
    post(client, "security-groups", "security_group", name="web")
    r = client.get(NET + "/security-groups", headers=ADMIN,
                   params={"tenant_id": "p1", "name": "default"})
    (group,) = r.json()["security_groups"]
    assert (group["project_id"], group["name"]) == ("p1", "default")
    r = client.get(NET + "/security-groups", headers=ADMIN,
                   params={"project_id": "p1", "fields": "name"})
    assert sorted(g["name"] for g in r.json()["security_groups"]) == ["default", "web"]
    assert all(set(g) == {"name"} for g in r.json()["security_groups"])


def test_delete_rules(client: TestClient) -> None:
    groups = client.get(NET + "/security-groups", headers=BOB).json()["security_groups"]
    (default,) = [g for g in groups if g["name"] == "default"]
    r = client.delete(NET + "/security-groups/" + default["id"], headers=BOB)
    assert r.status_code == 409 and "default security group" in r.text
    r = client.delete(NET + "/security-groups/" + default["id"], headers=ALICE)
    assert r.status_code == 404  # another project's group does not exist for alice
    r = client.delete(NET + "/security-groups/" + default["id"], headers=ADMIN)
    assert r.status_code == 204
    assert client.get(NET + "/security-groups/" + default["id"],
                      headers=ADMIN).status_code == 404
    own = post(client, "security-groups", "security_group", headers=BOB, name="db")
    assert client.delete(NET + "/security-groups/" + own["id"], headers=BOB).status_code == 204


def test_bad_bodies_are_400(client: TestClient) -> None:
    r = client.post(NET + "/security-groups", json={"name": "x"}, headers=ALICE)
    assert r.status_code == 400 and "security_group" in r.text
    r = client.post(NET + "/security-groups",
                    json={"security_group": {"name": "x", "colour": "red"}}, headers=ALICE)
    assert r.status_code == 400 and "colour" in r.text


def test_groups_have_no_rules_and_rules_cannot_be_added(client: TestClient) -> None:
    r = client.get(NET + "/security-group-rules", headers=ALICE)
    assert r.status_code == 200 and r.json() == {"security_group_rules": []}
    r = client.post(NET + "/security-group-rules", headers=ALICE, json={
        "security_group_rule": {"direction": "ingress", "security_group_id": "x"}})
    assert r.status_code == 400 and "do not filter traffic" in r.text
