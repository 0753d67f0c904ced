"""Boot servers through the HTTP Compute API of a running all-in-one.

    python bench/api_boot.py [--servers 1000] [--hosts 100] [--clients 8]

Starts `tessera up` (SQLite, in-process RPC, fake hypervisors: the generated hosts of
bench/schedule.py, written to a temporary hosts file) on a free port, creates a pinned
flavor, then `--clients` threads POST /v2.1/servers as fast as the API accepts them.
Prints the accepted requests per second and, polling /servers/detail, each server's
time from its POST to ACTIVE (p50/p99), the time until all were settled, and how many
ended ACTIVE or ERROR.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from schedule import compact_host, cpu_model, pct  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HEADERS = {"X-Auth-Token": "admin:admin", "OpenStack-API-Version": "compute 2.60"}
PER_PROJECT = 10


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("tessera up exited with %s" % proc.returncode)
        try:
            if httpx.get(url + "/v2.1/", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("tessera up did not answer in %d s" % timeout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args(argv)
    print("machine: %s, %s %s, %s, %d CPUs" % (
        platform.platform(), platform.python_implementation(), platform.python_version(),
        cpu_model(), os.cpu_count() or 0))
    tmp = Path(tempfile.mkdtemp(prefix="tessera-api-bench-"))
    rng = random.Random(1)
    hosts = tmp / "hosts.yaml"
    hosts.write_text(yaml.safe_dump({"hosts": [compact_host(i, rng)
                                               for i in range(args.hosts)]}))
    port = free_port()
    url = "http://127.0.0.1:%d" % port
    log = open(tmp / "tessera.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "tessera.cmd.main", "up", "--port",
                             str(port), "--data-dir", str(tmp / "data"), "--hosts",
                             str(hosts)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_up(url, proc)
        return run(url, args)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def run(url: str, args: argparse.Namespace) -> int:
    client = httpx.Client(base_url=url + "/v2.1", headers=HEADERS, timeout=60)
    flavor = {"flavor": {"name": "bench.pinned.2", "vcpus": 2, "ram": 2048, "disk": 1,
                         "id": "bench-pinned-2"}}
    assert client.post("/flavors", json=flavor).status_code == 200
    specs = {"extra_specs": {"hw:cpu_policy": "dedicated"}}
    assert client.post("/flavors/bench-pinned-2/os-extra_specs", json=specs).is_success
    image = client.get(url + "/image/v2/images").json()["images"][0]["id"]
    posted: dict[str, float] = {}
    lock = threading.Lock()
    todo = iter(range(args.servers))

    errors: list[str] = []

    def worker() -> None:
        c = httpx.Client(base_url=url + "/v2.1", headers=HEADERS, timeout=60)
        for n in todo:
            body = {"server": {"name": "b%d" % n, "flavorRef": "bench-pinned-2",
                               "imageRef": image, "networks": "none"}}
            # default quotas allow 10 servers a project: spread them over projects
            token = {"X-Auth-Token": "admin:bench-%d" % (n // PER_PROJECT)}
            t = time.monotonic()
            r = c.post("/servers", json=body, headers=token)
            if r.status_code != 202:
                errors.append("POST /servers: %d %s" % (r.status_code, r.text[:300]))
                return
            with lock:
                posted[r.json()["server"]["id"]] = t

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    accepted = time.monotonic() - t0
    if errors:
        raise SystemExit(errors[0])
    settled: dict[str, tuple[float, str]] = {}
    while len(settled) < len(posted) and time.monotonic() - t0 < 1800:
        time.sleep(0.25)
        now = time.monotonic()
        page = client.get("/servers/detail", params={"limit": 10000,
                                                     "all_tenants": 1}).json()["servers"]
        for s in page:
            if s["id"] in posted and s["id"] not in settled and \
                    s["status"] in ("ACTIVE", "ERROR"):
                settled[s["id"]] = (now - posted[s["id"]], s["status"])
    total = time.monotonic() - t0
    times = [t for t, status in settled.values() if status == "ACTIVE"]
    states: dict[str, int] = {}
    for _, status in settled.values():
        states[status] = states.get(status, 0) + 1
    print("run: %d servers from %d client threads onto %d hosts, all-in-one on SQLite"
          % (args.servers, args.clients, args.hosts))
    print("accepted: %d POST /servers in %.2f s: %.1f requests/s"
          % (len(posted), accepted, len(posted) / accepted))
    print("settled: %s in %.1f s after the first POST" % (states, total))
    if times:
        print("boot-to-ACTIVE: p50 %.2f s, p99 %.2f s, mean %.2f s"
              % (pct(times, 50), pct(times, 99), statistics.mean(times)))
    return 0 if len(settled) == len(posted) else 1


if __name__ == "__main__":
    sys.exit(main())
