"""select_destinations over the NFV hosts of etc/hosts.yaml: choices, alternates,
usage consumed across instances, NoValidHost reasons, hints, and untouched inputs."""

from __future__ import annotations

import json
import pickle

import pytest

from tessera.numa import Placement, UsageConflict, fit
from tessera.objects import Destination, HostState, Selection
from tessera.scheduler import (NoValidHost, consume, explain, load_filters,
                               select_destinations)
from tessera.scheduler.filters import (REGISTRY, FilterContext, HostFilter, placement_for,
                                       register)

from .helpers import demo_flavor, pinned, small, spec, yaml_hosts

BIG = {"nfv-2s-smt", "nfv-4n-nosmt"}


def _placed(sel: Selection) -> Placement:
    assert sel.placement is not None
    return sel.placement


def _pcpus(sel: Selection) -> set[int]:
    p = _placed(sel)
    return {c for cell in p.cells for c in (*cell.pins.values(), *cell.reserved)} \
        | set(p.emulator_pins)


def test_picks_a_host_that_fits_with_its_placement_and_alternates() -> None:
    hosts = yaml_hosts()
    result = select_destinations(spec(demo_flavor("isolate.large.1g")), hosts, ["u1"])
    [chosen, *alternates] = result.selections[0]
    assert chosen.service_host in BIG and len(alternates) == 1
    assert {chosen.service_host, alternates[0].service_host} == BIG
    for sel in result.selections[0]:
        host = next(h for h in hosts if h.host == sel.service_host)
        assert sel.compute_node_uuid == host.compute_node.uuid
        assert sel.nodename == host.nodename and sel.cell_uuid == "cell1"
        cell = host.compute_node.numa.cell_by_id[_placed(sel).cells[0].host_cell]
        assert _pcpus(sel) <= cell.dedicated and len(_placed(sel).cells[0].pins) == 8
    assert [(r.host, r.filter) for r in result.rejections] == [
        ("edge-2n-busy", "NUMATopologyFilter")]


def test_the_selection_crosses_the_wire() -> None:
    sel = select_destinations(spec(), yaml_hosts(), ["u1"]).selections[0][0]
    assert Selection.from_json(sel.to_json()) == sel


def test_instances_of_one_request_never_share_a_pcpu() -> None:
    hosts = yaml_hosts()
    uuids = ["u%d" % i for i in range(6)]
    result = select_destinations(spec(demo_flavor("isolate.large.1g"), num_instances=6),
                                 hosts, uuids)
    taken: dict[str, set[int]] = {}
    for sel in (s[0] for s in result.selections):
        mine = _pcpus(sel)
        assert not mine & taken.get(sel.service_host, set())
        taken.setdefault(sel.service_host, set()).update(mine)
    state = {h.host: h for h in hosts}
    for uuid, sel in zip(uuids, (s[0] for s in result.selections)):
        state[sel.service_host] = consume(state[sel.service_host], spec(
            demo_flavor("isolate.large.1g")), _placed(sel), uuid)
    assert {u for h in state.values() for u in h.instance_uuids} == set(uuids)


def test_usage_consumed_on_one_host_until_it_is_full() -> None:
    # 12 dedicated pCPUs (6 per cell): four 3-vCPU guests fit, a fifth does not.
    host = small("only")
    with pytest.raises(NoValidHost) as err:
        select_destinations(spec(pinned(3), num_instances=5), [host],
                            ["a", "b", "c", "d", "e"])
    assert err.value.instance_index == 4
    assert "Instance 5 of 5 found no host" in str(err.value)
    assert "cell 0: 0 free dedicated pCPUs, needs 3" in str(err.value)
    result = select_destinations(spec(pinned(3), num_instances=4), [host],
                                 ["a", "b", "c", "d"])
    pins = [_pcpus(s[0]) for s in result.selections]
    assert sum(len(p) for p in pins) == len(set().union(*pins)) == 12


@pytest.mark.parametrize("request_flavor, expected", [
    (lambda: demo_flavor("monster.64"), {
        "edge-2n-busy": ("RamFilter", "the flavor needs 262144 MiB"),
        "nfv-4n-nosmt": ("NUMATopologyFilter",
                         "cell 0: 81920 MiB of 4K pages in all, needs 262144 MiB"),
        "nfv-2s-smt": ("NUMATopologyFilter",
                       "cell 1: 98304 MiB of 4K pages in all, needs 262144 MiB")}),
    (lambda: pinned(64, 8192), {
        "edge-2n-busy": ("NUMATopologyFilter", "cell 0: 6 free dedicated pCPUs, needs 64"),
        "nfv-4n-nosmt": ("NUMATopologyFilter", "cell 3: 15 free dedicated pCPUs, needs 64"),
        "nfv-2s-smt": ("NUMATopologyFilter", "cell 0: 38 free dedicated pCPUs, needs 64")}),
    (lambda: pinned(8, 6144, hw__mem_page_size="1GB", hw__cpu_thread_policy="require"), {
        "edge-2n-busy": ("NUMATopologyFilter", "1G pages"),
        "nfv-4n-nosmt": ("NUMATopologyFilter", "host has no SMT thread siblings")}),
], ids=["memory", "cpus", "siblings"])
def test_no_valid_host_names_the_blocking_resource_per_host(request_flavor, expected) -> None:
    hosts = [h for h in yaml_hosts() if h.host in expected]
    with pytest.raises(NoValidHost) as err:
        select_destinations(spec(request_flavor()), hosts, ["u1"])
    exc = err.value
    by_host = {r.host: r for r in exc.rejections}
    assert set(by_host) == set(expected)
    for host, (name, reason) in expected.items():
        assert by_host[host].filter == name
        assert reason in by_host[host].reason, by_host[host].reason
    text = str(exc)
    assert text.startswith("No valid host was found. There are not enough hosts available.")
    assert all("%s: %s: " % (h, e[0]) in text for h, e in expected.items())


def test_no_hosts_at_all() -> None:
    with pytest.raises(NoValidHost, match="no compute hosts"):
        select_destinations(spec(), [], ["u1"])


def test_inputs_are_never_changed() -> None:
    hosts = yaml_hosts()
    request = spec(demo_flavor("isolate.large.1g"), num_instances=3)
    before = ([h.to_json() for h in hosts], request.to_json())
    select_destinations(request, hosts, ["a", "b", "c"])
    explain(request, hosts)
    assert ([h.to_json() for h in hosts], request.to_json()) == before


@pytest.mark.parametrize("fields, allowed", [
    ({"ignore_hosts": ["b"]}, {"a", "c"}),
    ({"force_hosts": ["c"]}, {"c"}),
    ({"requested_destination": Destination(host="b")}, {"b"}),
    ({"requested_destination": Destination(cell_uuid="cell2")}, {"c"}),
    ({"availability_zone": "az2"}, {"b", "c"}),
    ({"scheduler_hints": {"same_host": ["vm-on-b"]}}, {"b"}),
    ({"scheduler_hints": {"different_host": ["vm-on-b", "vm-on-a"]}}, {"c"}),
])
def test_request_fields_restrict_the_hosts(fields: dict, allowed: set[str]) -> None:
    hosts = [small("a", az="az1", instance_uuids=frozenset({"vm-on-a"})),
             small("b", az="az2", instance_uuids=frozenset({"vm-on-b"})),
             small("c", az="az2", cell_uuid="cell2")]
    result = select_destinations(spec(**fields), hosts, ["u1"])
    assert {s.service_host for s in result.selections[0]} <= allowed
    assert result.selections[0][0].service_host in allowed
    refused = {r.host for r in result.rejections}
    assert refused == {"a", "b", "c"} - allowed


def test_a_rescheduled_build_never_returns_to_a_failed_host() -> None:
    hosts = [small("a"), small("b")]
    request = spec().with_retry("a", "a", "claim failed")
    for _ in range(3):
        result = select_destinations(request, hosts, ["u1"])
        assert [s.service_host for s in result.selections[0]] == ["b"]
    with pytest.raises(NoValidHost, match="a: IgnoreHostsFilter: an earlier attempt"):
        select_destinations(request.with_retry("b", "b", "build failed"), hosts, ["u1"])


def test_alternates_stay_in_the_chosen_cell_and_respect_max_attempts() -> None:
    hosts = [small(n, cell_uuid=c) for n, c in
             (("a", "cell1"), ("b", "cell2"), ("c", "cell1"), ("d", "cell1"))]
    sel = select_destinations(spec(), hosts, ["u1"]).selections[0]
    assert [s.service_host for s in sel] == ["a", "c", "d"]
    sel = select_destinations(spec(), hosts, ["u1"], max_attempts=2).selections[0]
    assert [s.service_host for s in sel] == ["a", "c"]
    sel = select_destinations(spec(), hosts, ["u1"], max_attempts=1).selections[0]
    assert [s.service_host for s in sel] == ["a"]


def test_without_the_numa_filter_placements_are_still_computed() -> None:
    filters = load_filters(["ComputeFilter", "RamFilter"])
    hosts = [small("a", pinned="1-3,9-11"), small("b")]
    result = select_destinations(spec(pinned(8, hw__numa_nodes="2")), hosts, ["u1"],
                                 filters=filters)
    assert [s.service_host for s in result.selections[0]] == ["b"]
    assert len(_placed(result.selections[0][0]).cells) == 2
    assert [(r.host, r.filter) for r in result.rejections] == [("a", "NUMATopologyFilter")]


def test_explain_gives_every_reason_of_every_host() -> None:
    hosts = [small("a", service_disabled=True, memory_mb_used=16000), small("b")]
    rejections = explain(spec(), hosts)
    assert [(r.host, r.filter) for r in rejections] == [("a", "ComputeFilter"),
                                                        ("a", "RamFilter")]


def test_consume_refuses_double_booking() -> None:
    host = small("a")
    sel = select_destinations(spec(pinned(4)), [host], ["u1"]).selections[0][0]
    once = consume(host, spec(pinned(4)), _placed(sel), "u1")
    assert once.compute_node.memory_mb_used == 2048 and once.compute_node.local_gb_used == 10
    assert host.compute_node.memory_mb_used == 0
    with pytest.raises(UsageConflict, match="already pinned"):
        consume(once, spec(pinned(4)), _placed(sel), "u2")


def test_rejections_are_kept_once_across_instances() -> None:
    hosts = [small("a"), small("b", service_up=False)]
    result = select_destinations(spec(num_instances=3), hosts, ["x", "y", "z"])
    assert [(r.host, r.filter) for r in result.rejections] == [("b", "ComputeFilter")]
    assert json.loads(result.rejections[0].to_json())["tessera_object.data"]["host"] == "b"


def test_hosts_are_host_states() -> None:
    assert all(isinstance(h, HostState) for h in yaml_hosts())


@pytest.mark.parametrize("flavor_", [pinned(4), pinned(8)], ids=["fits", "no-fit"])
def test_hosts_of_one_shape_share_a_fit_and_keep_their_own_name(flavor_) -> None:
    request = spec(flavor_)
    hosts = [small(n) for n in "abc"] + [small("d", pinned="1-3")]
    ctx = FilterContext.for_request(request, hosts)
    for h in hosts:
        assert placement_for(h, request, ctx) == fit(h.compute_node.numa,
                                                     request.numa_topology)
    assert len(ctx.by_shape) == 2


def test_no_valid_host_pickles_with_its_rejections() -> None:
    with pytest.raises(NoValidHost) as err:
        select_destinations(spec(pinned(8)), [small("a")], ["u1"])
    again = pickle.loads(pickle.dumps(err.value))
    assert again.rejections == err.value.rejections and str(again) == str(err.value)


def test_a_registered_plugin_filter_runs_by_name() -> None:
    def odd_only(host: HostState, request, ctx) -> str | None:
        return None if host.host in ("a", "c") else "not an odd host"

    register(HostFilter("OddHostFilter", odd_only), after="ComputeFilter")
    try:
        filters = load_filters(["OddHostFilter", "NUMATopologyFilter"])
        assert [f.name for f in filters][2] == "OddHostFilter"
        result = select_destinations(spec(), [small("b"), small("c")], ["u1"],
                                     filters=filters)
        assert result.selections[0][0].service_host == "c"
        assert [(r.host, r.reason) for r in result.rejections] == [("b", "not an odd host")]
    finally:
        REGISTRY.pop("OddHostFilter")
