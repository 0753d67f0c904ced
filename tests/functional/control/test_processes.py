"""The control plane as separate processes on PostgreSQL and RabbitMQ.

`tessera-manage` prepares the databases and cells, then a conductor, a scheduler and
one compute service per host run as their own processes, talking over a RabbitMQ
virtual host of this test's own; the test process plays the API. It boots, resizes and
migrates a pinned huge-page guest, and kills a compute service during a build.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tessera.compute.api import CloudAPI
from tessera.conductor.rpcapi import ConductorAPI
from tessera.conf import make_conf
from tessera.db.cells import cell0_url
from tessera.db.cell import hosts as host_q
from tessera.db.engine import dispose_engine, get_engine, session_scope
from tessera.objects import TaskState, VmState
from tessera.routing import CellRouter
from tessera.rpc import cleanup, get_transport
from tests.support.databases import DatabaseServer
from tests.support.rabbit import drop_vhost, ensure_vhost

from .helpers import CTX, HOSTS, PINNED_1G, PINNED_8_1G, pins_of, settled, wait_for

COMPUTES = ("nfv-2s-smt", "nfv-4n-nosmt")


class Deployment:
    def __init__(self, tmp: Path, api_db: str, cell_db: str, vhost: str) -> None:
        self.tmp = tmp
        self.transport_url = "rabbit://guest:guest@127.0.0.1:5672/%s" % vhost
        hosts = tmp / "hosts.yaml"
        hosts.write_text(yaml.safe_dump({"hosts": [HOSTS[h] for h in COMPUTES]}))
        self.config = tmp / "tessera.conf"
        self.config.write_text(
            "[DEFAULT]\ntransport_url = %s\n"
            "[database]\nconnection = %s\n[api_database]\nconnection = %s\n"
            "[compute]\nfake_hosts_file = %s\nreport_interval = 1\n"
            "fake_spawn_delay = 0.5\n[rpc]\nresponse_timeout = 20\n"
            % (self.transport_url, cell_db, api_db, hosts))
        self.api_db, self.cell_db = api_db, cell_db
        self.procs: dict[str, subprocess.Popen] = {}

    def manage(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "tessera.cmd.manage", "--config-file",
                               str(self.config), *args], capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout

    def start(self, name: str, *args: str) -> None:
        log = open(self.tmp / ("%s.log" % name), "ab")
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "tessera.cmd.services", *args, "--config-file",
             str(self.config)], stdout=log, stderr=subprocess.STDOUT,
            env=dict(os.environ, PYTHONUNBUFFERED="1"))

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs.clear()

    def logs(self) -> str:
        return "\n".join("== %s\n%s" % (p.name, p.read_text()[-3000:])
                         for p in sorted(self.tmp.glob("*.log")))

    def node(self, host: str):
        with session_scope(get_engine(self.cell_db)) as s:
            return host_q.get_compute_node(s, host)


@pytest.fixture
def deployment(tmp_path: Path, require_service) -> Iterator[Deployment]:
    server = DatabaseServer("postgresql", tmp_path, "procs")
    require_service("PostgreSQL", server.available, server.detail)
    vhost = "tessera-procs-%s" % uuid.uuid4().hex[:8]
    ensure_vhost(vhost, require_service)
    api_db, cell_db = server.url("api"), server.url("cell")
    assert server.url("cell_cell0") == cell0_url(cell_db)
    d = Deployment(tmp_path, api_db, cell_db, vhost)
    try:
        d.manage("api_db", "sync")
        d.manage("db", "sync")
        d.manage("cell_v2", "map_cell0")
        d.manage("cell_v2", "create_cell", "--name", "cell1", "--transport-url",
                 d.transport_url, "--database_connection", cell_db)
        d.start("conductor", "conductor")
        d.start("scheduler", "scheduler")
        for host in COMPUTES:
            d.start(host, "compute", "--host", host)
        wait_for(lambda: _nodes_registered(d), 60, "the compute nodes to register")
        out = d.manage("cell_v2", "discover_hosts", "--verbose")
        assert all(h in out for h in COMPUTES), out
        yield d
    finally:
        d.stop_all()
        cleanup(d.transport_url)
        for url in (api_db, cell_db, cell0_url(cell_db)):
            dispose_engine(url)
        server.drop_all()
        drop_vhost(vhost)


def _nodes_registered(d: Deployment) -> bool:
    try:
        with session_scope(get_engine(d.cell_db)) as s:
            return len(host_q.list_compute_nodes(s)) == len(COMPUTES)
    except Exception:
        return False


def test_separate_services_boot_resize_migrate_and_survive_a_killed_compute(deployment):
    d = deployment
    conf = make_conf(config_files=[str(d.config)])
    api = CloudAPI(CellRouter(d.api_db, conf), ConductorAPI(get_transport(d.transport_url,
                                                                          conf)))
    api.create_flavor(PINNED_1G)
    api.create_flavor(PINNED_8_1G)
    try:
        [inst] = api.create(CTX, PINNED_1G, name="vm1")
        inst = settled(api, inst.uuid, timeout=60)
        assert inst.vm_state is VmState.ACTIVE, api.fault(inst.uuid)
        assert len(pins_of(inst)) == 4
        assert pins_of(inst) <= set().union(*(c.pinned for c in d.node(inst.host).numa.cells))

        api.resize(CTX, inst.uuid, PINNED_8_1G)
        resized = settled(api, inst.uuid, (VmState.RESIZED, VmState.ERROR), timeout=60)
        assert resized.vm_state is VmState.RESIZED, api.fault(inst.uuid)
        assert resized.host != inst.host and len(pins_of(resized)) == 8
        assert api.request_spec(inst.uuid).flavor.name == PINNED_8_1G.name
        api.confirm_resize(CTX, inst.uuid)
        settled(api, inst.uuid, timeout=60)
        api.migrate(CTX, inst.uuid)
        moved = settled(api, inst.uuid, (VmState.RESIZED, VmState.ERROR), timeout=60)
        assert moved.vm_state is VmState.RESIZED and moved.host == inst.host
        api.confirm_resize(CTX, inst.uuid)
        kept = settled(api, inst.uuid, timeout=60)
        wait_for(lambda: not any(c.pinned for c in d.node(resized.host).numa.cells), 30,
                 "the old host to free its pins")

        before = d.node(kept.host).numa.cells
        [doomed] = api.create(CTX, PINNED_1G, name="vm2")
        building = wait_for(lambda: (lambda i: i if i.task_state is TaskState.SPAWNING
                                     else None)(api.get(doomed.uuid)), 60, "a build")
        d.kill(building.host)
        d.start(building.host, "compute", "--host", building.host)
        failed = settled(api, doomed.uuid, (VmState.ERROR,), timeout=60)
        assert "interrupted" in api.fault(failed.uuid).message
        wait_for(lambda: _same_usage(d, building.host, kept, before), 60,
                 "the restarted compute to restore its usage")
    except BaseException:
        print(d.logs())
        raise


def _same_usage(d: Deployment, host: str, kept, before) -> bool:
    cells = d.node(host).numa.cells
    if host == kept.host:
        return [c.pinned for c in cells] == [c.pinned for c in before]
    return not any(c.pinned for c in cells)
