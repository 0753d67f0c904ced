"""One test per claimed microversion: each exercises the change its VERSIONS line
names, just below and at the version (n/a lines: the API stays a 404)."""

from __future__ import annotations

import hashlib
import inspect
import uuid as uuidlib

import pytest
from sqlalchemy import delete

from tessera.api.microversion import VERSIONS
from tessera.db.api import queries as api_q
from tessera.db.api.models import CellMappingRow, HostMappingRow, InstanceMappingRow
from tessera.db.api.volume_models import VolumeTypeRow
from tessera.objects import CellMapping, HostMapping, ImageMeta, InstanceMapping, RequestSpec

from .conftest import ADMIN, ALICE, BOB, CIRROS, PINNED, boot, v, wait_status

KEY = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDdNdcOGNfN9LBKwmc2Uty1MUJtU8sdr6KHtLJ9dHxSz "
       "me@host")
NOT_SERVED = {"2.4": "/os-fixed-ips/1.2.3.4", "2.6": "/servers/%s/remote-consoles",
              "2.7": "/flavors/x/os-flavor-access", "2.8": "/servers/%s/remote-consoles",
              "2.12": "/servers/%s/os-virtual-interfaces", "2.13": "/os-server-groups",
              "2.15": "/os-server-groups",
              "2.22": "/servers/%s/migrations", "2.23": "/os-migrations",
              "2.24": "/servers/%s/migrations/1", "2.31": "/os-console-auth-tokens/x",
              "2.40": "/os-simple-tenant-usage", "2.41": "/os-aggregates",
              "2.43": "/os-hosts", "2.44": "/servers/%s/os-virtual-interfaces",
              "2.48": "/servers/%s/diagnostics", "2.49": "/servers/%s/os-interface",
              "2.50": "/os-quota-class-sets/x", "2.59": "/os-migrations",
              "2.64": "/os-server-groups",
              "2.65": "/servers/%s/migrations/1"}
NA_ACTIONS = {"2.14": "evacuate", "2.17": "trigger_crash_dump", "2.25": "os-migrateLive",
              "2.29": "evacuate", "2.30": "os-migrateLive", "2.34": "os-migrateLive",
              "2.68": "evacuate", "2.20": "shelve"}


def check_2_54(client, vm):
    """key_name on rebuild: refused before 2.54; from 2.54 set (null removes it) and
    answered in the response."""
    body = {"rebuild": {"imageRef": CIRROS, "key_name": None}}
    url = "/v2.1/servers/%s/action" % vm
    assert client.post(url, json=body, headers=v("2.53", ALICE)).status_code == 400
    done = client.post(url, json=body, headers=v("2.54", ALICE))
    assert done.status_code == 202, done.text
    assert done.json()["server"]["key_name"] is None
    wait_status(client, vm)


@pytest.fixture(scope="module")
def vm(client):
    uuid = boot(client, "mv-vm")
    wait_status(client, uuid)
    return uuid


def _server(client, uuid, version, headers=ADMIN):
    r = client.get("/v2.1/servers/%s" % uuid, headers=v(version, headers))
    assert r.status_code == 200, r.text
    return r.json()["server"]


def check_2_1(client, vm):
    body = _server(client, vm, "2.1")
    assert set(body["flavor"]) == {"id", "links"} and "locked" not in body


def check_2_2(client, vm):
    r = client.post("/v2.1/os-keypairs", json={"keypair": {"name": "k22", "type": "x509"}},
                    headers=v("2.2", ALICE))
    assert r.status_code == 201 and r.json()["keypair"]["type"] == "x509"
    assert "BEGIN CERTIFICATE" in r.json()["keypair"]["public_key"]
    assert client.delete("/v2.1/os-keypairs/k22", headers=v("2.2", ALICE)).status_code == 204
    r = client.post("/v2.1/os-keypairs", json={"keypair": {"name": "k21"}},
                    headers=v("2.1", ALICE))
    assert r.status_code == 200 and "type" not in r.json()["keypair"]
    assert client.delete("/v2.1/os-keypairs/k21", headers=v("2.1", ALICE)).status_code == 202


def check_2_3(client, vm):
    assert "OS-EXT-SRV-ATTR:hostname" not in _server(client, vm, "2.2")
    assert _server(client, vm, "2.3")["OS-EXT-SRV-ATTR:hostname"] == "mv-vm"
    # the admin sees the guest's name on its hypervisor (the libvirt domain's)
    assert _server(client, vm, "2.1")["OS-EXT-SRV-ATTR:instance_name"] == "instance-" + vm
    assert "OS-EXT-SRV-ATTR:host" not in _server(client, vm, "2.3", ALICE)


def check_2_5(client, vm):
    q = "/v2.1/servers?ip6=::1"
    assert client.get(q, headers=v("2.4", ALICE)).json()["servers"]
    assert client.get(q, headers=v("2.5", ALICE)).json()["servers"] == []


def check_2_9(client, vm):
    assert "locked" not in _server(client, vm, "2.8")
    assert _server(client, vm, "2.9")["locked"] is False


def check_2_10(client, vm):
    r = client.post("/v2.1/os-keypairs", json={"keypair": {"name": "k210",
                    "user_id": "carol", "public_key": KEY}}, headers=v("2.10"))
    assert r.status_code == 201, r.text
    got = client.get("/v2.1/os-keypairs/k210?user_id=carol", headers=v("2.10"))
    assert got.json()["keypair"]["user_id"] == "carol"
    assert client.post("/v2.1/os-keypairs", json={"keypair": {"name": "k", "user_id": "c"}},
                       headers=v("2.9")).status_code == 400
    assert client.get("/v2.1/os-keypairs?user_id=carol",
                      headers=v("2.10", ALICE)).status_code == 403


def check_2_11(client, vm):
    svc = client.get("/v2.1/os-services", headers=v("2.11")).json()["services"][0]
    assert svc["forced_down"] is False
    assert "forced_down" not in client.get("/v2.1/os-services",
                                           headers=v("2.10")).json()["services"][0]
    body = {"host": svc["host"], "binary": svc["binary"], "forced_down": False}
    assert client.put("/v2.1/os-services/force-down", json=body,
                      headers=v("2.10")).status_code == 404
    r = client.put("/v2.1/os-services/force-down", json=body, headers=v("2.11"))
    assert r.status_code == 200 and r.json()["service"]["forced_down"] is False


def check_2_16(client, vm):
    assert "host_status" not in _server(client, vm, "2.15")
    assert _server(client, vm, "2.16")["host_status"] == "UP"
    assert "host_status" not in _server(client, vm, "2.16", ALICE)


def check_2_18(client, vm):
    assert client.get("/v2.1/p1/servers/%s" % vm, headers=v("2.18", ALICE)).status_code == 200
    assert client.get("/v2.1/servers/%s" % vm, headers=v("2.18", ALICE)).status_code == 200


def check_2_19(client, vm):
    r = client.put("/v2.1/servers/%s" % vm, json={"server": {"description": "d"}},
                   headers=v("2.18", ALICE))
    assert r.status_code == 400
    r = client.put("/v2.1/servers/%s" % vm, json={"server": {"description": "d"}},
                   headers=v("2.19", ALICE))
    assert r.status_code == 200 and r.json()["server"]["description"] == "d"


def check_2_21(client, vm):
    uuid = boot(client, "gone")
    wait_status(client, uuid)
    client.delete("/v2.1/servers/%s" % uuid, headers=ALICE)
    path = "/v2.1/servers/%s/os-instance-actions" % uuid
    for _ in range(200):
        if client.get("/v2.1/servers/%s" % uuid, headers=ALICE).status_code == 404:
            break
    assert client.get(path, headers=v("2.20", ALICE)).status_code == 404
    actions = client.get(path, headers=v("2.21", ALICE)).json()["instanceActions"]
    assert [a["action"] for a in actions] == ["delete", "create"]


def check_2_26(client, vm):
    path = "/v2.1/servers/%s/tags" % vm
    assert client.put(path, json={"tags": ["a", "b"]}, headers=v("2.25", ALICE)).status_code == 404
    assert client.put(path, json={"tags": ["a", "b"]}, headers=v("2.26", ALICE)).status_code == 200
    assert client.put(path + "/c", headers=v("2.26", ALICE)).status_code == 201
    assert client.get(path + "/c", headers=v("2.26", ALICE)).status_code == 204
    assert _server(client, vm, "2.26", ALICE)["tags"] == ["a", "b", "c"]
    got = client.get("/v2.1/servers?tags=a,c", headers=v("2.26", ALICE)).json()["servers"]
    assert [s["id"] for s in got] == [vm]
    assert client.put(path + "/x,y", headers=v("2.26", ALICE)).status_code == 400


def check_2_27(client, vm):
    r = client.get("/v2.1/servers", headers={**ALICE, "OpenStack-API-Version": "compute 2.27"})
    assert r.headers["OpenStack-API-Version"] == "compute 2.27"


def check_2_28(client, vm):
    hyp = client.get("/v2.1/os-hypervisors/detail", headers=v("2.27")).json()["hypervisors"]
    assert isinstance(hyp[0]["cpu_info"], str)
    hyp = client.get("/v2.1/os-hypervisors/detail", headers=v("2.28")).json()["hypervisors"]
    assert isinstance(hyp[0]["cpu_info"], dict)


def _create(client, version, **server):
    body = {"name": "t", "imageRef": CIRROS, "flavorRef": "pinned.4", **server}
    return client.post("/v2.1/servers", json={"server": body}, headers=v(version, ALICE))


def check_2_32(client, vm):
    bdm = [{"uuid": CIRROS, "source_type": "image", "destination_type": "local",
            "boot_index": 0, "tag": "root"}]
    assert _create(client, "2.31", block_device_mapping_v2=bdm).status_code == 400
    r = _create(client, "2.32", block_device_mapping_v2=bdm)
    assert r.status_code == 202
    client.delete("/v2.1/servers/%s" % r.json()["server"]["id"], headers=ALICE)


def check_2_33(client, vm):
    r = client.get("/v2.1/os-hypervisors?limit=1", headers=v("2.33")).json()
    assert len(r["hypervisors"]) == 1 and "marker=" in r["hypervisors_links"][0]["href"]
    assert len(client.get("/v2.1/os-hypervisors?limit=1",
                          headers=v("2.32")).json()["hypervisors"]) == 2
    bdm = [{"uuid": CIRROS, "source_type": "image", "boot_index": 0, "tag": "root"}]
    assert _create(client, "2.33", block_device_mapping_v2=bdm).status_code == 400


def check_2_35(client, vm):
    for name in ("ka", "kb"):
        client.post("/v2.1/os-keypairs", json={"keypair": {"name": name, "public_key": KEY}},
                    headers=v("2.35", BOB))
    r = client.get("/v2.1/os-keypairs?limit=1", headers=v("2.35", BOB)).json()
    assert [k["keypair"]["name"] for k in r["keypairs"]] == ["ka"]
    r = client.get("/v2.1/os-keypairs?limit=1&marker=ka", headers=v("2.35", BOB)).json()
    assert [k["keypair"]["name"] for k in r["keypairs"]] == ["kb"]
    assert len(client.get("/v2.1/os-keypairs?limit=1",
                          headers=v("2.34", BOB)).json()["keypairs"]) == 2


def _absolute(client, version):
    return client.get("/v2.1/limits", headers=v(version, ALICE)).json()["limits"]["absolute"]


def check_2_36(client, vm):
    assert "maxSecurityGroups" in _absolute(client, "2.35")
    assert "maxSecurityGroups" not in _absolute(client, "2.36")
    assert client.get("/v2.1/os-networks", headers=v("2.36", ALICE)).status_code == 404


def check_2_37(client, vm):
    assert _create(client, "2.37").status_code == 400
    assert _create(client, "2.36", networks="none").status_code == 400
    r = _create(client, "2.37", networks="auto")
    assert r.status_code == 202
    client.delete("/v2.1/servers/%s" % r.json()["server"]["id"], headers=ALICE)


def check_2_38(client, vm):
    assert client.get("/v2.1/servers?status=BOGUS", headers=v("2.37", ALICE)).json() == {
        "servers": []}
    assert client.get("/v2.1/servers?status=BOGUS", headers=v("2.38", ALICE)).status_code == 400


def check_2_39(client, vm):
    assert "maxImageMeta" in _absolute(client, "2.38")
    assert "maxImageMeta" not in _absolute(client, "2.39")


def check_2_42(client, vm):
    nets = [{"uuid": "00000000-0000-0000-0000-000000000001", "tag": "n"}]
    bdm = [{"uuid": CIRROS, "source_type": "image", "boot_index": 0, "tag": "root"}]
    assert "tag" in _create(client, "2.41", networks="none",
                            block_device_mapping_v2=bdm).text
    r = _create(client, "2.42", networks="none", block_device_mapping_v2=bdm)
    assert r.status_code == 202
    client.delete("/v2.1/servers/%s" % r.json()["server"]["id"], headers=ALICE)
    assert "tag" in _create(client, "2.41", networks=nets).text
    assert "Network" in _create(client, "2.42", networks=nets).text


def check_2_45(client, vm):
    url = "/v2.1/servers/%s/action" % vm
    r = client.post(url, json={"createImage": {"name": "mv-snap"}}, headers=v("2.44", ALICE))
    assert r.status_code == 202 and r.content == b""
    assert "/image/v2/images/" in r.headers["location"]
    wait_status(client, vm)
    r = client.post(url, json={"createImage": {"name": "mv-snap"}}, headers=v("2.45", ALICE))
    assert r.status_code == 202 and "location" not in r.headers
    image = client.get("/image/v2/images/%s" % r.json()["image_id"], headers=ALICE)
    assert image.status_code == 200 and image.json()["instance_uuid"] == vm
    wait_status(client, vm)


def check_2_46(client, vm):
    r = client.get("/v2.1/servers", headers=v("2.46", ALICE))
    assert r.headers["X-OpenStack-Request-ID"].startswith("req-")


def check_2_47(client, vm):
    flavor = _server(client, vm, "2.47", ALICE)["flavor"]
    assert flavor["original_name"] == "pinned.4" and flavor["vcpus"] == 4
    assert flavor["extra_specs"]["hw:cpu_policy"] == "dedicated"


def check_2_51(client, vm):
    req = client.get("/v2.1/servers/%s/os-instance-actions" % vm,
                     headers=ALICE).json()["instanceActions"][-1]["request_id"]
    path = "/v2.1/servers/%s/os-instance-actions/%s" % (vm, req)
    assert "events" not in client.get(path, headers=v("2.50", ALICE)).json()["instanceAction"]
    events = client.get(path, headers=v("2.51", ALICE)).json()["instanceAction"]["events"]
    assert events[0]["event"] == "api_create" and "traceback" not in events[0]
    assert "traceback" in client.get(path, headers=v("2.51")).json()["instanceAction"][
        "events"][0]


def check_2_52(client, vm):
    assert _create(client, "2.51", networks="none", tags=["x"]).status_code == 400
    r = _create(client, "2.52", networks="none", tags=["x"])
    assert r.status_code == 202
    uuid = r.json()["server"]["id"]
    assert _server(client, uuid, "2.52", ALICE)["tags"] == ["x"]
    client.delete("/v2.1/servers/%s" % uuid, headers=ALICE)


def check_2_53(client, vm):
    svc = client.get("/v2.1/os-services", headers=v("2.53")).json()["services"][0]
    assert len(svc["id"]) == 36
    r = client.put("/v2.1/os-services/%s" % svc["id"], json={
        "status": "disabled", "disabled_reason": "test"}, headers=v("2.53"))
    assert r.status_code == 200 and r.json()["service"]["status"] == "disabled"
    client.put("/v2.1/os-services/%s" % svc["id"], json={"status": "enabled"},
               headers=v("2.53"))
    hyp = client.get("/v2.1/os-hypervisors?with_servers=true&hypervisor_hostname_pattern="
                     "nfv", headers=v("2.53")).json()["hypervisors"]
    assert len(hyp[0]["id"]) == 36 and "servers" in hyp[0]
    assert isinstance(client.get("/v2.1/os-hypervisors", headers=v("2.52")).json()[
        "hypervisors"][0]["id"], int)


def check_2_55(client, vm):
    r = client.get("/v2.1/flavors/pinned.4", headers=v("2.54"))
    assert "description" not in r.json()["flavor"]
    assert client.put("/v2.1/flavors/pinned.4", json={"flavor": {"description": "x"}},
                      headers=v("2.54")).status_code == 404
    r = client.put("/v2.1/flavors/pinned.4", json={"flavor": {"description": "pinned"}},
                   headers=v("2.55"))
    assert r.status_code == 200 and r.json()["flavor"]["description"] == "pinned"


def check_2_56(client, vm):
    here = _server(client, vm, "2.56")["OS-EXT-SRV-ATTR:host"]
    path = "/v2.1/servers/%s/action" % vm
    assert client.post(path, json={"migrate": {"host": "x"}},
                       headers=v("2.55")).status_code == 400
    assert client.post(path, json={"migrate": {"host": here}},
                       headers=v("2.56")).status_code == 400
    other = ({"nfv-2s-smt", "nfv-4n-nosmt"} - {here}).pop()
    assert client.post(path, json={"migrate": {"host": other}},
                       headers=v("2.56")).status_code == 202
    moved = wait_status(client, vm, ("VERIFY_RESIZE",), headers=ADMIN)
    assert moved["OS-EXT-SRV-ATTR:host"] == other
    assert client.post(path, json={"confirmResize": None}, headers=ADMIN).status_code == 204
    wait_status(client, vm)


def check_2_57(client, vm):
    assert _create(client, "2.57", networks="none", personality=[]).status_code == 400
    assert "maxPersonality" in _absolute(client, "2.56")
    assert "maxPersonality" not in _absolute(client, "2.57")


def check_2_58(client, vm):
    path = "/v2.1/servers/%s/os-instance-actions" % vm
    assert "updated_at" not in client.get(path, headers=v("2.57", ALICE)).json()[
        "instanceActions"][0]
    r = client.get(path + "?limit=1", headers=v("2.58", ALICE)).json()
    assert len(r["instanceActions"]) == 1 and "updated_at" in r["instanceActions"][0]
    assert "marker=" in r["links"][0]["href"]
    later = client.get(path + "?changes-since=2999-01-01T00:00:00Z",
                       headers=v("2.58", ALICE)).json()
    assert later["instanceActions"] == []


def check_2_60(client, vm):
    vol = {"OpenStack-API-Version": "volume 3.59"}
    r = client.post("/volume/v3/types", json={"volume_type": {
        "name": "mv-multi", "extra_specs": {"multiattach": "<is> True"}}},
        headers={**ADMIN, **vol})
    assert r.status_code == 200, r.text
    r = client.post("/volume/v3/volumes", json={"volume": {
        "size": 1, "name": "mv-shared", "volume_type": "mv-multi"}}, headers={**ALICE, **vol})
    assert r.status_code == 202, r.text
    body = {"volumeAttachment": {"volumeId": r.json()["volume"]["id"]}}
    path = "/v2.1/servers/%s/os-volume_attachments" % vm
    old = client.post(path, json=body, headers=v("2.59", ALICE))
    assert old.status_code == 400 and "2.60" in old.json()["badRequest"]["message"]
    r = client.post(path, json=body, headers=v("2.60", ALICE))
    assert r.status_code == 200 and r.json()["volumeAttachment"]["serverId"] == vm


def check_2_61(client, vm):
    assert "extra_specs" not in client.get("/v2.1/flavors/pinned.4",
                                           headers=v("2.60")).json()["flavor"]
    shown = client.get("/v2.1/flavors/pinned.4", headers=v("2.61")).json()["flavor"]
    assert shown["extra_specs"]["hw:cpu_policy"] == "dedicated"
    listed = client.get("/v2.1/flavors/detail", headers=v("2.61")).json()["flavors"]
    assert all("extra_specs" in f for f in listed)
    assert all("extra_specs" not in f for f in client.get(
        "/v2.1/flavors", headers=v("2.61")).json()["flavors"])


def _create_event(client, vm, version, headers):
    req = client.get("/v2.1/servers/%s/os-instance-actions" % vm,
                     headers=ALICE).json()["instanceActions"][-1]["request_id"]
    path = "/v2.1/servers/%s/os-instance-actions/%s" % (vm, req)
    return client.get(path, headers=v(version, headers)).json()["instanceAction"][
        "events"][0]


def check_2_62(client, vm):
    event = _create_event(client, vm, "2.61", ALICE)
    assert "hostId" not in event and "host" not in event
    # The server was built on a host of the test cloud (and may have moved since).
    admin_event = _create_event(client, vm, "2.62", ADMIN)
    assert admin_event["host"] in ("nfv-2s-smt", "nfv-4n-nosmt")
    event = _create_event(client, vm, "2.62", ALICE)
    assert "host" not in event
    assert event["hostId"] == admin_event["hostId"] == hashlib.sha224(
        ("p1" + admin_event["host"]).encode()).hexdigest()


def check_2_63(client, vm):
    certs = ["0b5d2c72-12cc-4ba6-a8d7-3ff5cc1d8cb8", "674736e3-f25c-405c-8362-bbf991e0ce0a"]
    assert _create(client, "2.62", networks="none",
                   trusted_image_certificates=certs).status_code == 400
    for bad in ([], ["a", "a"], [""], ["x%d" % i for i in range(51)]):
        r = _create(client, "2.63", networks="none", trusted_image_certificates=bad)
        assert r.status_code == 400, bad
    bfv = [{"uuid": CIRROS, "source_type": "image", "destination_type": "volume",
            "boot_index": 0, "volume_size": 1}]
    r = _create(client, "2.63", networks="none", trusted_image_certificates=certs,
                block_device_mapping_v2=bfv)
    assert "volume-backed" in r.json()["badRequest"]["message"]
    r = _create(client, "2.63", networks="none", trusted_image_certificates=certs)
    assert r.status_code == 202, r.text
    uuid = r.json()["server"]["id"]
    assert _server(client, uuid, "2.63", ALICE)["trusted_image_certificates"] == certs
    assert "trusted_image_certificates" not in _server(client, uuid, "2.62", ALICE)
    detail = client.get("/v2.1/servers/detail", headers=v("2.63", ALICE)).json()["servers"]
    assert {s["id"]: s["trusted_image_certificates"] for s in detail}[vm] is None
    client.delete("/v2.1/servers/%s" % uuid, headers=ALICE)


def _ids(client, query, version):
    r = client.get("/v2.1/servers?" + query, headers=v(version, ALICE))
    assert r.status_code == 200, r.text
    return [s["id"] for s in r.json()["servers"]]


def check_2_66(client, vm):
    past, future = "2000-01-01T00:00:00Z", "2999-01-01T00:00:00Z"
    assert vm in _ids(client, "changes-before=" + past, "2.65")
    assert vm not in _ids(client, "changes-before=" + past, "2.66")
    assert vm in _ids(client, "changes-before=" + future, "2.66")
    r = client.get("/v2.1/servers?changes-since=%s&changes-before=%s" % (future, past),
                   headers=v("2.66", ALICE))
    assert r.status_code == 400 and "changes-before" in r.json()["badRequest"]["message"]
    assert client.get("/v2.1/servers?changes-before=yesterday",
                      headers=v("2.66", ALICE)).status_code == 400
    path = "/v2.1/servers/%s/os-instance-actions?changes-before=" % vm
    assert client.get(path + past, headers=v("2.65", ALICE)).json()["instanceActions"]
    assert client.get(path + past, headers=v("2.66", ALICE)).json()[
        "instanceActions"] == []
    assert client.get(path + future, headers=v("2.66", ALICE)).json()["instanceActions"]


def check_2_67(client, cloud_api, vm):
    bdm = [{"uuid": CIRROS, "source_type": "image", "destination_type": "local",
            "boot_index": 0, "volume_type": "fast"}]
    r = _create(client, "2.66", networks="none", block_device_mapping_v2=bdm)
    assert r.status_code == 400 and "volume_type" in r.json()["badRequest"]["message"]
    r = _create(client, "2.67", networks="none", block_device_mapping_v2=bdm)
    assert r.json() == {"badRequest": {"code": 400,
                                       "message": "Volume type fast could not be found."}}
    with cloud_api.router.api() as s:
        s.add(VolumeTypeRow(uuid=str(uuidlib.uuid4()), name="fast", extra_specs="{}"))
    r = _create(client, "2.67", networks="none", block_device_mapping_v2=bdm)
    assert r.status_code == 202, r.text
    client.delete("/v2.1/servers/%s" % r.json()["server"]["id"], headers=ALICE)


def check_2_69(client, cloud_api, vm):
    """A cell whose database refuses connections holds a server of p1 and a host."""
    router = cloud_api.router
    dead = CellMapping(uuid=str(uuidlib.uuid4()), name="dead", transport_url="fake://dead",
                       database_connection="postgresql+psycopg2://nobody@127.0.0.1:1/dead")
    lost = str(uuidlib.uuid4())
    with router.api() as s:
        api_q.create_cell_mapping(s, dead)
        api_q.create_instance_mapping(s, InstanceMapping(
            instance_uuid=lost, cell_uuid=dead.uuid, project_id="p1", user_id="alice"))
        api_q.create_request_spec(s, RequestSpec.build(lost, PINNED, ImageMeta(id=CIRROS),
                                                       project_id="p1", user_id="alice"))
        api_q.create_host_mapping(s, HostMapping(host="lost-host", cell_uuid=dead.uuid))
    router.cells(refresh=True)
    try:
        assert lost not in _ids(client, "", "2.68")
        listed = client.get("/v2.1/servers", headers=v("2.69", ALICE)).json()["servers"]
        assert listed[0] == {"id": lost, "status": "UNKNOWN", "links": listed[0]["links"]}
        assert vm in [s["id"] for s in listed]
        rows = client.get("/v2.1/servers/detail", headers=v("2.69", ALICE)).json()[
            "servers"]
        assert set(rows[0]) == {"id", "status", "tenant_id", "created", "links"}
        assert client.get("/v2.1/servers/" + lost, headers=v("2.68", ALICE)
                          ).status_code == 503
        shown = client.get("/v2.1/servers/" + lost, headers=v("2.69", ALICE))
        assert shown.status_code == 200, shown.text
        body = shown.json()["server"]
        assert body["status"] == "UNKNOWN" and body["user_id"] == "alice"
        assert body["OS-EXT-AZ:availability_zone"] == "UNKNOWN"
        assert body["OS-EXT-STS:power_state"] == 0 and body["image"]["id"] == CIRROS
        assert body["flavor"]["original_name"] == "pinned.4"
        assert set(body) == {"id", "status", "tenant_id", "user_id", "created", "links",
                             "image", "flavor", "OS-EXT-AZ:availability_zone",
                             "OS-EXT-STS:power_state"}
        assert client.get("/v2.1/servers/" + lost, headers=v("2.69", BOB)
                          ).status_code == 404
        services = client.get("/v2.1/os-services", headers=v("2.69")).json()["services"]
        assert {"binary": "tessera-compute", "host": "lost-host",
                "status": "UNKNOWN"} in services
        assert all(s.get("host") != "lost-host" for s in client.get(
            "/v2.1/os-services", headers=v("2.68")).json()["services"])
    finally:
        with router.api() as s:
            s.execute(delete(InstanceMappingRow).where(
                InstanceMappingRow.instance_uuid == lost))
            s.execute(delete(HostMappingRow).where(HostMappingRow.host == "lost-host"))
            s.execute(delete(CellMappingRow).where(CellMappingRow.uuid == dead.uuid))
        router.cells(refresh=True)


def test_every_claimed_version_has_a_check():
    claimed = [ver for ver, _ in VERSIONS]
    missing = [ver for ver in claimed if "check_" + ver.replace(".", "_") not in globals()
               and ver not in NOT_SERVED and ver not in NA_ACTIONS]
    assert missing == []


@pytest.mark.parametrize("version", [ver for ver, _ in VERSIONS])
def test_claimed_version(client, cloud, vm, version):
    check = globals().get("check_" + version.replace(".", "_"))
    if check is not None and "cloud_api" in inspect.signature(check).parameters:
        check(client, cloud.api, vm)
    elif check is not None:
        check(client, vm)
    if version in NOT_SERVED:
        path = NOT_SERVED[version].replace("%s", vm)
        r = client.get("/v2.1" + path, headers=v(version, ALICE))
        assert r.status_code == 404 and r.json()["itemNotFound"]["code"] == 404
    if version in NA_ACTIONS:
        r = client.post("/v2.1/servers/%s/action" % vm, json={NA_ACTIONS[version]: {}},
                        headers=v(version, ALICE))
        assert r.status_code == 400 and "not supported" in r.json()["badRequest"]["message"]
