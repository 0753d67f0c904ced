"""Ask several cells the same question at once, and wait for each at most `timeout`
seconds (upstream's `scatter_gather_cells`).

A cell that raises or does not answer in time gives a `CellFailed` instead of a
result, so one dead cell costs the caller a bounded wait and never its answer from
the others. The calls run on a shared thread pool: a call stuck on a dead database is
abandoned, not waited for, and its thread frees itself when the driver gives up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TypeVar

from tessera.objects import CellMapping

LOG = logging.getLogger(__name__)
T = TypeVar("T")

CELL_TIMEOUT = 10.0
_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="tessera-cells")


@dataclass(frozen=True)
class CellFailed:
    """What a cell gave instead of a result: the error, or None for no answer."""

    cell: CellMapping
    error: BaseException | None = None

    def __str__(self) -> str:
        why = type(self.error).__name__ if self.error else "no answer in time"
        return "cell %s (%s): %s" % (self.cell.name, self.cell.uuid, why)


def scatter_gather(cells: Sequence[CellMapping], fn: Callable[[CellMapping], T],
                   timeout: float = CELL_TIMEOUT) -> dict[str, T | CellFailed]:
    """`fn(cell)` for every cell in parallel, by cell uuid."""
    futures: dict[str, tuple[CellMapping, Future[T]]] = {
        c.uuid: (c, _POOL.submit(fn, c)) for c in cells}
    wait([f for _, f in futures.values()], timeout=timeout)
    out: dict[str, T | CellFailed] = {}
    for uuid, (cell, future) in futures.items():
        if not future.done():
            future.cancel()
            out[uuid] = CellFailed(cell)
        elif future.exception() is not None:
            out[uuid] = CellFailed(cell, future.exception())
        else:
            out[uuid] = future.result()
        if isinstance(out[uuid], CellFailed):
            LOG.warning("%s", out[uuid])
    return out
