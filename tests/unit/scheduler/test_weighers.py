"""Weighers measure; the selector normalises, multiplies and sums; pack and spread
order the hosts the opposite way."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tessera.objects import HostState
from tessera.scheduler import UnknownWeigher, load_weighers, select_destinations
from tessera.scheduler.weighers import REGISTRY

from .helpers import flavor, pinned, small, spec


def _first(hosts: list[HostState], weighers, strategy: str = "spread", f=None) -> str:
    result = select_destinations(spec(f), hosts, ["u"], weighers=weighers, strategy=strategy)
    return result.selections[0][0].service_host


def test_raw_values() -> None:
    host = small(pinned="1-2", memory_mb_used=4096, vcpus_used=6)
    s = spec()
    assert REGISTRY["RamWeigher"].weigh(host, s) == 16384 - 4096
    assert REGISTRY["CpuWeigher"].weigh(host, s) == 4 * 4.0 - 6
    assert REGISTRY["PinnedCpuWeigher"].weigh(host, s) == 12 - 2


@pytest.mark.parametrize("weigher, busy", [
    ("RamWeigher", {"memory_mb_used": 8192}),
    ("CpuWeigher", {"vcpus_used": 8}),
    ("PinnedCpuWeigher", {"pinned": "1-3,9-11"}),
])
def test_spread_picks_the_emptiest_and_pack_the_fullest(weigher: str, busy: dict) -> None:
    hosts = [small("a-busy", **busy), small("b-empty")]
    only = load_weighers([weigher])
    assert _first(hosts, only) == "b-empty"
    assert _first(hosts, only, "pack") == "a-busy"
    negative = [only[0].with_multiplier(-1.0)]
    assert _first(hosts, negative) == "a-busy"


def test_pinned_spread_and_pack_place_differently_across_hosts() -> None:
    hosts = [small("a"), small("b")]
    weighers = load_weighers(["PinnedCpuWeigher"])
    for strategy, expected in (("spread", {"a", "b"}), ("pack", {"a"})):
        result = select_destinations(spec(pinned(2), num_instances=2), hosts, ["u1", "u2"],
                                     weighers=weighers, strategy=strategy)
        assert {s[0].service_host for s in result.selections} == expected


def test_values_are_normalised_so_a_large_unit_does_not_dominate() -> None:
    # a: 8 GiB more free RAM; b: 2 more free floating vCPUs. Normalised, each weigher
    # gives 1 to its best host, so the multipliers decide.
    hosts = [small("a", vcpus_used=2), small("b", memory_mb_used=8192)]
    ram, cpu = load_weighers(["RamWeigher", "CpuWeigher"])
    assert _first(hosts, [ram, cpu.with_multiplier(2.0)], f=flavor(1, 512)) == "b"
    assert _first(hosts, [ram.with_multiplier(2.0), cpu], f=flavor(1, 512)) == "a"


def test_ties_go_by_host_name() -> None:
    hosts = [small("c"), small("a"), small("b")]
    result = select_destinations(spec(), hosts, ["u"])
    assert [s.service_host for s in result.selections[0]] == ["a", "b", "c"]


def test_multipliers_come_from_options() -> None:
    opts = SimpleNamespace(ram_weight_multiplier=2.5, cpu_weight_multiplier=0.0,
                           pinned_cpu_weight_multiplier=-1.0)
    got = {w.name: w.multiplier for w in load_weighers(options=opts)}
    assert got == {"RamWeigher": 2.5, "CpuWeigher": 0.0, "PinnedCpuWeigher": -1.0}
    got = {w.name: w.multiplier for w in load_weighers(["RamWeigher"],
                                                       {"ram_weight_multiplier": 3})}
    assert got == {"RamWeigher": 3.0}
    with pytest.raises(UnknownWeigher, match="Nope"):
        load_weighers(["Nope"])
