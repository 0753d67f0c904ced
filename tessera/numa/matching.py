"""Minimum-cost assignment of guest cells to distinct host cells.

`assign(cost)` takes a rows x cols matrix (rows <= cols) whose entries are a cost or
None (not allowed) and returns, for each row, its column, minimising the total cost
among assignments that use only allowed entries; None when no such assignment exists.
It is the shortest-augmenting-path form of the Hungarian method with potentials:
O(rows^2 * cols) time, no enumeration of permutations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def assign(cost: Sequence[Sequence[float | None]]) -> list[int] | None:
    n = len(cost)
    if n == 0:
        return []
    m = len(cost[0])
    if n > m:
        return None
    inf = math.inf
    u = [0.0] * (n + 1)
    v = [0.0] * (m + 1)
    row_of = [0] * (m + 1)          # column j (1-based) -> row (1-based), 0 = free
    way = [0] * (m + 1)
    for i in range(1, n + 1):
        row_of[0] = i
        j0 = 0
        minv = [inf] * (m + 1)
        used = [False] * (m + 1)
        while True:
            used[j0] = True
            i0 = row_of[j0]
            costs = cost[i0 - 1]
            delta = inf
            j1 = -1
            ui0 = u[i0]
            for j in range(1, m + 1):
                if used[j]:
                    continue
                c = costs[j - 1]
                if c is not None:
                    cur = c - ui0 - v[j]
                    if cur < minv[j]:
                        minv[j] = cur
                        way[j] = j0
                if minv[j] < delta:
                    delta = minv[j]
                    j1 = j
            if j1 < 0 or delta == inf:
                return None
            for j in range(m + 1):
                if used[j]:
                    u[row_of[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if row_of[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            row_of[j0] = row_of[j1]
            j0 = j1
    out = [0] * n
    for j in range(1, m + 1):
        if row_of[j]:
            out[row_of[j] - 1] = j - 1
    return out
