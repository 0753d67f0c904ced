"""The scheduler service: host states from every cell, and the RPC endpoint.

Host states are cached per compute node and read again only when the node's generation
in its cell database moves (every claim and report bumps it), so a decision over a
thousand hosts does not parse a thousand topologies. Between a decision and the
compute host's claim, the cached state already counts the chosen placement (as if
consumed), so back-to-back requests do not all pick the same pCPUs; the stored state
replaces it as soon as the host writes its claim.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import oslo_messaging
from sqlalchemy.exc import SQLAlchemyError

from tessera.db.api import queries as api_q
from tessera.db.cell import hosts as host_q
from tessera.numa.fit import Strategy
from tessera.objects import CellMapping, HostState, RequestSpec, SchedulingOutcome
from tessera.routing import CellRouter
from tessera.scheduler.errors import NoValidHost
from tessera.scheduler.filters import Filter
from tessera.scheduler.select import select_destinations
from tessera.scheduler.weighers import Weigher

LOG = logging.getLogger(__name__)
COMPUTE_BINARY = "tessera-compute"
SERVICES_TTL = 1.0


class HostStateCache:
    def __init__(self, router: CellRouter, service_down_time: float = 60.0) -> None:
        self.router = router
        self.service_down_time = service_down_time
        self._lock = threading.Lock()
        self._states: dict[str, HostState] = {}
        self._generation: dict[str, int] = {}
        self._mapped: dict[str, set[str]] = {}
        self._service_cache: dict[str, tuple[float, dict[str, Any] | None]] = {}

    def host_states(self, cell_uuid: str | None = None) -> list[HostState]:
        """The host states of every compute cell (or of one). A cell whose database
        fails while it is read is skipped, with a warning: its hosts are not
        candidates this time, and the other cells' still are."""
        cells = [c for c in self.router.compute_cells()
                 if cell_uuid is None or c.uuid == cell_uuid]
        out: list[HostState] = []
        limit = datetime.now(timezone.utc) - timedelta(seconds=self.service_down_time)
        for cell in cells:
            try:
                out.extend(self._cell_host_states(cell, limit))
            except SQLAlchemyError as exc:
                LOG.warning("skipping cell %s (%s) for this decision: %s", cell.name,
                            cell.uuid, str(exc).splitlines()[0] if str(exc) else exc)
        return out

    def _cell_host_states(self, cell: CellMapping, limit: datetime) -> list[HostState]:
        """One cell's host states: its mapped hosts' nodes, re-read where their
        generation moved, with their services' state as of `limit`."""
        out: list[HostState] = []
        mapped = self._mapped_hosts(cell.uuid)
        with self.router.cell_db(cell, readonly=True) as s:
            services = self._services(s, cell.uuid)
            generations = host_q.compute_node_generations(s)
            with self._lock:
                if any(h not in mapped for h, _ in generations.values()):
                    mapped = self._mapped_hosts(cell.uuid, refresh=True)
                stale = [u for u, (host, gen) in generations.items()
                         if host in mapped and self._generation.get(u) != gen]
            fresh = {n.uuid: n for n in host_q.get_compute_nodes(s, stale)}
        with self._lock:
            for uuid, (host, _gen) in generations.items():
                if host not in mapped:
                    continue
                svc = services.get(host)
                node = fresh.get(uuid)
                cached = self._states.get(uuid)
                if node is None and cached is None:
                    continue
                service = {"service_up": _is_up(svc, limit),
                           "service_disabled": bool(svc and svc.disabled),
                           "disabled_reason": svc.disabled_reason if svc else None}
                if node is None and all(getattr(cached, k) == v
                                        for k, v in service.items()):
                    # Unchanged: the same object, so what the selector derived from
                    # it last time (`tessera.scheduler.facts`) still applies.
                    out.append(cached)  # type: ignore[arg-type]
                    continue
                base = (HostState(compute_node=node, cell_uuid=cell.uuid)
                        if node is not None else cached)
                state = base.model_copy(update=service)  # type: ignore[union-attr]
                if node is not None:
                    self._generation[uuid] = node.generation
                self._states[uuid] = state
                out.append(state)
        return out

    def _services(self, session: Any, cell_uuid: str) -> dict[str, Any]:
        """Compute services by host, read at most once a second (their state only
        says up or down, enabled or not, at the scale of `service_down_time`)."""
        read_at, cached = self._service_cache.get(cell_uuid, (0.0, None))
        if cached is None or time.monotonic() - read_at > SERVICES_TTL:
            cached = {v.host: v for v in host_q.list_services(session,
                                                               binary=COMPUTE_BINARY)}
            self._service_cache[cell_uuid] = (time.monotonic(), cached)
        return cached

    def _mapped_hosts(self, cell_uuid: str, refresh: bool = False) -> set[str]:
        """The hosts mapped to a cell, read again when a compute node of an unknown
        host shows up (it may have been mapped since)."""
        cached = self._mapped.get(cell_uuid)
        if cached is None or refresh:
            with self.router.api(readonly=True) as s:
                cached = {m.host for m in api_q.list_host_mappings(s, cell_uuid)}
            self._mapped[cell_uuid] = cached
        return cached

    def consumed(self, states: Sequence[HostState]) -> None:
        """Remember the states a decision left behind, until the hosts write theirs."""
        with self._lock:
            for st in states:
                uuid = st.compute_node.uuid
                if self._generation.get(uuid) == st.compute_node.generation:
                    self._states[uuid] = st


def _is_up(svc, limit: datetime) -> bool:
    seen = svc.last_seen_up if svc else None
    if seen is not None and seen.tzinfo is None:
        seen = seen.replace(tzinfo=timezone.utc)
    return bool(svc and not svc.forced_down and seen and seen >= limit)


class SchedulerManager:
    target = oslo_messaging.Target(version="1.0")

    def __init__(self, router: CellRouter, filters: Sequence[Filter] | None = None,
                 weighers: Sequence[Weigher] | None = None,
                 strategy: Strategy = Strategy.SPREAD, max_attempts: int = 3,
                 service_down_time: float = 60.0) -> None:
        self.cache = HostStateCache(router, service_down_time)
        self.filters = filters
        self.weighers = weighers
        self.strategy = strategy
        self.max_attempts = max_attempts
        self._lock = threading.Lock()

    def select_destinations(self, ctxt: Any, spec: RequestSpec,
                            instance_uuids: list[str]) -> SchedulingOutcome:
        dest = spec.requested_destination
        with self._lock:  # decisions in turn, each on the usage the last one left
            hosts = self.cache.host_states(dest.cell_uuid if dest else None)
            try:
                result = select_destinations(
                    spec, hosts, instance_uuids, filters=self.filters,
                    weighers=self.weighers, strategy=self.strategy,
                    max_attempts=self.max_attempts)
            except NoValidHost as e:
                return SchedulingOutcome(error=str(e), rejections=e.rejections)
            self.cache.consumed(result.final_states)
        return SchedulingOutcome(selections=result.selections, rejections=result.rejections)
