"""tessera.conf: defaults, independent configurations, files and the generator hook."""

from __future__ import annotations

from pathlib import Path

import pytest
from oslo_config import cfg

from tessera import conf

DEFAULTS = [
    ("transport_url", None, "fake://"),
    ("control_exchange", None, "tessera"),
    ("state_path", None, "./data"),
    ("connection", "database", "sqlite:///./data/tessera_cell1.sqlite"),
    ("connection", "api_database", "sqlite:///./data/tessera_api.sqlite"),
    ("max_attempts", "scheduler", 3),
    ("placement_strategy", "scheduler", "spread"),
    ("weighers", "scheduler", ["RamWeigher", "CpuWeigher", "PinnedCpuWeigher"]),
    ("ram_weight_multiplier", "scheduler", 1.0),
    ("discover_hosts_in_cells_interval", "scheduler", -1),
    ("driver", "compute", "fake"),
    ("fake_hosts_file", "compute", "etc/hosts.yaml"),
    ("cpu_allocation_ratio", "compute", 4.0),
    ("ram_allocation_ratio", "compute", 1.0),
    ("report_interval", "compute", 10),
    ("service_down_time", "compute", 60),
    ("allow_resize_to_same_host", "compute", False),
    ("response_timeout", "rpc", 60),
]


@pytest.mark.parametrize(("name", "group", "expected"), DEFAULTS)
def test_defaults(name: str, group: str | None, expected: object) -> None:
    c = conf.make_conf()
    value = getattr(c[group], name) if group else c[name]
    assert value == expected


def test_every_filter_is_enabled_by_default() -> None:
    assert "NUMATopologyFilter" in conf.make_conf().scheduler.enabled_filters
    assert len(conf.make_conf().scheduler.enabled_filters) == 10


def test_global_conf_is_usable_before_parsing() -> None:
    assert conf.CONF.transport_url == "fake://"
    assert conf.CONF.host


def test_configurations_are_independent() -> None:
    first, second = conf.make_conf(), conf.make_conf()
    first.set_override("host", "node1")
    first.set_override("max_attempts", 7, group="scheduler")
    assert second.host != "node1"
    assert second.scheduler.max_attempts == 3


def test_config_file_and_state_path_interpolation(tmp_path: Path) -> None:
    path = tmp_path / "tessera.conf"
    path.write_text(
        "[DEFAULT]\nhost = compute-7\nstate_path = /srv/tessera\n"
        "transport_url = rabbit://guest:guest@127.0.0.1:5672/cell1\n"
        "[scheduler]\nplacement_strategy = pack\nenabled_filters = ComputeFilter,RamFilter\n"
    )
    c = conf.make_conf(config_files=[str(path)])
    assert c.host == "compute-7"
    assert c.transport_url == "rabbit://guest:guest@127.0.0.1:5672/cell1"
    assert c.database.connection == "sqlite:////srv/tessera/tessera_cell1.sqlite"
    assert c.scheduler.placement_strategy == "pack"
    assert c.scheduler.enabled_filters == ["ComputeFilter", "RamFilter"]


def test_config_file_on_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "tessera.conf"
    path.write_text("[compute]\ndriver = libvirt\n")
    assert conf.make_conf(["--config-file", str(path)]).compute.driver == "libvirt"


def test_no_file_is_read_unless_given() -> None:
    assert conf.make_conf().config_file == []


def test_invalid_choice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tessera.conf"
    path.write_text("[scheduler]\nplacement_strategy = random\n")
    c = conf.make_conf(config_files=[str(path)])
    with pytest.raises(ValueError):
        c.scheduler.placement_strategy


def test_list_opts_covers_every_group() -> None:
    groups = {group: {opt.name for opt in opts} for group, opts in conf.list_opts()}
    assert set(groups) == {None, "database", "api_database", "scheduler", "compute", "rpc", "libvirt",
                           "network"}
    assert {"host", "state_path", "my_ip"} <= groups[None]
    assert "build_timeout" in groups["compute"]
    assert all(opt.help for _, opts in conf.list_opts() for opt in opts)


def test_list_opts_registers_on_a_fresh_conf() -> None:
    c = cfg.ConfigOpts()
    for group, opts in conf.list_opts():
        c.register_opts(opts, group=group)
    c([], default_config_files=[])
    assert c.compute.driver == "fake"
