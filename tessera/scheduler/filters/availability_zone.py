"""AvailabilityZoneFilter: the host is in the availability zone the request asks for.

A host in no zone is in the default zone, `nova`, as with Nova's
`default_availability_zone`. A request without a zone passes everywhere.
"""

from __future__ import annotations

from tessera.objects import HostState, RequestSpec
from tessera.scheduler.filters.base import DEFAULT_AVAILABILITY_ZONE, FilterContext, HostFilter


def zone_of(host: HostState) -> str:
    """The host's availability zone, the default one when it is in none."""
    return host.availability_zone or DEFAULT_AVAILABILITY_ZONE


def _check(host: HostState, spec: RequestSpec, ctx: FilterContext) -> str | None:
    wanted = spec.availability_zone
    if not wanted:
        return None
    zone = zone_of(host)
    if zone != wanted:
        return "host is in availability zone %r, the request asks for %r" % (zone, wanted)
    return None


FILTER = HostFilter("AvailabilityZoneFilter", _check)
