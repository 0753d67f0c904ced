"""An AllInOne (SQLite, fake:// RPC, two fake NFV hosts) with the Compute API app in
front of it, driven through FastAPI's TestClient."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tessera.api import policy
from tessera.api.compute import build_app
from tessera.deploy import AllInOne, Settings
from tessera.objects import Flavor

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[4]
HOSTS = {h["name"]: h for h in yaml.safe_load((ROOT / "etc/hosts.yaml").read_text())["hosts"]}
ADMIN = {"X-Auth-Token": "admin:admin"}
ALICE = {"X-Auth-Token": "alice:p1"}
BOB = {"X-Auth-Token": "bob:p2"}
CIRROS = "1b9a0b1e-0c38-4c6e-9a57-6f0d6d1c0001"
PINNED = Flavor(flavorid="pinned.4", name="pinned.4", vcpus=4, memory_mb=4096, root_gb=1,
                extra_specs={"hw:cpu_policy": "dedicated", "hw:mem_page_size": "1GB"})
PINNED8 = Flavor(flavorid="pinned.8", name="pinned.8", vcpus=8, memory_mb=8192, root_gb=1,
                 extra_specs={"hw:cpu_policy": "dedicated", "hw:mem_page_size": "1GB"})


def v(version: str, headers: dict[str, str] = ADMIN) -> dict[str, str]:
    return {**headers, "X-OpenStack-Nova-API-Version": version}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AllInOne]:
    tmp = tmp_path_factory.mktemp("aio")
    settings = Settings(api_db="sqlite:///%s/api.sqlite" % tmp,
                        cell_db="sqlite:///%s/cell1.sqlite" % tmp,
                        transport_url="fake://api-%s" % tmp.name,
                        hosts=[HOSTS["nfv-2s-smt"], HOSTS["nfv-4n-nosmt"]])
    with AllInOne(settings) as aio:
        aio.api.create_flavor(PINNED)
        aio.api.create_flavor(PINNED8)
        yield aio


@pytest.fixture(scope="module")
def client(cloud: AllInOne) -> Iterator[TestClient]:
    policy.reset()
    yield TestClient(build_app(cloud.api), raise_server_exceptions=False)
    policy.reset()


def boot(client: TestClient, name: str = "vm", headers: dict[str, str] = ALICE,
         flavor: str = "pinned.4", version: str = "2.1", **extra: Any) -> str:
    server = {"name": name, "imageRef": CIRROS, "flavorRef": flavor, **extra}
    if version >= "2.37" and "networks" not in server:
        server["networks"] = "none"
    r = client.post("/v2.1/servers", json={"server": server}, headers=v(version, headers))
    assert r.status_code == 202, r.text
    return r.json()["server"]["id"]


def wait_status(client: TestClient, uuid: str, statuses: tuple[str, ...] = ("ACTIVE",),
                headers: dict[str, str] = ALICE, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get("/v2.1/servers/%s" % uuid, headers=headers).json()["server"]
        if body["status"] in statuses and body["OS-EXT-STS:task_state"] is None:
            return body
        if time.monotonic() > deadline:
            raise AssertionError("server %s stayed %s" % (uuid, body["status"]))
        time.sleep(0.02)
