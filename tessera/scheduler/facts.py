"""Per-host numbers the built-in cheap filters and weighers read, computed once per
host state.

A `HostState` is immutable: new usage (a consumed instance, a host's new report) is a
new object. So what a host can still give (RAM, disk, floating vCPUs), whether it
takes guests, its zone and its weigher values are computed once per state object and
kept, keyed by the object's identity, in a `FactsCache`; a decision over a thousand
hosts then reads a thousand small records instead of re-deriving them. Each value is
computed by the very function its filter or weigher uses, so the two cannot drift.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Sequence
from typing import Any

from tessera.objects import HostState
from tessera.scheduler.filters.availability_zone import zone_of
from tessera.scheduler.filters.compute import takes_guests
from tessera.scheduler.filters.disk import free_disk_mb
from tessera.scheduler.filters.ram import free_mb
from tessera.scheduler.filters.vcpu import free_vcpus
from tessera.scheduler.weighers import cpu, pinned_cpu, ram

MEMO_LIMIT = 64
TOKEN_LIMIT = 4096
CACHE_SLACK = 4096
BUILTIN_WEIGHERS = (ram.WEIGHER, cpu.WEIGHER, pinned_cpu.WEIGHER)


class HostFacts:
    """One host state's derived numbers. `memo` keeps filter answers that depend only
    on this state and a request key (see `prefilter`); it is bounded."""

    __slots__ = ("state", "host", "nodename", "names", "usable", "zone", "ram_free", "disk_free_mb",
                 "vcpu_free", "weights", "memo")

    def __init__(self, state: HostState) -> None:
        cn = state.compute_node
        self.state = state
        self.host = cn.host
        self.nodename = cn.hypervisor_hostname
        self.names = (self.host, self.nodename)
        self.usable = takes_guests(state)
        self.zone = zone_of(state)
        self.ram_free = free_mb(cn)
        self.disk_free_mb = free_disk_mb(cn)
        self.vcpu_free = free_vcpus(cn)
        # One value per BUILTIN_WEIGHERS entry: they read the host, never the request.
        self.weights = tuple(w.weigh(state, None)  # type: ignore[arg-type]
                             for w in BUILTIN_WEIGHERS)
        self.memo: dict[int, Any] = {}


_TOKENS: dict[Hashable, int] = {}
_NEXT_TOKEN = itertools.count()


def token(key: Hashable) -> int:
    """A small int standing for `key` (never reused for another key), so the per-host
    `memo` lookups hash an int rather than the key itself."""
    found = _TOKENS.get(key)
    if found is None:
        if len(_TOKENS) >= TOKEN_LIMIT:
            _TOKENS.clear()
        found = _TOKENS[key] = next(_NEXT_TOKEN)
    return found


class FactsCache:
    """`HostFacts` by host state identity, for the states of the latest decisions.

    Entries of states no longer passed in are dropped once the cache holds more than
    twice the latest host list plus `CACHE_SLACK`, so it stays about the size of the
    cloud, with room to spare (a decision over one cell's hosts seldom evicts the rest).
    Safe to share between threads: a race only computes a record twice.
    """

    def __init__(self) -> None:
        self._by_id: dict[int, HostFacts] = {}

    def facts(self, states: Sequence[HostState]) -> list[HostFacts]:
        by_id = self._by_id
        out = list(map(by_id.get, map(id, states)))
        for k, (f, h) in enumerate(zip(out, states)):
            if f is None or f.state is not h:
                out[k] = by_id[id(h)] = HostFacts(h)
        if len(by_id) > 2 * len(out) + CACHE_SLACK:
            self._by_id = {id(f.state): f for f in out}
        return out
