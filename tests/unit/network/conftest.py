"""An AllInOne (SQLite, fake:// RPC, one fake NFV host) with the API app in front of
it, driven through FastAPI's TestClient, for the Networking API at /network."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from tessera.api import policy
from tessera.api.compute import build_app
from tessera.deploy import AllInOne
from tessera.objects import Flavor
from tests.support.api_cloud import ADMIN, ALICE, BOB, CIRROS, all_in_one  # noqa: F401

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

NET = "/network/v2.0"
HUGE = Flavor(flavorid="huge.2", name="huge.2", vcpus=2, memory_mb=2048, root_gb=1,
              extra_specs={"hw:cpu_policy": "dedicated", "hw:mem_page_size": "2MB"})
PLAIN = Flavor(flavorid="plain.1", name="plain.1", vcpus=1, memory_mb=512, root_gb=1)
GIANT = Flavor(flavorid="giant", name="giant", vcpus=8, memory_mb=8192, root_gb=1,
               extra_specs={"hw:numa_nodes": "8"})  # more NUMA nodes than any host


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AllInOne]:
    with all_in_one(tmp_path_factory.mktemp("aio"),
                    "net", ["nfv-2s-smt"], (HUGE, PLAIN, GIANT)) as aio:
        yield aio


@pytest.fixture(scope="module")
def client(cloud: AllInOne) -> Iterator[TestClient]:
    policy.reset()
    yield TestClient(build_app(cloud.api), raise_server_exceptions=False)
    policy.reset()


def post(client: TestClient, collection: str, key: str,
         headers: dict[str, str] = ALICE, **body: Any) -> dict[str, Any]:
    r = client.post("%s/%s" % (NET, collection), json={key: body}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()[key]
