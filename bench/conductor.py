"""Boot dedicated guests through the whole control plane onto simulated hosts.

    python bench/conductor.py [--hosts 1000] [--guests 1000] [--strategy spread|pack]

One process, the all-in-one: SQLite databases in a temporary folder, in-process RPC,
one compute service with a fake hypervisor per host (the hosts of bench/schedule.py).
Guests are asked for through the internal compute API in bursts, as an API would; the
conductor asks the scheduler for each, and the chosen compute host claims and builds it.
Prints guests per second (from the first request to the last guest settled) and the
scheduler's time per decision as the conductor sees it (p50/p99), then checks that no
pCPU was given twice on any host.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from schedule import compact_host, cpu_model, make_flavors, pct  # noqa: E402

from tessera.compute.resource_tracker import Ratios  # noqa: E402
from tessera.context import RequestContext  # noqa: E402
from tessera.deploy import AllInOne, Settings  # noqa: E402
from tessera.numa.fit import Strategy  # noqa: E402
from tessera.objects import VmState  # noqa: E402

CTX = RequestContext(user_id="bench", project_id="bench")


class TimedScheduler:
    """The conductor's scheduler client, timing each decision."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.times: list[float] = []

    def select_destinations(self, ctxt, spec, uuids):
        t0 = time.perf_counter()
        try:
            return self.inner.select_destinations(ctxt, spec, uuids)
        finally:
            self.times.append(time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--guests", type=int, default=1000)
    parser.add_argument("--burst", type=int, default=50,
                        help="requests sent before waiting for them to settle")
    parser.add_argument("--strategy", choices=[s.value for s in Strategy], default="spread")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    print("machine: %s, %s %s, %s, %d CPUs" % (
        platform.platform(), platform.python_implementation(), platform.python_version(),
        cpu_model(), os.cpu_count() or 0))
    rng = random.Random(args.seed)
    data = Path(tempfile.mkdtemp(prefix="tessera-bench-"))
    settings = Settings(api_db="sqlite:///%s/api.sqlite" % data,
                        cell_db="sqlite:///%s/cell1.sqlite" % data,
                        transport_url="fake://bench", report_interval=30,
                        service_down_time=600,
                        hosts=[compact_host(i, rng) for i in range(args.hosts)],
                        strategy=Strategy(args.strategy), ratios=Ratios(4.0, 1.0, 1.0))
    t0 = time.perf_counter()
    cloud = AllInOne(settings).start()
    print("started %d compute services in %.1f s" % (args.hosts, time.perf_counter() - t0))
    conductor = cloud.services[0].endpoints[0]
    timed = TimedScheduler(conductor.scheduler)
    conductor.scheduler = timed
    flavors = [cloud.api.create_flavor(f) for f, pci in make_flavors() if not pci]
    try:
        uuids: list[str] = []
        t0 = time.perf_counter()
        while len(uuids) < args.guests:
            burst = []
            for _ in range(min(args.burst, args.guests - len(uuids))):
                burst += [i.uuid for i in cloud.api.create(CTX, rng.choice(flavors))]
            _settle(cloud, burst)
            uuids += burst
        elapsed = time.perf_counter() - t0
        done = [cloud.api.get(u) for u in uuids]
    finally:
        cloud.stop()
    states = Counter(i.vm_state.value for i in done)
    print("run: %d hosts, %d guests in bursts of %d, strategy %s, all-in-one on SQLite"
          % (args.hosts, args.guests, args.burst, args.strategy))
    print("guests: %s in %.2f s: %.1f guests/s" % (dict(states), elapsed,
                                                  len(uuids) / elapsed))
    ms = [t * 1000 for t in timed.times]
    print("per decision (conductor -> scheduler): p50 %.2f ms, p99 %.2f ms, mean %.2f ms"
          % (pct(ms, 50), pct(ms, 99), statistics.mean(ms)))
    pins: dict[str, list[int]] = {}
    for i in done:
        if i.vm_state is VmState.ACTIVE and i.placement:
            pins.setdefault(i.host or "", []).extend(
                p for c in i.placement.cells for p in c.pins.values())
    twice = [h for h, p in pins.items() if len(p) != len(set(p))]
    print("check: %s" % ("a pCPU was given twice on %s" % twice if twice
                         else "no pCPU given twice on any of %d hosts" % len(pins)))
    return 1 if twice else 0


def _settle(cloud: AllInOne, uuids: list[str], timeout: float = 600) -> None:
    """Wait until every guest of `uuids` is ACTIVE or ERROR (one listing a poll, so
    the waiting costs the services little)."""
    deadline = time.monotonic() + timeout
    pending = set(uuids)
    while pending:
        if time.monotonic() > deadline:
            raise SystemExit("guests did not settle: %d left" % len(pending))
        time.sleep(0.2)
        for inst in cloud.api.list(CTX.project_id):
            if inst.uuid in pending and inst.task_state is None and \
                    inst.vm_state in (VmState.ACTIVE, VmState.ERROR):
                pending.discard(inst.uuid)


if __name__ == "__main__":
    sys.exit(main())
