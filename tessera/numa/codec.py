"""Plain-data (JSON/YAML) forms of hosts and placements.

The host form is the one of the benchmark workloads (`shared/bench/numa/README.md`):
cells with `siblings`, `dedicated`, `shared`, `memory_mb`, `pages`, `pinned`,
`shared_vcpus_used`, `memory_used_mb` and `pci`; a device belongs to the cell that lists
it. A cell may give its `socket`; without one, each cell is taken as its own socket.
Devices with no NUMA node go in the host's top-level `pci` list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tessera.numa.host import Host, HostCell, PagePool, PciDevice


def _device(d: Mapping[str, Any], node: int | None) -> PciDevice:
    return PciDevice(
        address=str(d["address"]), vendor_id=str(d.get("vendor_id", "")),
        product_id=str(d.get("product_id", "")), dev_type=str(d.get("dev_type", "type-VF")),
        physnet=d.get("physnet"), numa_node=node, claimed=bool(d.get("claimed", False)))


def host_from_dict(data: Mapping[str, Any], name: str | None = None) -> Host:
    """Build a `Host` from its plain form; raises ValueError naming what is wrong."""
    cells = []
    devices = []
    for c in data["cells"]:
        cid = int(c["id"])
        siblings = tuple(tuple(int(x) for x in core) for core in c["siblings"])
        all_cpus = [x for core in siblings for x in core]
        dedicated = frozenset(int(x) for x in c.get("dedicated", all_cpus))
        shared = frozenset(int(x) for x in c.get("shared", ()))
        pages = tuple(PagePool(int(p["size_kb"]), int(p["total"]), int(p.get("used", 0)),
                               int(p.get("reserved", 0))) for p in c.get("pages", ()))
        cells.append(HostCell(
            id=cid, siblings=siblings, dedicated=dedicated, shared=shared,
            memory_mb=int(c["memory_mb"]), pages=pages,
            socket=int(c["socket"]) if c.get("socket") is not None else cid,
            pinned=frozenset(int(x) for x in c.get("pinned", ())),
            shared_vcpus_used=int(c.get("shared_vcpus_used", 0)),
            memory_used_mb=int(c.get("memory_used_mb", 0))))
        devices.extend(_device(d, cid) for d in c.get("pci", ()))
    devices.extend(_device(d, None) for d in data.get("pci", ()))
    return Host(name=name or str(data.get("name", "host")), cells=tuple(cells),
                cpu_allocation_ratio=float(data.get("cpu_allocation_ratio", 16.0)),
                ram_allocation_ratio=float(data.get("ram_allocation_ratio", 1.0)),
                pci=tuple(devices), generation=int(data.get("generation", 0)))


def _device_dict(d: PciDevice) -> dict[str, Any]:
    return {"address": d.address, "vendor_id": d.vendor_id, "product_id": d.product_id,
            "dev_type": d.dev_type, "physnet": d.physnet, "claimed": d.claimed}


def host_to_dict(host: Host) -> dict[str, Any]:
    """The plain form of a host; `host_from_dict(host_to_dict(h)) == h`."""
    cells = []
    for c in host.cells:
        cells.append({
            "id": c.id, "socket": c.socket, "siblings": [list(core) for core in c.siblings],
            "dedicated": sorted(c.dedicated), "shared": sorted(c.shared),
            "memory_mb": c.memory_mb,
            "pages": [{"size_kb": p.size_kb, "total": p.total, "used": p.used,
                       "reserved": p.reserved} for p in c.pages],
            "pinned": sorted(c.pinned), "shared_vcpus_used": c.shared_vcpus_used,
            "memory_used_mb": c.memory_used_mb,
            "pci": [_device_dict(d) for d in host.pci if d.numa_node == c.id]})
    out: dict[str, Any] = {"name": host.name, "generation": host.generation,
                           "cpu_allocation_ratio": host.cpu_allocation_ratio,
                           "ram_allocation_ratio": host.ram_allocation_ratio,
                           "cells": cells}
    loose = [_device_dict(d) for d in host.pci if d.numa_node is None]
    if loose:
        out["pci"] = loose
    return out
