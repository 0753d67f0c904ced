"""Browser fixtures: `tessera up` as a subprocess on a free port (a fresh all-in-one
per module), and headless Chromium (Debian's `chromium`, installed by
scripts/install-chromium.sh) driven through its DevTools pipe."""

from __future__ import annotations

import json
import shutil
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.tessera_up import tessera_up

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




@pytest.fixture(scope="module")
def tessera(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tessera]:
    with tessera_up(tmp_path_factory.mktemp("tessera-up")) as url:
        yield Tessera(url=url)


@pytest.fixture
def chromium(require_service: Any) -> str:
    binary = shutil.which("chromium")
    require_service("chromium", binary is not None,
                    "run scripts/install-chromium.sh (Debian's chromium)")
    assert binary is not None
    return binary
