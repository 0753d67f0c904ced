"""ForcedHostsFilter: only the host (node, cell) the request names, when it names one.

`force_hosts` / `force_nodes` come from an admin's `availability_zone=az:host:node`
at boot, `requested_destination` from a move with a target host (or a move kept to
its cell). Unlike Nova, a forced host still goes through every other filter: the
NUMA placement is computed by the filters, and a forced pinned guest that does not
fit must fail here with a reason, not double-book the host's pCPUs.
"""

from __future__ import annotations

from tessera.objects import HostState, RequestSpec
from tessera.scheduler.filters.base import FilterContext, HostFilter


def _check(host: HostState, spec: RequestSpec, ctx: FilterContext) -> str | None:
    if spec.force_hosts and host.host not in spec.force_hosts:
        return "the request is forced to host %s" % ", ".join(spec.force_hosts)
    if spec.force_nodes and host.nodename not in spec.force_nodes:
        return "the request is forced to node %s" % ", ".join(spec.force_nodes)
    dest = spec.requested_destination
    if dest is None:
        return None
    if dest.host and host.host != dest.host:
        return "the request names destination host %s" % dest.host
    if dest.node and host.nodename != dest.node:
        return "the request names destination node %s" % dest.node
    if dest.cell_uuid and host.cell_uuid != dest.cell_uuid:
        return "host is in cell %s, the request is kept to cell %s" % (
            host.cell_uuid, dest.cell_uuid)
    return None


FILTER = HostFilter("ForcedHostsFilter", _check)
