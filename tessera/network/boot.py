"""What the Compute API asks of the networking service for servers: the create body's
`networks` checked and resolved before anything is stored (Nova's faults: an unknown
network or port is a 400, a port in use or an ambiguous `auto` a 409, a vhost-user
network for a guest without huge pages a 400), and the `addresses` a server shows."""

from __future__ import annotations

import re
from dataclasses import replace
from collections.abc import Sequence
from typing import Any

from tessera.api import errors as api_errors
from tessera.network import allocate, errors
from tessera.network import security_groups as groups
from tessera.network.allocate import RequestedNetwork
from tessera.numa import errors as numa_errors
from tessera.numa.constraints import build_request
from tessera.objects import Flavor, ImageMeta, Instance


def _requests(networks: Any) -> list[RequestedNetwork] | str | None:
    """The body's `networks` (`none`, `auto`, absent, or a list of NetworkRequest)."""
    if networks is None or isinstance(networks, str):
        return networks
    return [RequestedNetwork(network_id=n.uuid, port_id=n.port, fixed_ip=n.fixed_ip,
                             tag=n.tag) for n in networks]


def plan(cloud: Any, context: Any, networks: Any, flavor: Flavor, image: ImageMeta,
         count: int, security_groups: Sequence[dict[str, str]] | None = None,
         ) -> list[RequestedNetwork]:
    """The checked network requests of a server create (faults as Nova raises them);
    ports made on a network get the `security_groups` named (else `default`)."""
    try:
        with cloud.router.api(readonly=True) as session:
            requests = allocate.resolve(session, context.project_id, context.is_admin,
                                        _requests(networks), count)
            names = [str(g.get("name")) for g in security_groups or () if g.get("name")]
            if names and names != ["default"]:
                ids = tuple(groups.resolve(session, context.project_id, names))
                requests = [r if r.port_id else replace(r, security_group_ids=ids)
                            for r in requests]
            if requests:
                try:
                    guest = build_request(flavor.as_numa_flavor(), image.as_numa_image())
                except numa_errors.InvalidRequest:
                    return requests  # the create refuses the flavor/image itself
                allocate.check_memory(session, requests, guest)
    except errors.NotFound as exc:
        raise api_errors.BadRequest(str(exc)) from None
    except errors.Conflict as exc:
        raise api_errors.Conflict(str(exc)) from None
    except errors.InvalidInput as exc:
        raise api_errors.BadRequest(str(exc)) from None
    return requests


def addresses(inst: Instance) -> dict[str, list[dict[str, Any]]]:
    """Nova's `addresses`: {network name: [{version, addr, OS-EXT-IPS:type,
    OS-EXT-IPS-MAC:mac_addr}]}, ports in order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for vif in inst.vifs:
        entries = out.setdefault(vif.network_name or vif.network_id, [])
        entries += [{"version": a.version, "addr": a.address, "OS-EXT-IPS:type": "fixed",
                     "OS-EXT-IPS-MAC:mac_addr": vif.mac_address} for a in vif.addresses]
    return out


def with_address(servers: Sequence[Instance], pattern: str,
                 version: int) -> list[Instance]:
    """The servers with an IPv`version` address matching the regular expression
    (Nova's `ip` and `ip6` filters)."""
    try:
        regex = re.compile(pattern)
    except re.error:
        raise api_errors.BadRequest("Invalid regular expression for an address filter: "
                                    "%s" % pattern) from None
    return [i for i in servers if any(regex.search(a.address) for vif in i.vifs
                                      for a in vif.addresses if a.version == version)]
