"""Hosts best first, read lazily, in the same order as the straightforward
ranking (`select_destinations(..., fast=False)`).

The weighing is the same arithmetic in the same order (each weigher's values
normalised to [0, 1] over the candidates, times its multiplier, summed weigher by
weigher), so totals are equal to the last bit. The built-in weighers' values come from
`facts.HostFacts`, computed once per host state; other weighers are called per host.
Instead of sorting every candidate, the hosts go into a heap and are taken off it only
as far as the caller reads: a decision usually needs the first few.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from operator import neg

from tessera.numa.fit import Strategy
from tessera.objects import RequestSpec
from tessera.scheduler.facts import BUILTIN_WEIGHERS, HostFacts
from tessera.scheduler.weighers import Weigher


def ranked(passed: list[int], facts: list[HostFacts], spec: RequestSpec,
           weighers: Sequence[Weigher], strategy: Strategy) -> Iterator[int]:
    """Host indices from `passed`, best first: highest total weight, then by host and
    node name, then by index."""
    sign = -1.0 if strategy is Strategy.PACK else 1.0
    n = len(passed)
    totals = [0.0] * n
    if n > 1:
        chosen = [facts[j] for j in passed]
        for w in weighers:
            m = w.multiplier * sign
            if not m:
                continue
            raw = _values(w, chosen, spec)
            lo, hi = min(raw), max(raw)
            if hi == lo:
                continue
            scale = m / (hi - lo)
            totals = [t + (v - lo) * scale for t, v in zip(totals, raw)]
    names = [facts[j].names for j in passed]  # (host, node name)
    heap = list(zip(map(neg, totals), names, passed))
    heapq.heapify(heap)
    while heap:
        yield heapq.heappop(heap)[2]


def _values(w: Weigher, chosen: list[HostFacts], spec: RequestSpec) -> list[float]:
    weigh = w.weigh
    for i, builtin in enumerate(BUILTIN_WEIGHERS):
        if weigh is builtin.weigh:
            return [f.weights[i] for f in chosen]
    return [weigh(f.state, spec) for f in chosen]
