"""Address management of a subnet, pure: checking a CIDR and gateway, the default
allocation pool, and the next free address of the pools."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from tessera.network import errors
from tessera.network.types import AllocationPool

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_cidr(cidr: str, ip_version: int) -> Network:
    try:
        net = ipaddress.ip_network(cidr, strict=True)
    except ValueError:
        raise errors.InvalidInput("Invalid input for cidr. Reason: '%s' is not a valid "
                                  "IP subnet." % cidr) from None
    if net.version != ip_version:
        raise errors.InvalidInput("Cidr %s does not match ip_version %d."
                                  % (cidr, ip_version))
    if net.num_addresses < 4 and net.version == 4:
        raise errors.InvalidInput("Subnet %s is too small: no address to allocate." % cidr)
    return net


def address(text: str, net: Network, what: str = "IP address") -> Address:
    try:
        value = ipaddress.ip_address(text)
    except ValueError:
        raise errors.InvalidInput("Invalid %s '%s'." % (what, text)) from None
    if value not in net:
        raise errors.InvalidInput("%s %s is not in subnet %s." % (what, text, net))
    return value


def _usable(net: Network) -> tuple[Address, Address]:
    """First and last address a host may get (not the network or broadcast address)."""
    first = net.network_address + 1
    last = net.broadcast_address - 1 if net.version == 4 else net.broadcast_address
    return first, last


def default_gateway(net: Network) -> str:
    return str(_usable(net)[0])


def default_pools(net: Network, gateway: str | None) -> list[AllocationPool]:
    """The usable range without the gateway (one or two pools)."""
    first, last = _usable(net)
    if gateway is None:
        return [AllocationPool(start=str(first), end=str(last))]
    gw = ipaddress.ip_address(gateway)
    pools = []
    if first < gw:
        pools.append(AllocationPool(start=str(first), end=str(gw - 1)))
    if gw < last:
        pools.append(AllocationPool(start=str(gw + 1), end=str(last)))
    return pools


def check_pools(net: Network, pools: Sequence[AllocationPool],
                gateway: str | None) -> None:
    first, last = _usable(net)
    for pool in pools:
        start, end = address(pool.start, net), address(pool.end, net)
        if start > end or start < first or end > last:
            raise errors.InvalidInput("Invalid allocation pool %s-%s for subnet %s."
                                      % (pool.start, pool.end, net))
        if gateway is not None and start <= ipaddress.ip_address(gateway) <= end:
            raise errors.InvalidInput("Gateway ip %s conflicts with allocation pool "
                                      "%s-%s." % (gateway, pool.start, pool.end))


def in_pools(value: Address, pools: Iterable[AllocationPool]) -> bool:
    return any(ipaddress.ip_address(p.start) <= value <= ipaddress.ip_address(p.end)
               for p in pools)


def next_free(pools: Sequence[AllocationPool], taken: Iterable[str]) -> str | None:
    """The lowest address of the pools not in `taken`, or None."""
    used = {ipaddress.ip_address(t) for t in taken}
    for pool in pools:
        value, end = ipaddress.ip_address(pool.start), ipaddress.ip_address(pool.end)
        while value <= end:
            if value not in used:
                return str(value)
            value += 1
    return None
