#!/usr/bin/env python3
"""Benchmark the scheduler's decisions: N simulated NFV hosts, M dedicated guests.

    python bench/schedule.py [--hosts 1000] [--guests 1000] [--strategy spread|pack]
                             [--seed 1] [--cpu N] [--straightforward]

Hosts are like `etc/hosts.yaml`'s nfv-2s-smt: 2 NUMA cells with SMT, 2M and 1G page
pools, a few SR-IOV VFs, with sizes varied a little per host. Guests are dedicated
(2/4/8 vCPUs, some `isolate`, some on 1G pages, a few with a VF), scheduled one request
at a time through `select_destinations` with the default filters and weighers; each
choice is consumed (`consume` -> `tessera.numa.usage.apply`, which raises if a pCPU,
page or device were handed out twice). Prints decisions per second, p50/p99 ms per
decision and, at the end, the check that nothing was double-booked. `--straightforward`
times the reference path instead (every filter and weigher called on every host), which
decides the same. The conductor-level benchmark (RPC, DB, claims) is a different one.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tessera.numa.codec import host_from_dict  # noqa: E402
from tessera.numa.demo import expand_host  # noqa: E402
from tessera.numa.fit import Strategy  # noqa: E402
from tessera.numa.request import PciRequest  # noqa: E402
from tessera.objects import ComputeNode, Flavor, HostState, RequestSpec  # noqa: E402
from tessera.scheduler import NoValidHost, consume, select_destinations  # noqa: E402
from tessera.scheduler.filters import load_filters  # noqa: E402
from tessera.scheduler.weighers import load_weighers  # noqa: E402

VF = {"vendor_id": "8086", "product_id": "154c", "dev_type": "type-VF"}


def compact_host(i: int, rng: random.Random) -> dict:
    """A simulated NFV host in the compact form of etc/hosts.yaml: 2 SMT cells of 16-24
    cores, 2M and 1G pages, four VFs on cell 0."""
    cores = rng.choice([16, 20, 24])
    mem = rng.choice([131072, 196608])
    cells = []
    for c in range(2):
        cell: dict = {"memory_mb": mem, "hugepages": {"2M": mem // 16, "1G": mem // 4096}}
        if c == 0:
            cell["pci"] = [dict(VF, count=4, address="0000:3b:02.0", physnet="physnet1")]
        cells.append(cell)
    return {"name": "node-%04d" % i, "cpu_allocation_ratio": 4.0,
            "ram_allocation_ratio": 1.0, "cells": cells,
            "topology": {"cells": 2, "cores": cores, "threads": 2, "shared_cores": 1}}


def make_host(i: int, rng: random.Random) -> HostState:
    numa = host_from_dict(expand_host(compact_host(i, rng)))
    shared = sum(len(cell.shared) for cell in numa.cells)
    memory = sum(cell.memory_mb for cell in numa.cells)
    node = ComputeNode(uuid="cn-%04d" % i, host=numa.name, hypervisor_hostname=numa.name,
                       vcpus=shared, memory_mb=memory, local_gb=2000, numa=numa)
    return HostState(compute_node=node, cell_uuid="cell1", availability_zone="nova")


def make_flavors() -> list[tuple[Flavor, tuple[PciRequest, ...]]]:
    out: list[tuple[Flavor, tuple[PciRequest, ...]]] = []
    for vcpus in (2, 4, 8):
        for extra, tag in (({}, ""), ({"hw:cpu_thread_policy": "isolate"}, ".iso"),
                           ({"hw:mem_page_size": "1GB"}, ".1g")):
            specs = {"hw:cpu_policy": "dedicated", **extra}
            out.append((Flavor(flavorid="d%d%s" % (vcpus, tag), name="ded%d%s" % (vcpus, tag),
                               vcpus=vcpus, memory_mb=vcpus * 2048, root_gb=20,
                               extra_specs=specs), ()))
    sriov = Flavor(flavorid="s4", name="ded4.sriov", vcpus=4, memory_mb=8192, root_gb=20,
                   extra_specs={"hw:cpu_policy": "dedicated", "hw:mem_page_size": "1GB",
                                "hw:pci_numa_affinity_policy": "required"})
    out.append((sriov, (PciRequest(count=1, vendor_id="8086", product_id="154c",
                                   physnet="physnet1"),)))
    return out


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--guests", type=int, default=1000)
    parser.add_argument("--strategy", choices=[s.value for s in Strategy], default="spread")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cpu", type=int, default=None, help="pin to this CPU")
    parser.add_argument("--straightforward", action="store_true",
                        help="time the host-by-host reference path")
    args = parser.parse_args(argv)
    core = None
    if hasattr(os, "sched_setaffinity"):
        core = args.cpu if args.cpu is not None else sorted(os.sched_getaffinity(0))[-1]
        os.sched_setaffinity(0, {core})
    print("machine: %s, %s %s, %s, %d CPUs" % (
        platform.platform(), platform.python_implementation(), platform.python_version(),
        cpu_model(), os.cpu_count() or 0))
    rng = random.Random(args.seed)
    hosts = [make_host(i, rng) for i in range(args.hosts)]
    flavors = make_flavors()
    filters, weighers = load_filters(), load_weighers()
    print("run: %d hosts, %d guests, strategy %s, %s path, one process%s, gc off while "
          "deciding" % (args.hosts, args.guests, args.strategy,
                        "straightforward" if args.straightforward else "fast",
             ", pinned to CPU %d" % core if core is not None else ""))
    index = {h.compute_node.uuid: k for k, h in enumerate(hosts)}
    times: list[float] = []
    placed = failed = 0
    gc.disable()
    for g in range(args.guests):
        flavor, pci = rng.choice(flavors)
        spec = RequestSpec.build("guest-%05d" % g, flavor, pci_requests=pci)
        t0 = time.perf_counter()
        try:
            result = select_destinations(spec, hosts, [spec.instance_uuid], filters=filters,
                                         weighers=weighers, strategy=args.strategy,
                                         fast=not args.straightforward)
        except NoValidHost:
            times.append(time.perf_counter() - t0)
            failed += 1
            continue
        times.append(time.perf_counter() - t0)
        chosen = result.selections[0][0]
        assert chosen.placement is not None
        k = index[chosen.compute_node_uuid]
        hosts[k] = consume(hosts[k], spec, chosen.placement, spec.instance_uuid)
        placed += 1
        if g % 100 == 99:
            gc.collect()
    gc.enable()
    total = sum(times)
    ms = [t * 1000 for t in times]
    print("decisions: %d (%d placed, %d no valid host) in %.2f s: %.0f decisions/s"
          % (len(times), placed, failed, total, len(times) / total if total else 0.0))
    print("per decision: p50 %.2f ms, p99 %.2f ms, max %.2f ms, mean %.2f ms"
          % (statistics.median(ms), pct(ms, 99), max(ms), statistics.fmean(ms)))
    print(_check(hosts))
    return 0


def _check(hosts: list[HostState]) -> str:
    """Every pCPU, page and device given at most once: `consume` already raised on any
    double booking; here the totals are re-checked against each host's capacity."""
    pinned = pages = devices = 0
    for h in hosts:
        for cell in h.compute_node.numa.cells:
            assert cell.pinned <= cell.dedicated
            pinned += len(cell.pinned)
            for pool in cell.pages:
                assert pool.used + pool.reserved <= pool.total or pool.size_kb == 4, pool
                if pool.size_kb != 4:
                    pages += pool.used
        devices += sum(1 for d in h.compute_node.numa.pci if d.claimed)
    return ("check: no pCPU, huge page or device given twice (%d pCPUs pinned, %d huge "
            "pages and %d VFs in use)" % (pinned, pages, devices))


if __name__ == "__main__":
    sys.exit(main())
