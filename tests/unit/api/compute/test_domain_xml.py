"""`GET /v2.1/os-tessera/servers/{id}/domain-xml` on the fake driver: admin only, a
404 for an unknown server, and a 409 that says why there is no XML (the fake driver
keeps no domains; a server still being scheduled has no host)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.unit.api.compute.conftest import ADMIN, ALICE, boot, wait_status


def test_fake_driver_has_no_domain_xml(client: TestClient) -> None:
    uuid = boot(client, "dx1")
    wait_status(client, uuid)
    r = client.get("/v2.1/os-tessera/servers/%s/domain-xml" % uuid, headers=ADMIN)
    assert r.status_code == 409, r.text
    message = r.json()["conflictingRequest"]["message"]
    assert uuid in message and "keeps no domain XML" in message
    assert client.delete("/v2.1/servers/%s" % uuid, headers=ALICE).status_code == 204


def test_domain_xml_is_admin_only(client: TestClient) -> None:
    uuid = boot(client, "dx2")
    r = client.get("/v2.1/os-tessera/servers/%s/domain-xml" % uuid, headers=ALICE)
    assert r.status_code == 403
    assert "tessera:domain_xml" in r.json()["forbidden"]["message"]
    client.delete("/v2.1/servers/%s" % uuid, headers=ALICE)


def test_unknown_server_is_404(client: TestClient) -> None:
    r = client.get("/v2.1/os-tessera/servers/%s/domain-xml"
                   % "00000000-0000-0000-0000-000000000000", headers=ADMIN)
    assert r.status_code == 404
    assert "could not be found" in r.json()["itemNotFound"]["message"]
