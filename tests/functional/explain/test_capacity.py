"""What fits: the capacity answer for a flavor equals the number of its guests that
then boot ACTIVE on the cloud, for three flavors booted one after another (each answer
taken on the cloud the earlier flavors left), and `tessera capacity` prints it."""

from __future__ import annotations

import json
import time

import pytest

from tessera.objects import VmState
from tests.functional.control.helpers import CTX, settled

from .conftest import flavor

FLAVORS = [
    flavor("iso.8.1g", 8, 8192, hw__cpu_policy="dedicated",
           hw__cpu_thread_policy="isolate", hw__mem_page_size="1GB"),
    flavor("numa2.16.2m", 16, 16384, hw__cpu_policy="dedicated", hw__numa_nodes="2",
           hw__mem_page_size="2MB"),
    flavor("pinned.12.emu", 12, 4096, hw__cpu_policy="dedicated",
           hw__emulator_threads_policy="isolate"),
]


def _capacity(running, capsys, *names: str) -> dict[str, dict]:
    code, out, _ = running.cli(capsys, "capacity", *[a for n in names
                                                      for a in ("--flavor", n)],
                               "--format", "json")
    assert code == 0
    return {f["flavor"]: f for f in json.loads(out)["capacity"]}


def _boot(api, f, n: int) -> list[VmState]:
    """Boot `n` guests one request each, as fast as they come; their final states."""
    made = [api.create(CTX, f, name="%s-%d" % (f.name, i))[0] for i in range(n)]
    return [settled(api, i.uuid, timeout=30).vm_state for i in made]


# (flavor index, how many to boot: a number, or None for the answer plus one)
STEPS = [(0, 2), (1, 2), (2, None), (0, None), (1, None)]


@pytest.mark.parametrize("running", [("nfv-2s-smt", "nfv-4n-nosmt", "edge-2n-busy")],
                         indirect=True)
def test_capacity_equals_successful_boots_for_three_flavors_mixed(running, capsys):
    api = running.aio.api
    for f in FLAVORS:
        api.create_flavor(f)
    first = _capacity(running, capsys, *[f.name for f in FLAVORS])
    assert all(first[f.name]["count"] > 2 for f in FLAVORS), first
    started = time.monotonic()
    booted = 0
    for index, wanted in STEPS:
        f = FLAVORS[index]
        answer = _capacity(running, capsys, f.name)[f.name]["count"]
        n = answer + 1 if wanted is None else wanted
        assert n <= answer + 1
        states = _boot(api, f, n)
        booted += n
        active = states.count(VmState.ACTIVE)
        assert active == min(n, answer), (f.name, answer, states)
        # Requests race to the scheduler, so which one finds no room is not fixed.
        assert states.count(VmState.ERROR) == n - active
        assert _capacity(running, capsys, f.name)[f.name]["count"] == answer - active
    with capsys.disabled():
        print("\nbooted %d guests of 3 flavors in %.2fs" % (booted,
                                                         time.monotonic() - started))


def test_capacity_text_says_where_and_what_blocks(running, capsys):
    running.aio.api.create_flavor(FLAVORS[0])
    code, out, _ = running.cli(capsys, "capacity", "--flavor", "iso.8.1g")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == ("iso.8.1g: 8 more fit; then blocked by cpu on 2 host(s)")
    assert "nfv-2s-smt" in lines[1] and "cell 0 x2 cell 1 x2" in lines[1]
    assert "NUMATopologyFilter: cell 0: 6 free dedicated pCPUs, needs 8 [cpu]" in out
