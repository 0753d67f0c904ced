"""An all-in-one on SQLite and in-process RPC with some of etc/hosts.yaml's fake hosts,
and the tokens of the no-auth users, for tests that drive the HTTP APIs in process."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from tessera.deploy import AllInOne, Settings
from tessera.objects import Flavor

ROOT = Path(__file__).resolve().parents[2]
HOSTS = {h["name"]: h for h in yaml.safe_load((ROOT / "etc/hosts.yaml").read_text())["hosts"]}
ADMIN = {"X-Auth-Token": "admin:admin"}
ALICE = {"X-Auth-Token": "alice:p1"}
BOB = {"X-Auth-Token": "bob:p2"}
CIRROS = "1b9a0b1e-0c38-4c6e-9a57-6f0d6d1c0001"


@contextmanager
def all_in_one(tmp: Path, tag: str, hosts: Iterable[str] = ("nfv-2s-smt",),
               flavors: Iterable[Flavor] = ()) -> Iterator[AllInOne]:
    """A running all-in-one with its databases in `tmp`, on its own fake:// transport
    (`tag` names it), the named fake hosts and `flavors` created."""
    settings = Settings(api_db="sqlite:///%s/api.sqlite" % tmp,
                        cell_db="sqlite:///%s/cell1.sqlite" % tmp,
                        transport_url="fake://%s-%s" % (tag, tmp.name),
                        hosts=[HOSTS[name] for name in hosts])
    with AllInOne(settings) as aio:
        for flavor in flavors:
            aio.api.create_flavor(flavor)
        yield aio
