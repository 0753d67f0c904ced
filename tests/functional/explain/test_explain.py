"""Why not here: an unschedulable server's explanation names, on each host, the filter
and the real blocking resource, from the admin API and from `tessera explain`."""

from __future__ import annotations

import json
import urllib.request

from tessera.objects import VmState
from tests.functional.control.helpers import CTX, settled

from .conftest import flavor

# 24 isolated vCPUs on one NUMA node: nfv-2s-smt has 38 free pCPUs per cell but only
# 19 whole cores (thread siblings); nfv-4n-nosmt has no SMT and 15 pCPUs per cell.
ISO24 = flavor("iso.24", 24, 4096, hw__cpu_policy="dedicated",
               hw__cpu_thread_policy="isolate")
EXPECTED = {
    "nfv-2s-smt": {0: ("siblings", "19 free whole thread-sibling sets, needs 24 under "
                                   "isolate"),
                   1: ("siblings", "19 free whole thread-sibling sets, needs 24 under "
                                   "isolate")},
    "nfv-4n-nosmt": {c: ("cpu", "15 free dedicated pCPUs, needs 24") for c in range(4)},
}


def _get(url: str, path: str) -> dict:
    req = urllib.request.Request(url + path, headers={"X-Auth-Token": "admin:admin"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def _numa(blockers: list[dict]) -> dict[int, tuple[str, str]]:
    return {b["host_cell"]: (b["resource"], b["reason"]) for b in blockers
            if b["filter"] == "NUMATopologyFilter"}


def test_an_unschedulable_server_is_explained_host_by_host(running, capsys):
    running.aio.api.create_flavor(ISO24)
    [inst] = running.aio.api.create(CTX, ISO24, name="too-big")
    assert settled(running.aio.api, inst.uuid).vm_state is VmState.ERROR

    body = _get(running.url, "/v2.1/os-tessera/servers/%s/explain" % inst.uuid)
    why = body["explanation"]
    assert why["server"]["vm_state"] == "error"
    assert why["server"]["fault"]["message"].startswith("No valid host was found")
    now = {h["host"]: _numa(h["blockers"]) for h in why["dry_run"]["hosts"]}
    assert now == EXPECTED and why["dry_run"]["fits"] == []
    then = {h["host"]: {b["host_cell"]: b["reason"] for b in h["blockers"]}
            for h in why["recorded"]}
    assert then == {h: {c: r for c, (_res, r) in cells.items()}
                    for h, cells in EXPECTED.items()}

    code, out, _ = running.cli(capsys, "explain", inst.uuid)
    assert code == 0
    assert "Fault: No valid host was found" in out
    assert ("NUMATopologyFilter: cell 1: 19 free whole thread-sibling sets, needs 24 "
            "under isolate [siblings]") in out
    assert "NUMATopologyFilter: cell 3: 15 free dedicated pCPUs, needs 24 [cpu]" in out


def test_a_dry_run_without_booting(running, capsys):
    running.aio.api.create_flavor(ISO24)
    code, out, _ = running.cli(capsys, "explain", "--flavor", "iso.24", "--format", "json")
    assert code == 0
    body = json.loads(out)
    assert {h["host"]: _numa(h["blockers"]) for h in body["hosts"]} == EXPECTED
    assert running.aio.api.list() == []

    small = flavor("iso.4", 4, 2048, hw__cpu_policy="dedicated",
                   hw__cpu_thread_policy="isolate")
    running.aio.api.create_flavor(small)
    code, out, _ = running.cli(capsys, "explain", "--flavor", "iso.4", "--image", "cirros")
    assert code == 0
    assert "fits on nfv-2s-smt, nfv-4n-nosmt" in out


def test_unknown_server_and_flavor_and_non_admins_are_refused(running, capsys):
    code, _, err = running.cli(capsys, "explain", "no-such-server")
    assert code == 1 and "Instance no-such-server could not be found" in err
    code, _, err = running.cli(capsys, "capacity", "--flavor", "nope")
    assert code == 1 and "Flavor nope could not be found" in err
    code, _, err = running.cli(capsys, "topology", token="alice:p1")
    assert code == 1 and "Policy doesn't allow tessera:topology" in err


def test_an_unreachable_api_is_exit_2(capsys):
    from tessera.cmd.main import main
    assert main(["topology", "--os-endpoint", "http://127.0.0.1:9/v2.1"]) == 2
