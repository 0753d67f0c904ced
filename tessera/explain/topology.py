"""Who owns what: each host's NUMA cells, every pCPU with its siblings and its owner,
page pools and PCI devices per cell, built from a compute node and its instances.

A pCPU's `role`:
- `shared`: in the cell's shared set (floating vCPUs run there; the cell lists them),
- `free`: a dedicated pCPU no guest holds,
- `pinned`: runs one pinned vCPU of `guest`,
- `isolated`: the idle sibling of a core an `isolate` guest holds,
- `emulator`: runs the isolated emulator thread of `guest`,
- `pinned-unknown`: marked pinned in the host's usage, but no known guest holds it,
- `host`: neither dedicated nor shared (kept for the host itself).
Pure over objects: no I/O. The result is JSON-ready.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from tessera.numa.placement import Placement
from tessera.objects import ComputeNode, Instance


def placements_on(host: str, instances: Iterable[Instance]
                  ) -> list[tuple[Instance, Placement, bool]]:
    """(instance, placement, moving) for every placement an instance holds on `host`:
    its own, and during a resize or migration the other side's (moving=True)."""
    out: list[tuple[Instance, Placement, bool]] = []
    for inst in instances:
        if inst.deleted:
            continue
        held: list[tuple[str | None, Placement | None, bool]] = [
            (inst.host, inst.placement, False)]
        mc = inst.migration_context
        if mc is not None:
            held += [(mc.source_host, mc.old_placement, True),
                     (mc.dest_host, mc.new_placement, True)]
        seen: list[Placement] = []
        for where, placement, moving in held:
            if where == host and placement is not None and placement.host == host \
                    and placement not in seen:
                seen.append(placement)
                out.append((inst, placement, moving))
    return out


def guest_view(inst: Instance) -> dict[str, Any]:
    specs = inst.flavor.extra_specs
    return {"id": inst.uuid, "name": inst.display_name, "flavor": inst.flavor.name,
            "vm_state": inst.vm_state.value,
            "cpu_policy": specs.get("hw:cpu_policy", "shared"),
            "thread_policy": specs.get("hw:cpu_thread_policy")
            or specs.get("hw:cpu_threads_policy"),
            "emulator_threads_policy": specs.get("hw:emulator_threads_policy")}


def host_topology(node: ComputeNode, instances: Sequence[Instance]) -> dict[str, Any]:
    """The JSON view of one host: cells, cores, pCPUs with owners, pages, devices."""
    numa = node.numa
    owner: dict[int, dict[str, Any]] = {}
    floating: dict[int, list[dict[str, Any]]] = {}
    devices: dict[str, str] = {}
    guests: dict[str, dict[str, Any]] = {}
    for inst, p, moving in placements_on(node.host, instances):
        g = guests.setdefault(inst.uuid, guest_view(inst))
        g.setdefault("placements", []).append(_placement_view(p, moving))
        for c in p.cells:
            for vcpu, pcpu in c.pins.items():
                owner[pcpu] = {"role": "pinned", "guest": inst.uuid, "vcpu": vcpu}
            for pcpu in c.reserved:
                owner[pcpu] = {"role": "isolated", "guest": inst.uuid}
            if c.floating:
                floating.setdefault(c.host_cell, []).append(
                    {"guest": inst.uuid, "vcpus": len(c.floating)})
        for pcpu in p.emulator_pins:
            owner[pcpu] = {"role": "emulator", "guest": inst.uuid}
        for cell_id, vcpus, _mem in p.floating_share:
            if vcpus:
                floating.setdefault(cell_id, []).append({"guest": inst.uuid,
                                                         "vcpus": vcpus})
        for address in p.pci:
            devices[address] = inst.uuid
    cells = []
    for cell in numa.cells:
        cores = [[_cpu(cpu, cell, owner) for cpu in core] for core in cell.siblings]
        cells.append({
            "id": cell.id, "socket": cell.socket, "cores": cores,
            "memory_mb": cell.memory_mb, "memory_used_mb": cell.memory_used_mb,
            "shared_vcpus_used": cell.shared_vcpus_used,
            "shared_capacity": len(cell.shared) * numa.cpu_allocation_ratio,
            "floating": floating.get(cell.id, []),
            "pages": [{"size_kb": pg.size_kb, "total": pg.total, "used": pg.used,
                       "reserved": pg.reserved, "free": pg.free} for pg in cell.pages],
            "pci": [_device(d, devices) for d in numa.pci if d.numa_node == cell.id]})
    return {"host": node.host, "hypervisor_hostname": node.hypervisor_hostname,
            "generation": node.generation,
            "cpu_allocation_ratio": numa.cpu_allocation_ratio,
            "ram_allocation_ratio": numa.ram_allocation_ratio,
            "cells": cells,
            "pci_without_cell": [_device(d, devices) for d in numa.pci
                                 if d.numa_node is None],
            "guests": sorted(guests.values(), key=lambda g: (g["name"], g["id"]))}


def _cpu(cpu: int, cell: Any, owner: dict[int, dict[str, Any]]) -> dict[str, Any]:
    if cpu in owner:
        return {"cpu": cpu, **owner[cpu]}
    if cpu in cell.shared:
        return {"cpu": cpu, "role": "shared"}
    if cpu in cell.pinned:
        return {"cpu": cpu, "role": "pinned-unknown"}
    if cpu in cell.dedicated:
        return {"cpu": cpu, "role": "free"}
    return {"cpu": cpu, "role": "host"}


def _device(d: Any, devices: dict[str, str]) -> dict[str, Any]:
    return {"address": d.address, "vendor_id": d.vendor_id, "product_id": d.product_id,
            "dev_type": d.dev_type, "physnet": d.physnet, "claimed": d.claimed,
            "guest": devices.get(d.address)}


def _placement_view(p: Placement, moving: bool) -> dict[str, Any]:
    view = p.to_dict()
    view.pop("fit", None)
    view["moving"] = moving
    if not p.cells:
        view["floating_vcpus"] = p.floating_vcpus
    return view
