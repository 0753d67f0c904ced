from .conftest import ALICE, boot, wait_status


def test_boot_show_list_delete(client):
    uuid = boot(client)
    body = wait_status(client, uuid)
    assert body["status"] == "ACTIVE"
    r = client.get("/v2.1/servers/detail", headers=ALICE)
    assert r.status_code == 200, r.text
    assert uuid in [s["id"] for s in r.json()["servers"]]
    assert client.delete("/v2.1/servers/%s" % uuid, headers=ALICE).status_code == 204
