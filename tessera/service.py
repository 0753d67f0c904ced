"""A Tessera service: one RPC server plus its periodic tasks, and a runner for several.

    with Service(transport, "compute", [ComputeEndpoint(...)], host="node1",
                 periodic_tasks=[PeriodicTask(tracker.report, interval=10)]):
        ...

`run_services([...])` is what the `tessera-*` commands and the all-in-one call: it
starts every service and stops them all, gracefully, on SIGINT or SIGTERM
(`stop_services` does the stopping for callers that manage their own lifetime).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterable, Sequence
from types import FrameType, TracebackType
from typing import Any, Self

import oslo_messaging

from tessera.periodic import PeriodicRunner, PeriodicTask
from tessera.rpc.transport import get_server

LOG = logging.getLogger(__name__)

_PERIODIC_STOP_TIMEOUT = 10.0


class Service:
    """Serves `endpoints` on `topic` as server `host`, and runs `periodic_tasks`.

    `topic=None` makes a service with periodic tasks only. `host` defaults to the
    `host` option of the transport's configuration.
    """

    def __init__(
        self,
        transport: oslo_messaging.Transport,
        topic: str | None,
        endpoints: Sequence[Any] = (),
        host: str | None = None,
        periodic_tasks: Iterable[PeriodicTask] = (),
        serializer: oslo_messaging.Serializer | None = None,
    ) -> None:
        self.transport = transport
        self.topic = topic
        self.endpoints = list(endpoints)
        self.host = host if host is not None else transport.conf.host
        self.periodic_tasks = list(periodic_tasks)
        self._serializer = serializer
        self._server: oslo_messaging.MessageHandlingServer | None = None
        self._runners: list[PeriodicRunner] = []
        self._running = False
        self._stopped = threading.Event()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "<Service %s@%s>" % (self.topic or "-", self.host)

    def add_periodic_task(
        self, func: Callable[[], object], interval: float, initial_delay: float = 0.0
    ) -> None:
        """Run `func` every `interval` seconds once the service starts."""
        self.periodic_tasks.append(PeriodicTask(func, interval, initial_delay))

    def start(self) -> None:
        """Start listening on the topic and running the periodic tasks."""
        with self._lock:
            if self._running:
                raise RuntimeError("%r is already started" % self)
            self._stopped.clear()
            if self.topic is not None:
                server = get_server(
                    self.transport, self.topic, self.host, self.endpoints, self._serializer
                )
                server.start()
                self._server = server
            self._running = True
            self._runners = [PeriodicRunner(task) for task in self.periodic_tasks]
            for runner in self._runners:
                runner.start()
        LOG.info("%r started", self)

    def stop(self) -> None:
        """Stop taking messages, finish the ones in progress, then stop periodic tasks."""
        self._stop_listening()
        self._finish_stop()

    def _stop_listening(self) -> None:
        with self._lock:
            if self._server is not None:
                self._server.stop()

    def _finish_stop(self) -> None:
        """Wait for in-flight messages (up to about a second of thread-pool idle time
        in oslo.messaging), then stop the periodic tasks."""
        with self._lock:
            server, self._server = self._server, None
            runners, self._runners = self._runners, []
            if server is not None:
                server.wait()
            for runner in runners:
                runner.stop(_PERIODIC_STOP_TIMEOUT)
            was_running, self._running = self._running, False
            self._stopped.set()
        if was_running:
            LOG.info("%r stopped", self)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the service is stopped; False if `timeout` passed first."""
        return self._stopped.wait(timeout)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def run_services(
    services: Sequence[Service], stop_event: threading.Event | None = None
) -> None:
    """Start `services`, block until SIGINT/SIGTERM (or `stop_event`), stop them all.

    Signal handlers are installed only when called from the main thread and restored
    on return. A service that fails to start stops those already started and the
    error propagates.
    """
    stop_event = stop_event if stop_event is not None else threading.Event()
    started: list[Service] = []
    previous: dict[int, Any] = {}

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        LOG.info("received %s, stopping", signal.Signals(signum).name)
        stop_event.set()

    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, _on_signal)
    try:
        for service in services:
            service.start()
            started.append(service)
        while not stop_event.wait(0.5):
            pass
    finally:
        stop_services(list(reversed(started)))
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def stop_services(services: Sequence[Service]) -> None:
    """Stop every service. All RPC servers stop listening first, then all finish in
    parallel, so the graceful waits (about a second each) overlap instead of adding up."""
    for service in services:
        _quietly(service._stop_listening, service)
    threads = [
        threading.Thread(target=_quietly, args=(service._finish_stop, service),
                         name="stop:%r" % service)
        for service in services
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _quietly(step: Callable[[], None], service: Service) -> None:
    try:
        step()
    except Exception:
        LOG.exception("failed to stop %r", service)
