"""PCI devices for a guest, under its NUMA affinity policy.

Given the host cells a guest was fitted to, each policy allows:
- required:  devices on those cells only.
- legacy:    those cells' devices; devices with no known NUMA node when not enough.
- socket:    those cells' devices; when not enough, devices on any cell of the same
             socket(s). Devices with no known node are refused.
- preferred: any device, affine ones first.
A guest without a NUMA topology takes any matching device. Devices already claimed are
never offered. Several requests are served in order, each from what the earlier left.
"""

from __future__ import annotations

from collections.abc import Iterable

from tessera.numa.host import Host, PciDevice
from tessera.numa.request import PciNumaPolicy, PciRequest


def matches(device: PciDevice, request: PciRequest) -> bool:
    return (not device.claimed
            and (request.vendor_id is None or device.vendor_id == request.vendor_id)
            and (request.product_id is None or device.product_id == request.product_id)
            and (request.physnet is None or device.physnet == request.physnet)
            and (request.dev_type is None or device.dev_type == request.dev_type))


def describe(request: PciRequest) -> str:
    what = "%s:%s" % (request.vendor_id or "*", request.product_id or "*")
    if request.physnet:
        what += " on %s" % request.physnet
    return what


def affine_count(host: Host, cell_id: int, requests: Iterable[PciRequest]) -> int:
    """Free devices on `cell_id` that match any of `requests`."""
    reqs = tuple(requests)
    return sum(1 for d in host.pci
               if d.numa_node == cell_id and any(matches(d, r) for r in reqs))


def _allowed(host: Host, cells: frozenset[int] | None, policy: PciNumaPolicy,
             request: PciRequest, taken: set[str]) -> list[PciDevice]:
    pool = [d for d in host.pci if d.address not in taken and matches(d, request)]
    if cells is None:
        return pool
    affine = [d for d in pool if d.numa_node in cells]
    if policy is PciNumaPolicy.REQUIRED or len(affine) >= request.count:
        return affine
    if policy is PciNumaPolicy.SOCKET:
        sockets = {host.socket_of(c) for c in cells} - {None}
        return affine + [d for d in pool if d.numa_node is not None
                         and d.numa_node not in cells
                         and host.socket_of(d.numa_node) in sockets]
    unknown = [d for d in pool if d.numa_node is None]
    if policy is PciNumaPolicy.LEGACY:
        return affine + unknown
    return affine + unknown + [d for d in pool if d.numa_node is not None
                               and d.numa_node not in cells]


def choose_devices(host: Host, cells: frozenset[int] | None, policy: PciNumaPolicy,
                   requests: Iterable[PciRequest]) -> tuple[tuple[str, ...], str]:
    """(addresses, "") or ((), why not) for all `requests` on `host`.

    `cells` are the host cells the guest was fitted to (None: no NUMA topology).
    """
    taken: set[str] = set()
    chosen: list[str] = []
    for request in requests:
        allowed = _allowed(host, cells, policy, request, taken)
        if len(allowed) < request.count:
            anywhere = sum(1 for d in host.pci if matches(d, request))
            if cells is None or not anywhere:
                return (), ("%d free %s device(s) on the host, needs %d"
                            % (anywhere, describe(request), request.count))
            return (), ("%d free %s device(s) for host cells %s under %s (%d on the "
                        "host), needs %d" % (len(allowed), describe(request),
                                             ",".join(map(str, sorted(cells))),
                                             policy.value, anywhere, request.count))
        for d in allowed[:request.count]:
            taken.add(d.address)
            chosen.append(d.address)
    return tuple(chosen), ""
