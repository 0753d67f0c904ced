"""`tessera up`'s settings: what its config files say holds, its databases are in the
data dir, and --driver wins over the file's [compute] driver."""

from __future__ import annotations

import argparse
from pathlib import Path

from tessera.cmd.services import register, up_settings

ROOT = Path(__file__).resolve().parents[3]


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    return parser.parse_args(["up", "--hosts", str(ROOT / "etc/hosts.yaml"), *argv])


def test_the_config_files_options_hold_and_the_databases_are_in_the_data_dir(tmp_path):
    conf = tmp_path / "tessera.conf"
    conf.write_text("[compute]\nreport_interval = 3\nfake_spawn_delay = 0.25\n"
                    "[scheduler]\nmax_attempts = 5\nplacement_strategy = pack\n")
    settings = up_settings(_args("--data-dir", str(tmp_path / "d"),
                                 "--config-file", str(conf)))
    assert (settings.report_interval, settings.fake_delay, settings.max_attempts) == (3, 0.25, 5)
    assert settings.strategy.value == "pack"
    assert settings.api_db == "sqlite:///%s/tessera_api.sqlite" % (tmp_path / "d")
    assert settings.cell_db == "sqlite:///%s/tessera_cell1.sqlite" % (tmp_path / "d")
    assert settings.driver == "fake" and settings.hosts


def test_driver_from_the_file_unless_given_on_the_command_line(tmp_path):
    conf = tmp_path / "tessera.conf"
    conf.write_text("[compute]\ndriver = libvirt\n")
    from_file = up_settings(_args("--data-dir", str(tmp_path), "--config-file", str(conf)))
    assert from_file.driver == "libvirt" and from_file.hosts == []
    flag = up_settings(_args("--data-dir", str(tmp_path), "--config-file", str(conf),
                             "--driver", "fake"))
    assert flag.driver == "fake" and flag.hosts
