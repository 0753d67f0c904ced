"""Hosts and specs for the scheduler's tests: the NFV hosts of etc/hosts.yaml wrapped
in ComputeNode/HostState, a small two-cell host to vary field by field, and flavors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tessera.numa.codec import host_from_dict
from tessera.numa.demo import expand_host
from tessera.numa.host import Host
from tessera.numa.request import PciRequest
from tessera.objects import ComputeNode, Flavor, HostState, ImageMeta, RequestSpec

ROOT = Path(__file__).resolve().parents[3]
VF = PciRequest(count=1, vendor_id="8086", product_id="154c", physnet="physnet1")


def wrap(numa: Host, cell_uuid: str = "cell1", az: str | None = None,
         **node: Any) -> HostState:
    """A HostState around a NUMA host; usage fields follow the host's cells."""
    fields: dict[str, Any] = dict(
        uuid="cn-" + numa.name, host=numa.name, hypervisor_hostname=numa.name,
        vcpus=sum(len(c.shared) for c in numa.cells),
        vcpus_used=sum(c.shared_vcpus_used for c in numa.cells),
        memory_mb=sum(c.memory_mb for c in numa.cells),
        memory_mb_used=sum(c.memory_used_mb for c in numa.cells),
        local_gb=500, cpu_allocation_ratio=numa.cpu_allocation_ratio,
        ram_allocation_ratio=numa.ram_allocation_ratio, numa=numa)
    hs = {k: node.pop(k) for k in ("service_up", "service_disabled", "disabled_reason",
                                   "instance_uuids") if k in node}
    fields.update(node)
    return HostState(compute_node=ComputeNode(**fields), cell_uuid=cell_uuid,
                     availability_zone=az, **hs)


def yaml_hosts(**kw: Any) -> list[HostState]:
    data = yaml.safe_load((ROOT / "etc" / "hosts.yaml").read_text())
    return [wrap(host_from_dict(expand_host(h)), **kw) for h in data["hosts"]]


def small_numa(name: str = "small", pinned: str = "", vfs: int = 2) -> Host:
    """2 cells x 4 cores x 2 threads (core 0 of each cell shared), 8 GiB per cell with
    4 x 1G pages, `vfs` physnet1 VFs on cell 0."""
    cell = {"memory_mb": 8192, "hugepages": {"1G": 4}}
    cells = [dict(cell, pinned=pinned), dict(cell)]
    if vfs:
        cells[0]["pci"] = [{"count": vfs, "address": "0000:3b:02.0", "vendor_id": "8086",
                            "product_id": "154c", "dev_type": "type-VF",
                            "physnet": "physnet1"}]
    return host_from_dict(expand_host({
        "name": name, "cpu_allocation_ratio": 4.0, "ram_allocation_ratio": 1.0,
        "topology": {"cells": 2, "cores": 4, "threads": 2, "shared_cores": 1},
        "cells": cells}))


def small(name: str = "small", pinned: str = "", vfs: int = 2, **kw: Any) -> HostState:
    return wrap(small_numa(name, pinned, vfs), **kw)


def flavor(vcpus: int = 2, memory_mb: int = 2048, root_gb: int = 10, name: str = "f",
           **extra_specs: str) -> Flavor:
    return Flavor(flavorid=name, name=name, vcpus=vcpus, memory_mb=memory_mb,
                  root_gb=root_gb, extra_specs={k.replace("__", ":"): v
                                                for k, v in extra_specs.items()})


def pinned(vcpus: int = 2, memory_mb: int = 2048, **extra: str) -> Flavor:
    extra["hw__cpu_policy"] = "dedicated"
    return flavor(vcpus, memory_mb, 10, "pinned%d" % vcpus, **extra)


def spec(f: Flavor | None = None, uuid: str = "inst-1", image: dict | None = None,
         pci: tuple[PciRequest, ...] = (), **fields: Any) -> RequestSpec:
    return RequestSpec.build(uuid, f or pinned(), ImageMeta(properties=image or {}),
                             pci_requests=pci, **fields)


def demo_flavor(name: str) -> Flavor:
    data = yaml.safe_load((ROOT / "etc" / "flavors.yaml").read_text())
    f = next(x for x in data["flavors"] if x["name"] == name)
    return Flavor(flavorid=name, name=name, vcpus=f["vcpus"], memory_mb=f["memory_mb"],
                  root_gb=10, extra_specs={k: str(v) for k, v in f["extra_specs"].items()})
