"""`tessera up` as a subprocess for end-to-end tests: a free port, a temporary data
dir, the repository's hosts and flavors; stopped (and its log closed) afterwards."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def tessera_up(tmp: Path, timeout: float = 60, args: Sequence[str] = (),
               port: int | None = None) -> Iterator[str]:
    """Run `tessera up` (with extra `args`, e.g. `--auth keystone`) until the block
    ends; yields its base URL."""
    port = port or free_port()
    url = "http://127.0.0.1:%d" % port
    log_path = tmp / "tessera.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen([str(BIN / "tessera"), "up", "--port", str(port),
                                 "--data-dir", str(tmp / "data"),
                                 "--hosts", str(ROOT / "etc/hosts.yaml"),
                                 "--flavors", str(ROOT / "etc/flavors.yaml"), *args],
                                stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            _wait(url, proc, log_path, timeout)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait(url: str, proc: subprocess.Popen, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url + "/v2.1", timeout=1).read()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError("tessera up did not start:\n%s" % log_path.read_text())
            time.sleep(0.1)
