"""Browser fixtures: `tessera up` as a subprocess on a free port (a fresh all-in-one
per module), and headless Chromium (Debian's `chromium`, installed by
scripts/install-chromium.sh) driven through its DevTools pipe."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@dataclass
class Tessera:
    url: str

    def http(self, method: str, path: str, body: Any = None, token: str = "admin:admin",
             version: str = "2.60") -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"X-Auth-Token": token,
                                                  "Content-Type": "application/json",
                                                  "OpenStack-API-Version": "compute "
                                                  + version})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as err:
            raw = err.read()
            return err.code, json.loads(raw) if raw else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def tessera(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tessera]:
    tmp = tmp_path_factory.mktemp("tessera-up")
    port = _free_port()
    url = "http://127.0.0.1:%d" % port
    log = (tmp / "tessera.log").open("w")
    proc = subprocess.Popen([str(BIN / "tessera"), "up", "--port", str(port),
                             "--data-dir", str(tmp / "data"),
                             "--hosts", str(ROOT / "etc/hosts.yaml"),
                             "--flavors", str(ROOT / "etc/flavors.yaml")],
                            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/v2.1", timeout=1).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError("tessera up did not start:\n%s"
                                     % (tmp / "tessera.log").read_text())
            time.sleep(0.1)
    try:
        yield Tessera(url=url)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def chromium(require_service: Any) -> str:
    binary = shutil.which("chromium")
    require_service("chromium", binary is not None,
                    "run scripts/install-chromium.sh (Debian's chromium)")
    assert binary is not None
    return binary
