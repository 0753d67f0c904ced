"""ComputeFilter: the host's compute service is up and enabled.

A service is down when it has not reported within `service_down_time` (or was forced
down); the host manager decides that and sets `HostState.service_up`. A disabled
service takes no new guests; the operator's `disabled_reason` is quoted.
"""

from __future__ import annotations

from tessera.objects import HostState, RequestSpec
from tessera.scheduler.filters.base import FilterContext, HostFilter


def takes_guests(host: HostState) -> bool:
    """The host's compute service is up and enabled."""
    return bool(host.service_up and not host.service_disabled)


def _check(host: HostState, spec: RequestSpec, ctx: FilterContext) -> str | None:
    if not host.service_up:
        return "compute service on %s is down (no recent report)" % host.host
    if host.service_disabled:
        why = host.disabled_reason
        return "compute service on %s is disabled%s" % (
            host.host, " (%s)" % why if why else "")
    return None


FILTER = HostFilter("ComputeFilter", _check)
