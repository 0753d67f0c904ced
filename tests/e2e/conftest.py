"""End-to-end fixtures: `tessera up` as a subprocess on a free port with a temp data
dir, a clouds.yaml for the admin and two projects, and helpers that run the real
`openstack` CLI (installed beside this Python) and openstacksdk against it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.tessera_up import tessera_up

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: runs `tessera up` and the real clients")




CLOUD = """\
  {name}:
    auth_type: admin_token
    auth: {{token: "{token}", endpoint: "{url}/v2.1"}}
    identity_api_version: 3
    identity_endpoint_override: {url}/identity/v3
    compute_endpoint_override: {url}/v2.1
    image_endpoint_override: {url}/image
    network_endpoint_override: {url}/network
    block_storage_endpoint_override: {url}/volume/v3
    volume_endpoint_override: {url}/volume/v3
"""


@dataclass
class Tessera:
    url: str
    env: dict[str, str]
    openstack: str

    def cli(self, *args: str, cloud: str = "tessera", version: str | None = None,
            check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [self.openstack, "--os-cloud", cloud]
        if version:
            cmd += ["--os-compute-api-version", version]
        done = subprocess.run([*cmd, *args], env=self.env, capture_output=True, text=True,
                              timeout=120)
        if check and done.returncode != 0:
            raise AssertionError("openstack %s failed (%d):\n%s\n%s" % (
                " ".join(args), done.returncode, done.stdout, done.stderr))
        return done

    def cli_json(self, *args: str, **kw: Any) -> Any:
        return json.loads(self.cli(*args, "-f", "json", **kw).stdout)

    def sdk(self, cloud: str = "tessera", version: str | None = None) -> Any:
        import openstack
        old = os.environ.get("OS_CLIENT_CONFIG_FILE")
        os.environ["OS_CLIENT_CONFIG_FILE"] = self.env["OS_CLIENT_CONFIG_FILE"]
        try:
            kw = {"compute_api_version": version} if version else {}
            return openstack.connect(cloud=cloud, **kw)
        finally:
            if old is None:
                os.environ.pop("OS_CLIENT_CONFIG_FILE", None)
            else:
                os.environ["OS_CLIENT_CONFIG_FILE"] = old

    def http(self, method: str, path: str, body: Any = None, token: str = "admin:admin",
             headers: dict[str, str] | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"X-Auth-Token": token,
                                                  "Content-Type": "application/json",
                                                  **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as err:
            raw = err.read()
            return err.code, json.loads(raw) if raw else None


USERS = (("tessera", "admin:admin"), ("alice", "alice:p1"), ("bob", "bob:p2"))

LIBVIRT_CONF = """
[DEFAULT]
host = {host}
[compute]
driver = libvirt
cpu_dedicated_set = {dedicated}
cpu_shared_set = {shared}
[libvirt]
connection_uri = test://{node}
virt_type = kvm
capabilities_file = {caps}
"""


def _openstack() -> str:
    openstack = shutil.which("openstack", path=str(BIN)) or shutil.which("openstack")
    if openstack is None:
        pytest.skip("the openstack CLI is not installed (pip install "
                    "python-openstackclient openstacksdk)")
    return openstack


@contextmanager
def running(tmp: Path, args: Sequence[str] = ()) -> Iterator[Tessera]:
    """`tessera up ARGS` in `tmp` with a clouds.yaml for the admin, alice and bob."""
    openstack = _openstack()
    with tessera_up(tmp, args=list(args)) as url:
        clouds = tmp / "clouds.yaml"
        clouds.write_text("clouds:\n" + "".join(
            CLOUD.format(name=n, token=t, url=url) for n, t in USERS))
        env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(clouds)}
        env.pop("OS_CLOUD", None)
        yield Tessera(url=url, env=env, openstack=openstack)


@contextmanager
def running_on_libvirt(tmp: Path, host: str, extra_conf: str = "") -> Iterator[Tessera]:
    """`tessera up --driver libvirt` on libvirt's test driver (a private node file per
    cloud), with the 2-cell capabilities fixture as its host (CPU sets of
    tests/unit/virt/scenarios.py, 2M pages) and `extra_conf` appended to its config."""
    from tests.conftest import _require_service
    from tests.unit.virt.fixtures import FIXTURES
    from tests.unit.virt.scenarios import DEDICATED, SHARED

    try:
        import libvirt  # noqa: F401
    except ImportError as exc:
        _require_service("libvirt-python", False, "%s (scripts/install-libvirt.sh)" % exc)
    _openstack()
    node = tmp / "node.xml"
    node.write_text("<node>\n</node>\n")
    conf = tmp / "tessera.conf"
    conf.write_text(LIBVIRT_CONF.format(host=host, dedicated=DEDICATED, shared=SHARED,
                                        node=node, caps=FIXTURES / "caps-2cell.xml")
                    + extra_conf)
    with running(tmp, ["--driver", "libvirt", "--config-file", str(conf)]) as cloud:
        yield cloud


@pytest.fixture(scope="session")
def tessera(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tessera]:
    with running(tmp_path_factory.mktemp("tessera-up")) as cloud:
        yield cloud
