"""The placement demo: where would each flavor land on each host, and why not.

Pure like the rest of `tessera.numa`: it takes plain data (hosts and flavors as loaded
from YAML) and returns text; reading files and printing is `tessera.cmd.numa`'s job.

Hosts may use the compact form of `etc/hosts.yaml` (a `topology` block from which the
CPUs of each cell are generated); `expand_host` turns it into the codec form that
`tessera.numa.codec.host_from_dict` reads, and leaves a host in codec form unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tessera.numa.codec import host_from_dict
from tessera.numa.cpuspec import format_cpu_spec, parse_cpu_spec
from tessera.numa.constraints import build_request
from tessera.numa.errors import InvalidRequest
from tessera.numa.fit import Strategy, fit
from tessera.numa.host import SMALL_PAGE_KB, Host, HostCell
from tessera.numa.placement import NoFit, Placement
from tessera.numa.request import GuestRequest

_UNITS = {"K": 1, "KB": 1, "KIB": 1, "M": 1024, "MB": 1024, "MIB": 1024,
          "G": 1048576, "GB": 1048576, "GIB": 1048576}


def parse_size_kb(value: int | str) -> int:
    """`2M`, `1G`, `4K` or a number of KiB."""
    text = str(value).strip().upper()
    for unit in sorted(_UNITS, key=len, reverse=True):
        if text.endswith(unit):
            return int(text[: -len(unit)]) * _UNITS[unit]
    return int(text)


def format_size_kb(kb: int) -> str:
    for unit, mul in (("G", 1048576), ("M", 1024)):
        if kb >= mul and kb % mul == 0:
            return "%d%s" % (kb // mul, unit)
    return "%dK" % kb


def parse_cpus(value: str | int | Iterable[int]) -> list[int]:
    """A CPU list as a CPU spec (`"0-3,8"`), a single int or a list of ints."""
    if isinstance(value, int):
        return [value]
    if isinstance(value, str):
        return sorted(parse_cpu_spec(value))
    return [int(x) for x in value]


def format_cpus(cpus: Iterable[int]) -> str:
    """`[0, 1, 2, 3, 8]` -> `"0-3,8"`; `-` for none."""
    return format_cpu_spec(cpus) or "-"


def _pci_devices(groups: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Expand `{count, address, ...}` into `count` devices with consecutive functions."""
    out = []
    for g in groups:
        count = int(g.get("count", 1))
        base = str(g["address"])
        domain_bus, _, devfn = base.rpartition(":")
        dev, _, fn = devfn.partition(".")
        slot = int(dev, 16) * 8 + int(fn or "0")
        fields = {k: str(v) if k.endswith("_id") else v
                  for k, v in g.items() if k not in ("count", "address")}
        for n in range(count):
            s = slot + n
            addr = "%s:%02x.%d" % (domain_bus, s // 8, s % 8)
            out.append({"address": addr, **fields})
    return out


def _expand_cell(cell: Mapping[str, Any], index: int, topo: Mapping[str, Any]) -> dict:
    ncells = int(topo["cells"])
    cores = int(topo["cores"])
    threads = int(topo.get("threads", 1))
    shared_cores = int(topo.get("shared_cores", 1))
    cid = int(cell.get("id", index))
    first = cid * cores
    siblings = [[first + i + t * ncells * cores for t in range(threads)]
                for i in range(cores)]
    shared = [c for core in siblings[:shared_cores] for c in core]
    dedicated = [c for core in siblings[shared_cores:] for c in core]
    memory_mb = int(cell["memory_mb"])
    used_mb = int(cell.get("memory_used_mb", 0))
    huge = {parse_size_kb(k): int(v) for k, v in (cell.get("hugepages") or {}).items()}
    huge_used = {parse_size_kb(k): int(v)
                 for k, v in (cell.get("hugepages_used") or {}).items()}
    huge_kb = sum(size * n for size, n in huge.items())
    huge_used_kb = sum(size * n for size, n in huge_used.items())
    small_used = max(0, used_mb * 1024 - huge_used_kb) // SMALL_PAGE_KB
    pages = [{"size_kb": SMALL_PAGE_KB, "total": (memory_mb * 1024 - huge_kb) // SMALL_PAGE_KB,
              "used": small_used, "reserved": 0}]
    pages += [{"size_kb": size, "total": n, "used": huge_used.get(size, 0), "reserved": 0}
              for size, n in sorted(huge.items())]
    return {"id": cid, "socket": int(cell.get("socket", cid)), "siblings": siblings,
            "dedicated": dedicated, "shared": shared, "memory_mb": memory_mb,
            "pages": pages, "pinned": parse_cpus(cell.get("pinned", [])),
            "shared_vcpus_used": int(cell.get("shared_vcpus_used", 0)),
            "memory_used_mb": used_mb, "pci": _pci_devices(cell.get("pci", ()))}


def expand_host(data: Mapping[str, Any]) -> dict[str, Any]:
    """The codec form of a host given in the compact form (or already in codec form)."""
    topo = data.get("topology")
    if topo is None:
        return dict(data)
    out = {k: v for k, v in data.items() if k not in ("topology", "cells", "description")}
    out["cells"] = [_expand_cell(c, i, topo) for i, c in enumerate(data["cells"])]
    if "pci" in data:
        out["pci"] = _pci_devices(data["pci"])
    return out


def load_host(data: Mapping[str, Any]) -> Host:
    return host_from_dict(expand_host(data))


def flavor_request(flavor: Mapping[str, Any]) -> GuestRequest:
    """Build a request from a demo flavor: the flavor fields plus optional
    `image_properties` and `pci_requests`."""
    image = {"properties": dict(flavor.get("image_properties") or {})}
    return build_request(flavor, image, tuple(flavor.get("pci_requests") or ()))


def describe_placement(p: Placement) -> list[str]:
    """Readable lines for a placement: one per guest cell, then emulator and PCI."""
    lines = []
    if not p.cells:
        lines.append("floating: %d vCPUs on the shared CPUs, %d MB"
                     % (p.floating_vcpus, p.memory_mb))
    for c in p.cells:
        parts = ["guest cell %d -> host cell %d" % (c.guest_cell, c.host_cell)]
        if c.pins:
            parts.append("vCPUs %s pinned to pCPUs %s"
                         % (format_cpus(c.pins), format_cpus(c.pins.values())))
        if c.floating:
            parts.append("vCPUs %s floating" % format_cpus(c.floating))
        page = "%s pages" % format_size_kb(c.page_size_kb)
        parts.append("%d MB on %s" % (c.memory_mb, page))
        if c.reserved:
            parts.append("siblings kept idle %s" % format_cpus(c.reserved))
        lines.append(", ".join(parts))
        if c.pins:
            lines.append("  pins: " + " ".join("%d:%d" % vp for vp in sorted(c.pins.items())))
    if p.emulator_pins:
        lines.append("emulator threads on pCPUs %s" % format_cpus(p.emulator_pins))
    if p.pci:
        lines.append("PCI: " + ", ".join(p.pci))
    return lines


def describe_nofit(n: NoFit) -> list[str]:
    return [str(r) for r in n.reasons] or [n.reason]


def _flavor_line(flavor: Mapping[str, Any]) -> str:
    specs = " ".join("%s=%s" % kv for kv in (flavor.get("extra_specs") or {}).items())
    props = " ".join("%s=%s" % kv for kv in (flavor.get("image_properties") or {}).items())
    pci = ", ".join("%sx %s:%s%s" % (r.get("count", 1), r.get("vendor_id", "*"),
                                     r.get("product_id", "*"),
                                     " on " + r["physnet"] if r.get("physnet") else "")
                    for r in flavor.get("pci_requests") or ())
    out = "%s: %d vCPUs, %d MB" % (flavor.get("name", "?"), int(flavor["vcpus"]),
                                   int(flavor["memory_mb"]))
    for label, text in (("", specs), ("image ", props), ("PCI ", pci)):
        if text:
            out += "\n    %s%s" % (label, text)
    return out


def _cell_line(host: Host, cell: HostCell) -> str:
    parts = ["cell %d (socket %s): CPUs %s, shared %s" % (
        cell.id, cell.socket, format_cpus(cell.cpus), format_cpus(cell.shared))]
    if cell.pinned:
        parts.append("pinned %s" % format_cpus(cell.pinned))
    parts.append("%d/%d MB used" % (cell.memory_used_mb, cell.memory_mb))
    huge = ["%s %d/%d free" % (format_size_kb(p.size_kb), p.free, p.total)
            for p in cell.pages if p.size_kb != SMALL_PAGE_KB and p.total]
    if huge:
        parts.append("pages " + ", ".join(huge))
    devices = [d for d in host.pci if d.numa_node == cell.id]
    if devices:
        parts.append("%d PCI devices (%s)" % (len(devices), ", ".join(
            sorted({d.physnet or d.product_id for d in devices}))))
    return "; ".join(parts)


def report(hosts: Sequence[Host], flavors: Sequence[Mapping[str, Any]],
           strategy: Strategy = Strategy.SPREAD) -> str:
    """Every flavor against every host, then a fit matrix."""
    out = ["Hosts:"]
    for h in hosts:
        out.append("  %s: %d cells%s, allocation ratios cpu %g ram %g"
                   % (h.name, len(h.cells), ", SMT" if h.has_smt else "",
                      h.cpu_allocation_ratio, h.ram_allocation_ratio))
        out += ["    " + _cell_line(h, c) for c in h.cells]
    matrix: list[tuple[str, list[str]]] = []
    for flavor in flavors:
        name = str(flavor.get("name", "?"))
        out += ["", "== " + _flavor_line(flavor)]
        try:
            request = flavor_request(flavor)
        except InvalidRequest as e:
            out.append("  invalid request: %s" % e)
            matrix.append((name, ["invalid"] * len(hosts)))
            continue
        row = []
        for host in hosts:
            result = fit(host, request, strategy)
            if isinstance(result, Placement):
                out.append("  FITS %s" % host.name)
                out += ["      " + line for line in describe_placement(result)]
                row.append("fits")
            else:
                out.append("  no   %s" % host.name)
                out += ["      " + line for line in describe_nofit(result)]
                row.append("-")
        matrix.append((name, row))
    out += ["", "Strategy: %s." % strategy.value, _matrix(hosts, matrix)]
    return "\n".join(out)


def _matrix(hosts: Sequence[Host], rows: list[tuple[str, list[str]]]) -> str:
    names = [h.name for h in hosts]
    first = max([len("flavor")] + [len(r[0]) for r in rows])
    widths = [max(len(n), 7) for n in names]

    def line(cols: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cols, [first] + widths))

    out = ["Summary:", line(["flavor"] + names)]
    out += [line([name] + row) for name, row in rows]
    return "\n".join(l.rstrip() for l in out)
