"""Capacity packs each host with the scheduler's fitter and accounting: its count is
exactly how many guests `select_destinations` places one after another."""

from __future__ import annotations

import pytest

from tessera.explain import capacity
from tessera.objects import HostState, RequestSpec
from tessera.scheduler.errors import NoValidHost
from tessera.scheduler.filters import load_filters
from tessera.scheduler.select import select_destinations
from tests.unit.scheduler.helpers import flavor, pinned, small, spec, yaml_hosts

FLAVORS = {
    "pinned.2": pinned(2, 2048),
    "isolate.4.1g": pinned(4, 4096, hw__cpu_thread_policy="isolate",
                           hw__mem_page_size="1GB"),
    "numa2.8.2m": pinned(8, 8192, hw__numa_nodes="2", hw__mem_page_size="2MB"),
    "emulator.2": pinned(2, 2048, hw__emulator_threads_policy="isolate",
                         hw__mem_page_size="large"),
    "shared.4": flavor(4, 8192, name="shared.4"),
}


def boots(s: RequestSpec, hosts: list[HostState], limit: int = 2000) -> int:
    """How many guests the scheduler places one after another."""
    state = list(hosts)
    for i in range(limit):
        try:
            result = select_destinations(s, state, ["g-%d" % i], max_attempts=1)
        except NoValidHost:
            return i
        state = result.final_states
    raise AssertionError("more than %d guests fit" % limit)


@pytest.mark.parametrize("name", sorted(FLAVORS))
def test_count_equals_what_the_scheduler_places(name):
    hosts = yaml_hosts() + [small("small-a"), small("small-b", pinned="1-2")]
    s = spec(FLAVORS[name])
    answer = capacity(s, hosts)
    assert answer.count == boots(s, hosts)
    assert answer.count == sum(h.count for h in answer.hosts) > 0
    assert answer.blocked_by, "a full cloud says what blocks one more"


def test_per_cell_counts_and_blockers_on_a_small_host():
    # 2 cells x 3 dedicated cores x 2 threads, 4 x 1G pages per cell: pCPUs run out
    # (3 guests of 2 pinned vCPUs per cell) before pages do.
    answer = capacity(spec(pinned(2, 1024, hw__mem_page_size="1GB")), [small()])
    [h] = answer.hosts
    assert (answer.count, h.cells) == (6, {0: 3, 1: 3})
    assert answer.blocked_by == {"cpu": 1}
    assert {b.reason for b in h.verdict.blockers} == {"0 free dedicated pCPUs, needs 2"}


def test_pages_block_when_they_run_out_first():
    answer = capacity(spec(pinned(1, 2048, hw__mem_page_size="1GB")), [small()])
    assert answer.count == 4 and answer.blocked_by == {"pages": 1}


def test_hosts_given_are_not_changed_and_limits_are_reported():
    hosts = [small()]
    before = hosts[0].model_copy(deep=True)
    answer = capacity(spec(flavor(1, 64)), hosts, load_filters(), per_host_limit=5)
    assert hosts[0] == before
    assert answer.count == 5 and answer.hosts[0].limited
