"""DifferentHostFilter: hint `different_host=[uuid, ...]` keeps the guest away from
every host that runs one of those instances."""

from __future__ import annotations

from tessera.objects import HostState, RequestSpec
from tessera.scheduler.filters.base import FilterContext, HostFilter


def _check(host: HostState, spec: RequestSpec, ctx: FilterContext) -> str | None:
    avoid = spec.scheduler_hints.get("different_host") or []
    if not avoid or host.instance_uuids.isdisjoint(avoid):
        return None
    here = sorted(host.instance_uuids.intersection(avoid))
    return "different_host: instance%s %s run%s here" % (
        "s" if len(here) > 1 else "", ", ".join(here), "" if len(here) > 1 else "s")


FILTER = HostFilter("DifferentHostFilter", _check)
