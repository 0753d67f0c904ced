"""The explain, capacity and topology views of a running cloud: where host states,
filters, flavors and instances come from (the API process reads the same databases the
scheduler does, with its own `HostStateCache`).

Errors are named for what went wrong (`UnknownFlavor`, `UnknownServer`); the API edge
turns them into 404/400.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from tessera.compute.api import CloudAPI, InstanceNotFound
from tessera.db import errors as db_errors
from tessera.explain.capacity import capacity
from tessera.explain.topology import host_topology
from tessera.explain.why import dry_run, recorded, summary
from tessera.numa.fit import Strategy
from tessera.objects import Flavor, HostState, ImageMeta, RequestSpec
from tessera.scheduler.filters import DEFAULT_FILTERS, Filter, load_filters
from tessera.scheduler.manager import HostStateCache


class UnknownFlavor(LookupError):
    """No flavor has this id or name."""


class UnknownServer(LookupError):
    """No server (or no request spec for it) has this id."""


class UnknownHost(LookupError):
    """No compute node has this host or hypervisor name."""


class CloudView:
    """Host states, the scheduler's filters and strategy, and the cloud's instances.

    Filters, strategy and `service_down_time` come from the cloud's configuration
    (`[scheduler] enabled_filters`, `placement_strategy`, `[compute]
    service_down_time`) when it has one, else the scheduler's defaults, so a dry run
    judges hosts as the scheduler would.
    """

    def __init__(self, cloud: CloudAPI, filters: Sequence[Filter] | None = None,
                 strategy: Strategy | None = None) -> None:
        conf = getattr(cloud.router, "conf", None)
        self.cloud = cloud
        self.filters = list(filters) if filters is not None else load_filters(
            _opt(conf, "scheduler", "enabled_filters", None) or DEFAULT_FILTERS)
        self.strategy = strategy or Strategy(
            _opt(conf, "scheduler", "placement_strategy", Strategy.SPREAD.value))
        self.cache = HostStateCache(cloud.router,
                                    _opt(conf, "compute", "service_down_time", 60.0))

    def host_states(self) -> list[HostState]:
        return sorted(self.cache.host_states(), key=lambda h: (h.host, h.nodename))

    def spec_for(self, flavor_ref: str, image_ref: str | None = None) -> RequestSpec:
        """A spec for one guest of a flavor (id or name) and image (id or name);
        raises UnknownFlavor, or InvalidRequest when they ask for something invalid."""
        return RequestSpec.build("dry-run", self.flavor(flavor_ref), _image(image_ref))

    def flavor(self, ref: str) -> Flavor:
        try:
            return self.cloud.find_flavor(ref)
        except db_errors.FlavorNotFound:
            raise UnknownFlavor(ref) from None

    # -- the views ---------------------------------------------------------------------

    def explain_spec(self, spec: RequestSpec) -> dict[str, Any]:
        verdicts = dry_run(spec, self.host_states(), self.filters, strategy=self.strategy)
        return {"flavor": spec.flavor.name, "image": spec.image.name or spec.image.id,
                "fits": [v.host for v in verdicts if v.fits],
                "hosts": [v.to_dict() for v in verdicts], "summary": summary(verdicts)}

    def explain_server(self, server_id: str) -> dict[str, Any]:
        """Why this server is where it is (or nowhere): what the scheduler recorded
        when it last placed it, and a fresh dry run of its request on today's hosts."""
        try:
            inst = self.cloud.get(server_id)
            spec = self.cloud.request_spec(server_id)
        except (InstanceNotFound, db_errors.NotFound):
            raise UnknownServer(server_id) from None
        fault = self.cloud.fault(server_id)
        return {
            "server": {"id": inst.uuid, "name": inst.display_name,
                       "vm_state": inst.vm_state.value, "host": inst.host,
                       "flavor": inst.flavor.name,
                       "fault": {"message": fault.message, "details": fault.details}
                       if fault else None},
            "recorded": recorded(spec.rejections),
            "retries": [{"host": a.host, "reason": a.reason} for a in spec.retry.attempts],
            "dry_run": self.explain_spec(spec)}

    def capacity(self, flavor_refs: Sequence[str], image_ref: str | None = None
                 ) -> list[dict[str, Any]]:
        hosts = self.host_states()
        specs = [self.spec_for(ref, image_ref) for ref in flavor_refs]
        return [capacity(s, hosts, self.filters, strategy=self.strategy).to_dict()
                for s in specs]

    def topology(self, host: str | None = None) -> list[dict[str, Any]]:
        """Every host's view (or the one named, by host or hypervisor name)."""
        nodes = [r.node for r in self.cloud.list_compute_nodes()]
        if host is not None:
            nodes = [n for n in nodes if host in (n.host, n.hypervisor_hostname)]
            if not nodes:
                raise UnknownHost(host)
        instances = self.cloud.list(None)
        return [host_topology(n, instances)
                for n in sorted(nodes, key=lambda n: (n.host, n.hypervisor_hostname))]


_VIEWS_LOCK = threading.Lock()


def view_of(holder: Any, cloud: CloudAPI) -> CloudView:
    """The `CloudView` kept on `holder` (an app's state), made on first use."""
    with _VIEWS_LOCK:
        view = getattr(holder, "tessera_view", None)
        if view is None or view.cloud is not cloud:
            view = CloudView(cloud)
            holder.tessera_view = view
        return view


def _image(ref: str | None) -> ImageMeta:
    if not ref:
        return ImageMeta()
    from tessera.api.compute.images import resolve_image
    return resolve_image(ref)


def _opt(conf: Any, group: str, name: str, default: Any) -> Any:
    try:
        return getattr(getattr(conf, group), name)
    except Exception:  # no such group or option (oslo.config's NoSuchOptError)
        return default
