"""The scheduler's decision logic: filters, weighers and the selection of hosts.

Pure over objects (RequestSpec, HostState in; Selections, Rejections out): no
database, no RPC. The scheduler service (host manager, RPC endpoint) wraps it.

Public surface:
- `select_destinations(spec, hosts, instance_uuids, *, filters, weighers, strategy,
  max_attempts, fast) -> SchedulingResult`, raising `NoValidHost` with every rejection
  (`fast=False`: the straightforward path, same outcome);
- `explain(spec, hosts, filters) -> list[Rejection]`, a dry run;
- `consume(host, spec, placement, instance_uuid) -> HostState`;
- `load_filters(names)`, `load_weighers(names, options)` and their registries;
- `Filter`, `FilterContext`, `HostFilter`, `Weigher`, `HostWeigher` for plugins.
"""

from tessera.numa.fit import Strategy
from tessera.scheduler.errors import NoValidHost, UnknownFilter, UnknownWeigher
from tessera.scheduler.filters import (DEFAULT_FILTERS, Filter, FilterContext, HostFilter,
                                       load_filters)
from tessera.scheduler.select import SchedulingResult, consume, explain, select_destinations
from tessera.scheduler.weighers import (DEFAULT_WEIGHERS, HostWeigher, Weigher,
                                        load_weighers)

__all__ = [
    "DEFAULT_FILTERS", "DEFAULT_WEIGHERS", "Filter", "FilterContext", "HostFilter",
    "HostWeigher", "NoValidHost", "SchedulingResult", "Strategy", "UnknownFilter",
    "UnknownWeigher", "Weigher", "consume", "explain", "load_filters", "load_weighers",
    "select_destinations",
]
