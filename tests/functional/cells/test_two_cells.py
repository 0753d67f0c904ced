"""Two cells on PostgreSQL, each with its own database and its own RabbitMQ virtual
host, plus cell0; the API level (conductor, scheduler) has a virtual host of its own.

`tessera-manage cell_v2` sets the cells up as an operator would; the services run in
this process (each compute on its cell's bus and database, a conductor per cell bus);
the HTTP API is the real app. Boots fill both cells, one that fits nowhere is buried
in cell0, listings merge and page across cells; with a spare host added to each cell,
a cold migration and a resize stay in their cell while the other cell's hosts (one of
them the emptiest host of all) receive no RPC at all. Then one cell's database really
goes away (PostgreSQL stops accepting connections to it): the other cell still boots,
lists and deletes, and the API still answers, showing the dead cell's servers as
UNKNOWN from microversion 2.69.
"""

from __future__ import annotations

import subprocess
import time
import uuid
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tessera.api import policy
from tessera.api.compute import build_app
from tessera.cells.services import cell_conductor_service
from tessera.cmd.manage import main as manage
from tessera.compute.api import CloudAPI
from tessera.conductor.rpcapi import ConductorAPI
from tessera.db import cells as cell_admin
from tessera.db.cell import queries as mig_q
from tessera.db.engine import dispose_engine
from tessera.deploy import Settings, compute_service, conductor_service, scheduler_service
from tessera.objects import Flavor, VmState
from tessera.routing import CellRouter, cell_db_url
from tessera.rpc import cleanup, get_transport
from tessera.service import Service, stop_services
from tests.functional.control.helpers import CTX, settled, wait_for
from tests.support.databases import ADMIN_URLS, DatabaseServer
from tests.support.rabbit import drop_vhost, ensure_vhost

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ALICE = {"X-Auth-Token": "alice:demo", "X-OpenStack-Nova-API-Version": "2.60"}
ALICE_269 = {**ALICE, "X-OpenStack-Nova-API-Version": "2.69"}
ADMIN = {"X-Auth-Token": "admin:admin", "X-OpenStack-Nova-API-Version": "2.60"}
PINNED_2 = Flavor(flavorid="pinned.2", name="pinned.2", vcpus=2, memory_mb=1024,
                  root_gb=1, extra_specs={"hw:cpu_policy": "dedicated"})
PINNED_1 = Flavor(flavorid="pinned.1", name="pinned.1", vcpus=1, memory_mb=512,
                  root_gb=1, extra_specs={"hw:cpu_policy": "dedicated"})


def _host(name: str, cores: int) -> dict[str, Any]:
    """One NUMA node, `cores` cores with no SMT; the first is shared, so a host
    holds (cores - 1) // 2 guests of PINNED_2."""
    return {"name": name, "cpu_allocation_ratio": 1.0,
            "topology": {"cells": 1, "cores": cores, "threads": 1, "shared_cores": 1},
            "cells": [{"memory_mb": 16384}]}


HOSTS = {"cell1": _host("c1-host", 5), "cell2": _host("c2-host", 3)}


@dataclass
class TwoCells:
    api_db: str
    api_url: str
    cells: dict[str, tuple[str, str, str]]  # name -> (uuid, db url, transport url)
    cloud: CloudAPI
    client: TestClient
    scheduler: Service
    services: list[Service] = field(default_factory=list)

    def cell_of(self, instance_uuid: str) -> str:
        cell = self.cloud.router.cell_of_instance(instance_uuid)
        assert cell is not None
        return cell.name or ""

    def servers(self, path: str = "servers", headers: dict[str, str] = ALICE,
                **params: str) -> dict[str, Any]:
        r = self.client.get("/v2.1/" + path, params=params, headers=headers)
        assert r.status_code == 200, r.text
        return r.json()

    def add_host(self, cell: str, description: dict[str, Any]) -> Service:
        """Start one more compute host in `cell` and wait until it is mapped."""
        _, db, url = self.cells[cell]
        service = compute_service(Settings(api_db=self.api_db, cell_db=db,
                                           transport_url=url), description)
        self.services.append(service)
        service.start()
        wait_for(lambda: description["name"] in {h.host for _c, h in
                                                 cell_admin.list_hosts(self.api_db)},
                 20, "discover_hosts to map %s" % description["name"])
        return service

    def action(self, server: str, body: dict[str, Any], headers: dict[str, str],
               status: str = "VERIFY_RESIZE") -> dict[str, Any]:
        """Post a server action and wait for the server to reach `status`."""
        r = self.client.post("/v2.1/servers/%s/action" % server, json=body,
                             headers=headers)
        assert r.status_code in (202, 204), r.text

        def reached() -> dict[str, Any] | None:
            got = self.client.get("/v2.1/servers/%s" % server, headers=ADMIN).json()
            shown = got["server"]
            ok = shown["status"] == status and shown["OS-EXT-STS:task_state"] is None
            return shown if ok else None
        return wait_for(reached, 30, "%s to be %s" % (server, status))


def _make_vhosts(names: list[str], require_service) -> None:
    with ThreadPoolExecutor(len(names)) as pool:
        list(pool.map(lambda n: ensure_vhost(n, require_service), names))


@pytest.fixture
def two_cells(tmp_path: Path, require_service) -> Iterator[TwoCells]:
    server = DatabaseServer("postgresql", tmp_path, "cells")
    require_service("PostgreSQL", server.available, server.detail)
    tag = uuid.uuid4().hex[:8]
    vhosts = {n: "tessera-cells-%s-%s" % (n, tag) for n in ("api", "cell1", "cell2")}
    _make_vhosts(list(vhosts.values()), require_service)
    urls = {n: "rabbit://guest:guest@127.0.0.1:5672/%s" % v for n, v in vhosts.items()}
    api_db = server.url("api")
    dbs = {"cell1": server.url("cell1"), "cell2": server.url("cell2"),
           "cell0": server.url("cell0")}
    services: list[Service] = []
    try:
        common = ["--api-database-connection", api_db]
        assert manage([*common, "api_db", "sync"]) == 0
        assert manage([*common, "cell_v2", "map_cell0", "--database_connection",
                       dbs["cell0"]]) == 0
        cells: dict[str, tuple[str, str, str]] = {}
        for name in ("cell1", "cell2"):
            assert manage([*common, "--database-connection", dbs[name], "db", "sync",
                           "--local_cell"]) == 0
            assert manage([*common, "cell_v2", "create_cell", "--name", name,
                           "--transport-url", urls[name], "--database_connection",
                           dbs[name]]) == 0
            [cell] = [c for c in cell_admin.list_cells(api_db) if c.name == name]
            cells[name] = (cell.uuid, dbs[name], urls[name])

        top = Settings(api_db=api_db, cell_db=dbs["cell1"], transport_url=urls["api"],
                       discover_hosts_interval=0.5)
        scheduler = scheduler_service(top)
        services += [conductor_service(top), scheduler]
        for name, (_, db, url) in cells.items():
            services.append(cell_conductor_service(top, url))
            services.append(compute_service(Settings(api_db=api_db, cell_db=db,
                                                     transport_url=url), HOSTS[name]))
        for s in services:
            s.start()
        # The scheduler's periodic discover_hosts maps the hosts of both cells.
        wait_for(lambda: len(cell_admin.list_hosts(api_db)) == 2, 20,
                 "discover_hosts to map both cells' hosts")
        cloud = CloudAPI(CellRouter(api_db), ConductorAPI(get_transport(urls["api"])))
        cloud.create_flavor(PINNED_2)
        cloud.create_flavor(PINNED_1)
        policy.reset()
        client = TestClient(build_app(cloud), raise_server_exceptions=False)
        yield TwoCells(api_db, urls["api"], cells, cloud, client, scheduler, services)
    finally:
        # Stopping a RabbitMQ listener takes seconds: stop them all at once.
        with ThreadPoolExecutor(max(len(services), 1)) as pool:
            list(pool.map(lambda s: stop_services([s]), services))
        policy.reset()
        for url in urls.values():
            cleanup(url)
        for url in (api_db, *dbs.values()):
            dispose_engine(url)
            dispose_engine(cell_db_url(url))
        server.drop_all()
        with ThreadPoolExecutor(len(vhosts)) as pool:
            list(pool.map(drop_vhost, vhosts.values()))


def _outage(database_url: str, available: bool) -> None:
    """Stop (or allow again) every connection to one PostgreSQL database."""
    name = sa.engine.make_url(database_url).database
    admin = sa.create_engine(ADMIN_URLS["postgresql"], isolation_level="AUTOCOMMIT",
                             poolclass=sa.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql("ALTER DATABASE %s ALLOW_CONNECTIONS %s"
                             % (name, "true" if available else "false"))
        if not available:
            conn.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM "
                                 "pg_stat_activity WHERE datname = '%s'" % name)
    admin.dispose()


def _spy_on(services: list[Service]) -> list[tuple[str, str]]:
    """Record (host, method) of every compute RPC the hosts of `services` handle; the
    calls themselves go through unchanged."""
    received: list[tuple[str, str]] = []
    for service in services:
        manager = service.endpoints[0]
        for name in ("build_and_run_instance", "prep_resize", "resize_instance",
                     "finish_resize", "confirm_resize", "revert_resize",
                     "terminate_instance"):
            method = getattr(manager, name)

            def recorded(*args: Any, _m: Any = method, _n: str = name,
                         _h: str = service.host, **kwargs: Any) -> Any:
                received.append((_h, _n))
                return _m(*args, **kwargs)
            setattr(manager, name, recorded)
    return received


def _moves_stay_in_their_cell(t: TwoCells, server: str) -> None:
    """A cell1 server cold-migrates, then resizes; a spare host in each cell, cell2's
    the emptiest of all (the spread weigher's favourite were cells not kept apart)."""
    t.add_host("cell1", _host("c1-spare", 5))
    t.add_host("cell2", _host("c2-spare", 9))
    cell2_hosts = [s for s in t.services
                   if getattr(s, "host", None) in ("c2-host", "c2-spare")]
    assert len(cell2_hosts) == 2
    received = _spy_on(cell2_hosts)
    before = t.client.get("/v2.1/servers/%s" % server, headers=ADMIN).json()["server"]
    source = before["OS-EXT-SRV-ATTR:host"]
    moved = t.action(server, {"migrate": None}, ADMIN)
    assert moved["OS-EXT-SRV-ATTR:host"] == "c1-spare"
    t.action(server, {"confirmResize": None}, ADMIN, "ACTIVE")
    resized = t.action(server, {"resize": {"flavorRef": "pinned.1"}}, ALICE)
    assert resized["OS-EXT-SRV-ATTR:host"] == source  # the other cell1 host
    assert resized["flavor"]["original_name"] == "pinned.1"
    t.action(server, {"confirmResize": None}, ALICE, "ACTIVE")
    assert t.cell_of(server) == "cell1"
    with t.cloud.router.cell_db(t.cells["cell1"][0]) as s:
        kinds = sorted(m.migration_type for m in
                       mig_q.list_migrations_for_instance(s, server))
    assert kinds == ["migration", "resize"]
    with t.cloud.router.cell_db(t.cells["cell2"][0]) as s:
        assert mig_q.list_migrations_for_instance(s, server) == []
    assert received == []


def test_two_cells_boot_list_page_bury_and_survive_a_dead_cell(two_cells: TwoCells) -> None:
    t = two_cells
    api = t.cloud
    cell2_db = t.cells["cell2"][1]
    # Capacity: two guests fit in cell1, one in cell2; three boots need both cells.
    made = []
    for i in range(3):
        [inst] = api.create(CTX, PINNED_2, name="vm%d" % i)
        made.append(inst.uuid)
        time.sleep(0.01)  # distinct creation times: the merge order is checked below
    for u in made:
        assert settled(api, u, timeout=30).vm_state is VmState.ACTIVE, api.fault(u)
    assert sorted(t.cell_of(u) for u in made) == ["cell1", "cell1", "cell2"]

    [buried] = api.create(CTX, PINNED_2, name="nowhere")
    inst = settled(api, buried.uuid, (VmState.ERROR,), timeout=30)
    assert t.cell_of(buried.uuid) == "cell0" and inst.host is None
    assert "No valid host" in api.fault(buried.uuid).message

    # Computes listen on their own cell's bus only.
    for name, (_, _, url) in t.cells.items():
        other = "c2-host" if name == "cell1" else "c1-host"
        assert "tessera-compute.%s" % HOSTS[name]["name"] in _queues(url)
        assert "tessera-compute.%s" % other not in _queues(url)

    # One listing over three cells, newest first, paged by limit and marker.
    newest_first = [buried.uuid, *reversed(made)]
    assert [s["id"] for s in t.servers()["servers"]] == newest_first
    first = t.servers(limit="2")
    assert [s["id"] for s in first["servers"]] == newest_first[:2]
    assert "marker=%s" % newest_first[1] in first["servers_links"][0]["href"]
    rest = t.servers(limit="2", marker=newest_first[1])["servers"]
    assert [s["id"] for s in rest] == newest_first[2:]
    detail = t.servers("servers/detail")["servers"]
    assert [s["status"] for s in detail] == ["ERROR", "ACTIVE", "ACTIVE", "ACTIVE"]
    assert detail[0]["fault"]["message"].startswith("No valid host")

    _moves_stay_in_their_cell(t, next(u for u in made if t.cell_of(u) == "cell1"))

    # cell2's database goes away.
    [in_cell2] = [u for u in made if t.cell_of(u) == "cell2"]
    _outage(cell2_db, available=False)
    try:
        started = time.monotonic()
        listed = [s["id"] for s in t.servers()["servers"]]
        assert time.monotonic() - started < 5
        assert listed == [u for u in newest_first if u != in_cell2]  # below 2.69

        body = t.servers(headers=ALICE_269)
        [unknown] = [s for s in body["servers"] if s["id"] == in_cell2]
        assert unknown["status"] == "UNKNOWN" and set(unknown) == {"id", "status", "links"}
        assert body["servers"][0]["id"] == in_cell2  # a down cell's servers come first
        assert [s["id"] for s in body["servers"][1:]] == listed
        paged = t.servers(headers=ALICE_269, limit="2")["servers"]
        assert [s["id"] for s in paged] == [in_cell2, listed[0]]
        rows = t.servers("servers/detail", headers=ALICE_269)["servers"]
        [unknown] = [s for s in rows if s["id"] == in_cell2]
        assert set(unknown) == {"id", "status", "tenant_id", "created", "links"}
        assert unknown["tenant_id"] == "demo" and unknown["status"] == "UNKNOWN"
        shown = t.client.get("/v2.1/servers/%s" % in_cell2, headers=ALICE)
        [fault] = shown.json().values()
        assert shown.status_code == 503 and "not reachable" in fault["message"]
        shown = t.client.get("/v2.1/servers/%s" % in_cell2, headers=ALICE_269)
        assert shown.status_code == 200, shown.text
        server = shown.json()["server"]
        assert server["status"] == "UNKNOWN" and server["flavor"]["original_name"] == \
            "pinned.2" and server["user_id"] == "alice"

        # cell1 is fully usable: delete, boot into the room freed, list.
        router = t.scheduler.endpoints[0].cache.router
        wait_for(lambda: t.cells["cell2"][0] not in {c.uuid for c in
                                                     router.compute_cells()},
                 10, "the scheduler to notice cell2 is down")
        victim = next(u for u in made if t.cell_of(u) == "cell1")
        r = t.client.delete("/v2.1/servers/%s" % victim, headers=ALICE)
        assert r.status_code == 204, r.text
        wait_for(lambda: victim not in [s["id"] for s in t.servers()["servers"]], 20,
                 "the delete in cell1")
        [again] = api.create(CTX, PINNED_2, name="after-outage")
        assert settled(api, again.uuid, timeout=30).vm_state is VmState.ACTIVE, \
            api.fault(again.uuid)
        assert t.cell_of(again.uuid) == "cell1"
        assert t.servers()["servers"][0]["id"] == again.uuid
    finally:
        _outage(cell2_db, available=True)
    # Back up: its server is listed in full again.
    wait_for(lambda: in_cell2 in [s["id"] for s in t.servers()["servers"]], 10,
             "cell2 to be listed again")


def _queues(transport_url: str) -> set[str]:
    vhost = transport_url.rsplit("/", 1)[-1]
    done = subprocess.run(["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name"],
                          capture_output=True, text=True, timeout=30, check=True)
    return set(done.stdout.split())
