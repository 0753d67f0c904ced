"""Host filters: the registry, and the enabled list built from configuration names.

Each built-in filter is one module with one check function. The registry lists them
cheapest first, and `load_filters` keeps that order whatever order the configuration
names them in, so the expensive NUMA fit only runs on hosts every cheap filter passed.
`IgnoreHostsFilter` and `ForcedHostsFilter` are always enabled: a rescheduled build
must never go back to a host that failed it, and a forced destination is a hard
restriction, whatever the filter list says.
"""

from __future__ import annotations

from collections.abc import Iterable

from tessera.scheduler.errors import UnknownFilter
from tessera.scheduler.filters.base import (DEFAULT_AVAILABILITY_ZONE, CheckFn, Filter,
                                            FilterContext, HostFilter, disk_mb,
                                            floating_vcpus, numa_answer,
                                            placement_for)
from tessera.scheduler.filters import (availability_zone, compute, different_host, disk,
                                       forced_hosts, ignore_hosts, image_properties,
                                       numa_topology, pci_passthrough, ram, same_host,
                                       vcpu)

REGISTRY: dict[str, Filter] = {f.name: f for f in (
    ignore_hosts.FILTER, forced_hosts.FILTER, compute.FILTER, availability_zone.FILTER,
    ram.FILTER, disk.FILTER, vcpu.FILTER, same_host.FILTER, different_host.FILTER,
    image_properties.FILTER, pci_passthrough.FILTER, numa_topology.FILTER)}

ALWAYS_ENABLED = ("IgnoreHostsFilter", "ForcedHostsFilter")

DEFAULT_FILTERS = (
    "ComputeFilter", "AvailabilityZoneFilter", "RamFilter", "DiskFilter", "VcpuFilter",
    "NUMATopologyFilter", "PciPassthroughFilter", "ImagePropertiesFilter",
    "SameHostFilter", "DifferentHostFilter")


def register(f: Filter, after: str | None = None) -> Filter:
    """Add a filter (a plugin) to the registry, after `after` in the cost order
    (default: last, after the NUMA filter)."""
    items = [(n, x) for n, x in REGISTRY.items() if n != f.name]
    at = len(items) if after is None else [n for n, _ in items].index(after) + 1
    items.insert(at, (f.name, f))
    REGISTRY.clear()
    REGISTRY.update(items)
    return f


def load_filters(names: Iterable[str] = DEFAULT_FILTERS) -> list[Filter]:
    """The enabled filters in the registry's (cost) order; raises UnknownFilter."""
    wanted = set(names)
    unknown = sorted(wanted - set(REGISTRY))
    if unknown:
        raise UnknownFilter(unknown, list(REGISTRY))
    wanted.update(ALWAYS_ENABLED)
    return [f for n, f in REGISTRY.items() if n in wanted]


__all__ = ["ALWAYS_ENABLED", "DEFAULT_AVAILABILITY_ZONE", "DEFAULT_FILTERS", "REGISTRY",
           "CheckFn", "Filter", "FilterContext", "HostFilter", "disk_mb", "floating_vcpus",
           "load_filters", "numa_answer", "placement_for", "register"]
