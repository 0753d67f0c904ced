"""SameHostFilter: hint `same_host=[uuid, ...]` puts the guest beside any of those
instances (Nova's rule: the host must run at least one of them)."""

from __future__ import annotations

from tessera.objects import HostState, RequestSpec
from tessera.scheduler.filters.base import FilterContext, HostFilter


def _check(host: HostState, spec: RequestSpec, ctx: FilterContext) -> str | None:
    wanted = spec.scheduler_hints.get("same_host") or []
    if not wanted or not host.instance_uuids.isdisjoint(wanted):
        return None
    where = sorted({ctx.hint_hosts[u] for u in wanted if u in ctx.hint_hosts})
    return "same_host: none of instances %s runs here (%s)" % (
        ", ".join(wanted), "they run on " + ", ".join(where) if where
        else "they run on no known host")


FILTER = HostFilter("SameHostFilter", _check)
