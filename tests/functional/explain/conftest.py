"""An AllInOne (SQLite, fake:// RPC, fake NFV hosts from etc/hosts.yaml) per test, its
Compute API app (with Tessera's admin API) served by uvicorn on a free port, so the
`tessera explain|capacity|topology` commands talk to it over real HTTP."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn

from tessera.api import policy
from tessera.api.compute import build_app
from tessera.cmd.main import main
from tessera.deploy import AllInOne, Settings
from tessera.objects import Flavor
from tests.functional.control.helpers import HOSTS


def flavor(name: str, vcpus: int, memory_mb: int, **specs: str) -> Flavor:
    return Flavor(flavorid=name, name=name, vcpus=vcpus, memory_mb=memory_mb, root_gb=1,
                  extra_specs={k.replace("__", ":"): v for k, v in specs.items()})


@dataclass
class Running:
    aio: AllInOne
    url: str

    def cli(self, capsys: pytest.CaptureFixture[str], *argv: str,
            token: str = "admin:admin") -> tuple[int, str, str]:
        """Run `tessera ARGV` against this cloud; (exit status, stdout, stderr)."""
        code = main([*argv, "--os-endpoint", self.url + "/v2.1", "--os-token", token])
        captured = capsys.readouterr()
        return code, captured.out, captured.err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def running(tmp_path, request) -> Iterator[Running]:
    names = getattr(request, "param", ("nfv-2s-smt", "nfv-4n-nosmt"))
    settings = Settings(api_db="sqlite:///%s/api.sqlite" % tmp_path,
                        cell_db="sqlite:///%s/cell1.sqlite" % tmp_path,
                        transport_url="fake://explain-%s" % tmp_path.name,
                        hosts=[HOSTS[n] for n in names])
    policy.reset()
    with AllInOne(settings) as aio:
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(build_app(aio.api), host="127.0.0.1",
                                               port=port, log_level="warning",
                                               lifespan="off"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        try:
            yield Running(aio, "http://127.0.0.1:%d" % port)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    policy.reset()
