"""Periodic tasks: a callable run every `interval` seconds on its own daemon thread.

A task that raises is logged and run again at its next tick: one bad report must not
stop a compute host from reporting for good. Ticks are measured from the start of each
run, so a task that takes part of its interval does not drift.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicTask:
    """`func()` every `interval` seconds, the first run after `initial_delay`."""

    func: Callable[[], object]
    interval: float
    initial_delay: float = 0.0
    name: str = ""

    def __post_init__(self) -> None:
        if self.interval <= 0:
            raise ValueError("interval must be positive, not %r" % self.interval)
        if not self.name:
            object.__setattr__(self, "name", getattr(self.func, "__qualname__", repr(self.func)))


class PeriodicRunner:
    """Runs one `PeriodicTask` on a daemon thread until `stop()`."""

    def __init__(self, task: PeriodicTask) -> None:
        self.task = task
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name="periodic:%s" % task.name, daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop scheduling runs and wait up to `timeout` for a run in progress."""
        self._stopped.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _loop(self) -> None:
        delay = self.task.initial_delay
        while not self._stopped.wait(delay):
            started = time.monotonic()
            try:
                self.task.func()
            except Exception:
                LOG.exception("periodic task %s failed; it runs again in %ss",
                              self.task.name, self.task.interval)
            delay = max(0.0, self.task.interval - (time.monotonic() - started))
