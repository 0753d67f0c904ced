"""IgnoreHostsFilter: hosts this request must not use.

`spec.ignore_hosts` holds the hosts a move must leave (the source of a resize or an
evacuation); `spec.retry` the hosts where an earlier attempt of this build failed. A
rescheduled build never goes back to a host that failed it, so the reason quotes the
failure recorded with the attempt.
"""

from __future__ import annotations

from tessera.objects import HostState, RequestSpec
from tessera.scheduler.filters.base import FilterContext, HostFilter


def _check(host: HostState, spec: RequestSpec, ctx: FilterContext) -> str | None:
    if host.host in spec.ignore_hosts:
        return "host %s is in the request's ignore_hosts (the host a move leaves)" % host.host
    for attempt in spec.retry.attempts:
        if attempt.host == host.host and (attempt.node is None
                                          or attempt.node == host.nodename):
            return "an earlier attempt of this build failed here: %s" % attempt.reason
    return None


FILTER = HostFilter("IgnoreHostsFilter", _check)
