"""The service commands: each Tessera service as its own process, and the all-in-one.

    tessera-conductor --config-file tessera.conf
    tessera-scheduler --config-file tessera.conf
    tessera-compute   --config-file tessera.conf --host NAME
    tessera up [--data-dir DIR] [--hosts etc/hosts.yaml]

Each runs until SIGINT or SIGTERM, then stops gracefully.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from tessera.conf import make_conf
from tessera.deploy import (AllInOne, Settings, compute_service, conductor_service,
                            load_hosts, scheduler_service)
from tessera.service import run_services


def _parser(prog: str, with_host: bool = False) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog)
    p.add_argument("--config-file", action="append", default=[],
                   help="a configuration file (may be given more than once)")
    if with_host:
        p.add_argument("--host", required=True,
                       help="the name of this host in [compute] fake_hosts_file")
    p.add_argument("--debug", action="store_true")
    return p


def _settings(args: argparse.Namespace) -> Settings:
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return Settings.from_conf(make_conf(config_files=args.config_file), hosts=[])


def conductor(argv: Sequence[str] | None = None) -> int:
    args = _parser("tessera-conductor").parse_args(argv)
    run_services([conductor_service(_settings(args))])
    return 0


def scheduler(argv: Sequence[str] | None = None) -> int:
    args = _parser("tessera-scheduler").parse_args(argv)
    run_services([scheduler_service(_settings(args))])
    return 0


def compute(argv: Sequence[str] | None = None) -> int:
    args = _parser("tessera-compute", with_host=True).parse_args(argv)
    settings = _settings(args)
    hosts = {h["name"]: h for h in load_hosts(settings.conf.compute.fake_hosts_file)}
    if args.host not in hosts:
        print("tessera-compute: no host %r in %s (there are: %s)" % (
            args.host, settings.conf.compute.fake_hosts_file, ", ".join(sorted(hosts))),
            file=sys.stderr)
        return 2
    run_services([compute_service(settings, hosts[args.host])])
    return 0


def register(groups: argparse._SubParsersAction) -> None:
    up = groups.add_parser("up", help="run every service in this process",
                           description="Start the all-in-one: SQLite databases under "
                           "--data-dir, in-process RPC and fake hosts from --hosts.")
    up.add_argument("--data-dir", default="data", type=Path)
    up.add_argument("--hosts", default="etc/hosts.yaml", type=Path)
    up.set_defaults(func=run_up)


def run_up(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    data = args.data_dir.resolve()
    data.mkdir(parents=True, exist_ok=True)
    settings = Settings(api_db="sqlite:///%s/tessera_api.sqlite" % data,
                        cell_db="sqlite:///%s/tessera_cell1.sqlite" % data,
                        hosts=load_hosts(args.hosts))
    cloud = AllInOne(settings).start()
    print("Tessera is up: %d hosts (%s); databases in %s. Ctrl-C stops it." % (
        len(settings.hosts), ", ".join(h["name"] for h in settings.hosts), data))
    sys.stdout.flush()
    try:
        run_services([])
    finally:
        cloud.stop()
    return 0


if __name__ == "__main__":
    commands = {"conductor": conductor, "scheduler": scheduler, "compute": compute}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print("usage: python -m tessera.cmd.services {%s} [options]" % ",".join(commands),
              file=sys.stderr)
        sys.exit(2)
    sys.exit(commands[sys.argv[1]](sys.argv[2:]))
