"""tessera-manage end to end, as an operator runs it: subprocesses on SQLite files in
a temporary directory, checked by exit code and output. The variations (error exit
codes, options) run the same `main()` in-process, which is much faster."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tessera.cmd.manage import main
from tessera.db.cell import queries as cell_q
from tessera.db.engine import dispose_engine, get_engine, session_scope
from tessera.db.migrate import head

from . import samples

REPO = Path(__file__).resolve().parents[3]
Run = Callable[..., subprocess.CompletedProcess]


@pytest.fixture
def manage(tmp_path: Path) -> Run:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])

    def run(*args: str, extra_env: dict[str, str] | None = None,
            ) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "tessera.cmd.manage", *args],
                              cwd=tmp_path, env={**env, **(extra_env or {})},
                              capture_output=True, text=True, timeout=60)
    return run


def _add_node(cell_url: str, name: str) -> None:
    with session_scope(get_engine(cell_url)) as s:
        cell_q.create_or_update_compute_node(s, samples.node(name))
    dispose_engine(cell_url)


def _table_rows(output: str) -> list[list[str]]:
    return [[c.strip() for c in line.split("|")[1:-1]]
            for line in output.splitlines() if line.startswith("|")][1:]


def test_sync_map_create_discover_list(manage: Run, tmp_path: Path) -> None:
    """The default SQLite files under ./data, from nothing to a listed host."""
    result = manage("api_db", "sync")
    assert result.returncode == 0, result.stderr
    result = manage("cell_v2", "map_cell0")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "tessera_cell1_cell0.sqlite").exists()
    result = manage("db", "sync")
    assert result.returncode == 0, result.stderr
    assert manage("db", "version").stdout.strip() == head("cell")  # and cell0's

    url = "rabbit://tessera:s3cret@mq:5672/"
    result = manage("cell_v2", "create_cell", "--name", "cell1", "--transport-url", url,
                    "--verbose")
    assert result.returncode == 0, result.stderr
    cell_uuid = result.stdout.strip()
    _add_node("sqlite:///%s" % (tmp_path / "data" / "tessera_cell1.sqlite"), "compute1")
    result = manage("cell_v2", "discover_hosts", "--verbose", "--strict")
    assert result.returncode == 0, result.stderr
    assert "Creating host mapping for compute host 'compute1'" in result.stdout

    cells = _table_rows(manage("cell_v2", "list_cells").stdout)
    assert [row[:3] for row in cells] == [
        ["cell0", "00000000-0000-0000-0000-000000000000", "none:///"],
        ["cell1", cell_uuid, "rabbit://tessera:****@mq:5672/"]]
    assert cells[1][3].endswith("/data/tessera_cell1.sqlite")  # stored absolute
    hosts = manage("cell_v2", "list_hosts")
    assert _table_rows(hosts.stdout) == [["cell1", cell_uuid, "compute1"]]


def test_exit_codes_and_options(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_CONNECTION", "API_DATABASE_CONNECTION", "TRANSPORT_URL"):
        monkeypatch.delenv("TESSERA_" + name, raising=False)
    api = "sqlite:///%s" % (tmp_path / "api.sqlite")
    cell = "sqlite:///%s" % (tmp_path / "cell.sqlite")
    urls = ["--api-database-connection", api, "--database-connection", cell]

    def run(*args: str) -> tuple[int, str]:
        code = main([*urls, *args])
        return code, capsys.readouterr().out

    assert run("api_db", "version") == (0, "None\n")
    assert run("api_db", "sync", "--version", "api001")[0] == 0
    assert run("api_db", "version") == (0, "api001\n")
    assert run("api_db", "sync")[0] == 0 and run("db", "sync")[0] == 0
    assert run("cell_v2", "map_cell0")[0] == 0
    assert run("cell_v2", "map_cell0") == (0, "Cell0 is already setup\n")
    code, out = run("cell_v2", "create_cell", "--name", "cell1")
    assert code == 1 and "--transport-url" in out
    code, out = run("cell_v2", "create_cell", "--transport-url", "rabbit://u:pw@h/",
                    "--verbose")
    assert code == 0
    cell_uuid = out.strip()
    code, out = run("cell_v2", "create_cell", "--transport-url", "rabbit://u:pw@h/")
    assert code == 2 and cell_uuid in out
    assert run("cell_v2", "discover_hosts", "--strict")[0] == 1
    _add_node(cell, "c1")
    assert run("cell_v2", "discover_hosts", "--strict", "--cell_uuid", cell_uuid)[0] == 0
    assert run("cell_v2", "discover_hosts", "--strict")[0] == 1
    assert run("cell_v2", "discover_hosts", "--cell_uuid", "nope")[0] == 1
    assert "u:pw@h" in run("cell_v2", "list_cells", "--verbose")[1]
    assert "u:****@h" in run("cell_v2", "list_cells")[1]
    assert run("cell_v2", "list_hosts", "--cell_uuid", "nope")[0] == 1
    listed = run("cell_v2", "list_hosts", "--cell_uuid", cell_uuid)[1].split()
    assert listed.count("c1") == 1  # the host, once (a uuid may contain "c1" too)
    for url in (api, cell, cell.replace("cell.sqlite", "cell_cell0.sqlite")):
        dispose_engine(url)


def test_urls_from_environment_and_config_file(manage: Run, tmp_path: Path) -> None:
    api = "sqlite:///%s" % (tmp_path / "env" / "api.sqlite")
    result = manage("api_db", "sync", extra_env={"TESSERA_API_DATABASE_CONNECTION": api})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "env" / "api.sqlite").exists()
    assert not (tmp_path / "data").exists()

    conf = tmp_path / "tessera.conf"
    cell = tmp_path / "conf" / "cell.sqlite"
    conf.write_text("[DEFAULT]\ntransport_url = rabbit://conf-mq/\n"
                    "[database]\nconnection = sqlite:///%s\n"
                    "[api_database]\nconnection = %s\n" % (cell, api))
    result = manage("--config-file", str(conf), "cell_v2", "create_cell", "--verbose")
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "data").exists()
    from tessera.db import cells
    [created] = cells.list_cells(api)
    assert (created.uuid, created.transport_url) == (result.stdout.strip(),
                                                     "rabbit://conf-mq/")
    assert created.database_connection == "sqlite:///%s" % cell
    dispose_engine(api)
