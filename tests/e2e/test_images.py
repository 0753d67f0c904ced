"""Images end to end with the real `openstack` CLI against `tessera up --driver
libvirt` on libvirt's test driver (a node of this module's own, the 2-cell SMT
capabilities fixture): a Windows image with the guest agent and required quiesce
boots into a domain with the Hyper-V features, a localtime clock and the agent
channel; `server image create` makes a new active image; and the everyday image
commands (create with a file, list with property filters, set/unset, save, delete),
with a clear error for a bad hw_* property."""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import BIN, Tessera, running_on_libvirt

pytestmark = pytest.mark.e2e



@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tessera]:
    with running_on_libvirt(tmp_path_factory.mktemp("tessera-up-libvirt"),
                            "e2e-libvirt") as cloud:
        yield cloud


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def wait_for(cloud: Tessera, path: str, key: str, field: str, wanted: str,
             timeout: float = 30) -> dict[str, Any]:
    """Poll `GET path` (faster than the CLI's 5 s `--wait`) until body[key][field]
    (or body[field] when key is empty) is `wanted`."""
    deadline = time.monotonic() + timeout
    while True:
        status, body = cloud.http("GET", path)
        item = body.get(key, {}) if key else body
        if status == 200 and item.get(field) == wanted:
            return item
        assert time.monotonic() < deadline, "%s stayed %s" % (path, body)
        time.sleep(0.1)


def test_windows_image_boots_with_hyperv_and_agent_and_snapshots(
        cloud: Tessera, tmp_path: Path) -> None:
    disk = tmp_path / "win.raw"
    disk.write_bytes(os.urandom(64 * 1024))
    win = cloud.cli_json("image", "create", "--file", str(disk), "--disk-format", "raw",
                         "--container-format", "bare", "--property", "os_type=windows",
                         "--property", "hw_qemu_guest_agent=yes",
                         "--property", "os_require_quiesce=yes", "win")
    assert win["status"] == "active" and win["checksum"] == md5(disk)
    # a root disk of 0: the test driver's snapshot is then 1 MiB, not the flavor's GiB
    status, _ = cloud.http("POST", "/v2.1/flavors", {"flavor": {
        "name": "win.pinned", "vcpus": 2, "ram": 1024, "disk": 0}})
    assert status == 200
    status, _ = cloud.http("POST", "/v2.1/flavors/win.pinned/os-extra_specs",
                           {"extra_specs": {"hw:cpu_policy": "dedicated"}})
    vm = cloud.cli_json("server", "create", "--flavor", "win.pinned", "--image", "win",
                        "--nic", "none", "winvm")
    assert wait_for(cloud, "/v2.1/servers/%s" % vm["id"], "server", "status",
                    "ACTIVE")["image"]["id"] == win["id"]

    # the XML libvirt holds, through the admin API and `tessera domain-xml`
    status, body = cloud.http("GET", "/v2.1/os-tessera/servers/%s/domain-xml" % vm["id"])
    assert status == 200, body
    root = ET.fromstring(body["domain_xml"])
    assert root.find("uuid").text == vm["id"]
    hyperv = {e.tag for e in root.findall("features/hyperv/*")
              if e.get("state", "on") == "on"}
    assert {"relaxed", "vapic", "spinlocks"} <= hyperv, hyperv
    clock = root.find("clock")
    assert clock.get("offset") == "localtime"
    assert "hypervclock" in {t.get("name") for t in clock.findall("timer")}
    channels = [c for c in root.findall("devices/channel")
                if c.find("target") is not None
                and c.find("target").get("name") == "org.qemu.guest_agent.0"]
    assert len(channels) == 1 and channels[0].get("type") == "unix"
    shown = subprocess.run([str(BIN / "tessera"), "domain-xml", "--os-cloud", "tessera",
                            vm["id"]], env=cloud.env, capture_output=True, text=True,
                           timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert ET.fromstring(shown.stdout).find("uuid").text == vm["id"]
    assert cloud.http("GET", "/v2.1/os-tessera/servers/%s/domain-xml" % vm["id"],
                      token="alice:p1")[0] == 403

    # a snapshot: a new active image whose checksum is that of its data
    snap = cloud.cli_json("server", "image", "create", "--name", "win-snap", vm["id"])
    image = wait_for(cloud, "/image/v2/images/%s" % snap["id"], "", "status", "active")
    assert image["disk_format"] == "raw" and image["name"] == "win-snap"
    assert image["base_image_ref"] == win["id"] and image["instance_uuid"] == vm["id"]
    assert image["image_type"] == "snapshot" and image["os_type"] == "windows"
    saved = tmp_path / "snap.raw"
    cloud.cli("image", "save", "--file", str(saved), "win-snap")
    assert image["checksum"] == md5(saved) and image["size"] == saved.stat().st_size
    server = wait_for(cloud, "/v2.1/servers/%s" % vm["id"], "server",
                      "OS-EXT-STS:task_state", None)
    assert server["status"] == "ACTIVE"


def _names(rows: list[dict[str, Any]]) -> set[str]:
    return {r["Name"] for r in rows}


def _image(cloud: Tessera, image_id: str) -> dict[str, Any]:
    status, body = cloud.http("GET", "/image/v2/images/%s" % image_id, token="alice:p1")
    assert status == 200, body
    return body


def parallel(*calls: Callable[[], Any]) -> list[Any]:
    """Run independent CLI calls side by side (each `openstack` process spends
    seconds starting); their results in order."""
    with ThreadPoolExecutor(len(calls)) as pool:
        return [f.result() for f in [pool.submit(c) for c in calls]]


def test_image_commands(cloud: Tessera, tmp_path: Path) -> None:
    data = tmp_path / "data.qcow2"
    data.write_bytes(b"QFI\xfb" + os.urandom(32 * 1024))
    made, other, bad = parallel(
        lambda: cloud.cli_json("image", "create", "--file", str(data), "--disk-format",
                               "qcow2", "--container-format", "bare", "--private",
                               "--property", "hw_cpu_policy=dedicated",
                               "--property", "site=lab", "--property", "rack=r7",
                               "img-a", cloud="alice"),
        lambda: cloud.cli_json("image", "create", "--disk-format", "raw",
                               "--container-format", "bare", "--property", "site=edge",
                               "img-b", cloud="alice"),
        lambda: cloud.cli("image", "create", "--property", "hw_cpu_policy=bogus", "bad",
                          cloud="alice", check=False))
    assert made["status"] == "active" and made["checksum"] == md5(data)
    assert made["visibility"] == "private" and other["name"] == "img-b"
    assert bad.returncode != 0
    assert "hw_cpu_policy" in bad.stderr and "400" in bad.stderr
    status, body = cloud.http("GET", "/image/v2/images?name=bad", token="alice:p1")
    assert status == 200 and body["images"] == []

    saved = tmp_path / "saved"
    rack, _, _ = parallel(  # `set` leaves `rack` alone
        lambda: cloud.cli_json("image", "list", "--property", "rack=r7",
                               "--status", "active", cloud="alice"),
        lambda: cloud.cli("image", "set", "--property", "site=core", "--property",
                          "tier=gold", "--name", "img-a2", made["id"], cloud="alice"),
        lambda: cloud.cli("image", "save", "--file", str(saved), made["id"],
                          cloud="alice"))
    assert [r["ID"] for r in rack] == [made["id"]]
    assert saved.read_bytes() == data.read_bytes()
    shown = _image(cloud, made["id"])
    assert shown["name"] == "img-a2"
    assert shown["site"] == "core" and shown["tier"] == "gold"

    cloud.cli("image", "unset", "--property", "tier", "img-a2", cloud="alice")
    assert "tier" not in _image(cloud, made["id"])
    cloud.cli("image", "delete", "img-a2", other["id"], cloud="alice")
    for image_id in (made["id"], other["id"]):
        assert cloud.http("GET", "/image/v2/images/%s" % image_id,
                          token="alice:p1")[0] == 404
