"""`tessera-manage cell_v2` for cells that change: delete_host, delete_cell,
update_cell and list_hosts with upstream's exit codes, and a compute host that moves
from one cell to another. SQLite files, `main()` in-process (fast), one table row per
exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from tessera.cmd.manage import main
from tessera.db import cells as cell_admin
from tessera.db.cell import hosts as host_q
from tessera.db.cell import instances as inst_q
from tessera.db.engine import dispose_engine, get_engine, session_scope
from tessera.db.migrate import sync_api, sync_cell
from tests.functional.db import samples

MISSING = "9a4c6cd2-3c9e-4c55-9b44-000000000000"


class Cloud:
    """An API database with cell0 and two cells, and the command line on them."""

    def __init__(self, tmp: Path) -> None:
        self.api = "sqlite:///%s/api.sqlite" % tmp
        self.dbs = {n: "sqlite:///%s/%s.sqlite" % (tmp, n) for n in ("cell1", "cell2")}
        sync_api(self.api)
        cell_admin.map_cell0(self.api, self.dbs["cell1"])
        self.uuids: dict[str, str] = {}
        for name, url in self.dbs.items():
            sync_cell(url)
            self.uuids[name] = cell_admin.create_cell(
                self.api, name=name, transport_url="rabbit://mq/%s" % name,
                database_connection=url).uuid

    def run(self, *args: str) -> int:
        return main(["--api-database-connection", self.api, "cell_v2", *args])

    def add_node(self, cell: str, host: str) -> None:
        with session_scope(get_engine(self.dbs[cell])) as s:
            host_q.create_or_update_compute_node(s, samples.node(host + "-" + cell, host))

    def add_instance(self, cell: str, host: str) -> str:
        inst = samples.instance(host=host)
        with session_scope(get_engine(self.dbs[cell])) as s:
            inst_q.create_instance(s, inst)
        return inst.uuid

    def hosts(self) -> dict[str, str]:
        return {h.host: c.name or "" for c, h in cell_admin.list_hosts(self.api)}

    def close(self) -> None:
        for url in (self.api, *self.dbs.values()):
            dispose_engine(url)


@pytest.fixture
def cloud(tmp_path: Path):
    c = Cloud(tmp_path)
    yield c
    c.close()


def test_a_host_moves_only_after_delete_host(cloud: Cloud, capsys) -> None:
    cloud.add_node("cell1", "h1")
    assert cloud.run("discover_hosts") == 0
    assert cloud.hosts() == {"h1": "cell1"}
    cloud.add_node("cell2", "h1")  # the host now reports into cell2
    assert cloud.run("discover_hosts", "--verbose") == 0
    assert "mapped to another cell" in capsys.readouterr().out
    assert cloud.hosts() == {"h1": "cell1"}
    assert cloud.run("delete_host", "--cell_uuid", cloud.uuids["cell1"], "--host",
                     "h1") == 0
    assert cloud.run("discover_hosts", "--strict") == 0
    assert cloud.hosts() == {"h1": "cell2"}
    assert cloud.run("list_hosts", "--cell_uuid", cloud.uuids["cell2"]) == 0
    assert "h1" in capsys.readouterr().out


def test_delete_host_exit_codes(cloud: Cloud) -> None:
    cloud.add_node("cell1", "h1")
    cloud.run("discover_hosts")
    c1, c2 = cloud.uuids["cell1"], cloud.uuids["cell2"]
    cases = [  # (cell, host, exit code)
        (MISSING, "h1", 1),
        (c1, "nope", 2),
        (c2, "h1", 3),
    ]
    for cell, host, code in cases:
        assert cloud.run("delete_host", "--cell_uuid", cell, "--host", host) == code
    uuid = cloud.add_instance("cell1", "h1")
    assert cloud.run("delete_host", "--cell_uuid", c1, "--host", "h1") == 4
    with session_scope(get_engine(cloud.dbs["cell1"])) as s:
        inst_q.soft_delete_instance(s, uuid)
    assert cloud.run("delete_host", "--cell_uuid", c1, "--host", "h1") == 0
    assert cloud.hosts() == {}
    with session_scope(get_engine(cloud.dbs["cell1"])) as s:
        assert host_q.list_compute_nodes(s, mapped=False)  # discoverable again


def test_delete_cell_exit_codes(cloud: Cloud) -> None:
    from tessera.db.api import queries as api_q
    from tessera.db.engine import session_scope as scope
    from tessera.objects import InstanceMapping

    c1 = cloud.uuids["cell1"]
    cloud.add_node("cell1", "h1")
    cloud.run("discover_hosts")
    assert cloud.run("delete_cell", "--cell_uuid", MISSING) == 1
    assert cloud.run("delete_cell", "--cell_uuid", c1) == 2
    uuid = cloud.add_instance("cell1", "h1")
    with scope(get_engine(cloud.api)) as s:
        api_q.create_instance_mapping(s, InstanceMapping(
            instance_uuid=uuid, cell_uuid=c1, project_id="p1"))
    assert cloud.run("delete_cell", "--cell_uuid", c1, "--force") == 3
    with session_scope(get_engine(cloud.dbs["cell1"])) as s:
        inst_q.soft_delete_instance(s, uuid)
    assert cloud.run("delete_host", "--cell_uuid", c1, "--host", "h1") == 0
    assert cloud.run("delete_cell", "--cell_uuid", c1) == 4
    assert cloud.run("delete_cell", "--cell_uuid", c1, "--force") == 0
    assert [c.name for c in cell_admin.list_cells(cloud.api)] == ["cell0", "cell2"]
    # An empty cell goes without --force.
    assert cloud.run("delete_cell", "--cell_uuid", cloud.uuids["cell2"]) == 0


def test_update_cell_exit_codes(cloud: Cloud) -> None:
    c1, c2 = cloud.uuids["cell1"], cloud.uuids["cell2"]
    cell0 = "00000000-0000-0000-0000-000000000000"
    cases = [  # (arguments, exit code)
        (["--cell_uuid", MISSING, "--name", "x"], 1),
        (["--cell_uuid", c1, "--transport-url", "rabbit://mq/cell2",
          "--database_connection", cloud.dbs["cell2"]], 3),
        (["--cell_uuid", c1, "--disable", "--enable"], 4),
        (["--cell_uuid", cell0, "--disable"], 5),
        (["--cell_uuid", c2, "--name", "edge", "--disable"], 0),
    ]
    for args, code in cases:
        assert cloud.run("update_cell", *args) == code, args
    [edge] = [c for c in cell_admin.list_cells(cloud.api) if c.uuid == c2]
    assert edge.name == "edge" and edge.disabled
    assert cloud.run("update_cell", "--cell_uuid", c2, "--enable") == 0
    assert not [c for c in cell_admin.list_cells(cloud.api) if c.uuid == c2][0].disabled
