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
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from oslo_config import cfg

from tessera.api.app import Settings as ApiSettings
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
    """The conductor on the API-level transport and on every cell's own transport
    (where that cell's compute hosts send failed builds to be rescheduled)."""
    args = _parser("tessera-conductor").parse_args(argv)
    settings = _settings(args)
    from tessera.cells.services import cell_conductor_service
    from tessera.db import cells as cell_admin

    urls = {c.transport_url for c in cell_admin.list_cells(settings.api_db)
            if not c.is_cell0} - {settings.transport_url}
    run_services([conductor_service(settings)] +
                 [cell_conductor_service(settings, url) for url in sorted(urls)])
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
    up = groups.add_parser("up", help="run every service and the Compute API in this "
                           "process",
                           description="Start the all-in-one: SQLite databases under "
                           "--data-dir, in-process RPC, fake hosts from --hosts, and the "
                           "Compute API v2.1 on http://HOST:PORT (no-auth tokens "
                           "USER:PROJECT; user admin is an admin).")
    up.add_argument("--data-dir", default="data", type=Path)
    up.add_argument("--hosts", default="etc/hosts.yaml", type=Path)
    up.add_argument("--flavors", default="etc/flavors.yaml", type=Path,
                    help="flavors to create on first start (skipped if missing)")
    up.add_argument("--host", default="127.0.0.1", dest="bind",
                    help="address the API listens on")
    up.add_argument("--port", default=8774, type=int)
    up.add_argument("--driver", choices=("fake", "libvirt"), default=None,
                    help="fake: the simulated hosts of --hosts; libvirt: this machine, "
                    "through [libvirt] connection_uri (default: [compute] driver, "
                    "which defaults to fake)")
    up.add_argument("--config-file", action="append", default=[],
                    help="a configuration file ([libvirt], [compute] CPU sets, "
                    "[keystone_authtoken], ...)")
    up.add_argument("--auth", choices=("noauth2", "keystone"), default=None,
                    help="noauth2: X-Auth-Token USER:PROJECT taken at its word (the "
                    "default); keystone: Keystone tokens checked by keystonemiddleware "
                    "with the [keystone_authtoken] options of --config-file (default: "
                    "[api] auth_strategy)")
    up.set_defaults(func=run_up)


CLOUDS_YAML = """\
clouds:
  tessera:
    auth_type: admin_token
    auth:
      token: "admin:admin"
      endpoint: {url}/v2.1
    identity_api_version: 3
    identity_endpoint_override: {url}/identity/v3
    compute_endpoint_override: {url}/v2.1
    image_endpoint_override: {url}/image
    network_endpoint_override: {url}/network
    block_storage_endpoint_override: {url}/volume/v3
    volume_endpoint_override: {url}/volume/v3
"""


KEYSTONE_CLOUDS_YAML = """\
clouds:
  tessera:
    auth_type: password
    auth:
      auth_url: {auth_url}
      username: admin
      password: <the admin password>
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    identity_api_version: 3
"""


def clouds_yaml(url: str, keystone_url: str | None = None) -> str:
    """A clouds.yaml entry for this all-in-one. Without Keystone: the admin token
    (a user's own is `USER:PROJECT`, e.g. `openstack --os-token alice:demo ...`).
    With Keystone at `keystone_url`: password auth there, the endpoints coming from
    Keystone's catalog."""
    if keystone_url:
        return KEYSTONE_CLOUDS_YAML.format(auth_url=keystone_url)
    return CLOUDS_YAML.format(url=url)


def keystone_url(conf: Any) -> str:
    """Where clients authenticate: `[keystone_authtoken] www_authenticate_uri`, else
    its `auth_url` (registered by keystonemiddleware once the app is built)."""
    group = getattr(conf, "keystone_authtoken", None)
    for name in ("www_authenticate_uri", "auth_url"):
        try:
            value = getattr(group, name)
        except (AttributeError, cfg.NoSuchOptError):
            continue
        if value:
            return str(value)
    return "<[keystone_authtoken] www_authenticate_uri>"


def seed_flavors(cloud: AllInOne, path: Path) -> list[str]:
    """Create the flavors of a flavors file (etc/flavors.yaml form) that do not exist
    yet; flavor ids are stable UUIDs derived from the names. Returns those created."""
    import uuid as uuidlib

    from tessera.db import errors as db_errors
    from tessera.numa.errors import InvalidRequest
    from tessera.objects import Flavor

    if not path.exists():
        return []
    made = []
    for item in yaml.safe_load(path.read_text()).get("flavors", []):
        flavorid = str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, "tessera-flavor:" + item["name"]))
        flavor = Flavor(flavorid=flavorid, name=item["name"], vcpus=item["vcpus"],
                        memory_mb=item["memory_mb"], root_gb=item.get("root_gb", 1),
                        extra_specs={k: str(v) for k, v in
                                     (item.get("extra_specs") or {}).items()})
        try:
            cloud.api.create_flavor(flavor)
        except db_errors.FlavorExists:
            continue
        except InvalidRequest as exc:
            logging.getLogger(__name__).warning("flavor %s not seeded: %s",
                                                flavor.name, exc)
            continue
        made.append(flavor.name)
    return made


def up_settings(args: argparse.Namespace) -> Settings:
    """The all-in-one's settings: the config files' options ([compute], [scheduler],
    ...) hold; the databases are SQLite files in the data dir; --driver, when given,
    wins over [compute] driver."""
    data = args.data_dir.resolve()
    data.mkdir(parents=True, exist_ok=True)
    conf = make_conf(config_files=args.config_file)
    driver = args.driver or conf.compute.driver
    return replace(
        Settings.from_conf(conf, hosts=load_hosts(args.hosts) if driver == "fake" else []),
        api_db="sqlite:///%s/tessera_api.sqlite" % data,
        cell_db="sqlite:///%s/tessera_cell1.sqlite" % data, driver=driver)


def run_up(args: argparse.Namespace) -> int:
    import uvicorn

    from tessera.api.compute import build_app

    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = up_settings(args)
    data = args.data_dir.resolve()
    api_settings = ApiSettings.from_conf(settings.conf)
    if args.auth:
        api_settings = replace(api_settings, auth_strategy=args.auth)
    cloud = AllInOne(settings).start()
    try:
        seeded = seed_flavors(cloud, args.flavors)
        app = build_app(cloud.api, api_settings)
        config = uvicorn.Config(app, host=args.bind, port=args.port, log_level="warning",
                                access_log=False, lifespan="off")
        server = uvicorn.Server(config)
        url = "http://%s:%d" % (args.bind, args.port)
        keystone = (keystone_url(settings.conf)
                    if api_settings.auth_strategy == "keystone" else None)
        print("Tessera is up: %d hosts (%s); databases in %s; %d flavors seeded.\n"
              "Compute API: %s/v2.1. Ctrl-C stops it.\n\n"
              "A clouds.yaml entry (then: openstack --os-cloud tessera server list):\n\n%s"
              % (len(settings.hosts), ", ".join(h["name"] for h in settings.hosts), data,
                 len(seeded), url, clouds_yaml(url, keystone)))
        sys.stdout.flush()
        server.run()
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
