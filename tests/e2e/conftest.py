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
from collections.abc import Iterator
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


@pytest.fixture(scope="session")
def tessera(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tessera]:
    openstack = shutil.which("openstack", path=str(BIN)) or shutil.which("openstack")
    if openstack is None:
        pytest.skip("the openstack CLI is not installed (pip install "
                    "python-openstackclient openstacksdk)")
    tmp = tmp_path_factory.mktemp("tessera-up")
    with tessera_up(tmp) as url:
        clouds = tmp / "clouds.yaml"
        clouds.write_text("clouds:\n" + "".join(
            CLOUD.format(name=n, token=t, url=url) for n, t in
            (("tessera", "admin:admin"), ("alice", "alice:p1"), ("bob", "bob:p2"))))
        env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(clouds)}
        env.pop("OS_CLOUD", None)
        yield Tessera(url=url, env=env, openstack=openstack)
