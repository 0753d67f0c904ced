"""tessera.service and tessera.periodic: lifecycle, periodic tasks, signals."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import oslo_messaging
import pytest

from tessera import conf, rpc
from tessera.context import get_admin_context
from tessera.periodic import PeriodicRunner, PeriodicTask
from tessera.service import Service, run_services

WAIT = 2.0


class Ticker:
    """Counts its runs; raises on the runs listed in `fail_on`."""

    def __init__(self, until: int, fail_on: tuple[int, ...] = ()) -> None:
        self.count = 0
        self.fail_on = fail_on
        self.reached = threading.Event()
        self.until = until

    def __call__(self) -> None:
        self.count += 1
        if self.count >= self.until:
            self.reached.set()
        if self.count in self.fail_on:
            raise RuntimeError("tick %d failed" % self.count)


class PingEndpoint:
    target = oslo_messaging.Target(version="1.0")

    def ping(self, ctxt: object) -> str:
        return "pong"


class PingAPI(rpc.RPCClientBase):
    TOPIC = "test-service-ping"


@pytest.fixture
def transport() -> Iterator[oslo_messaging.Transport]:
    c = conf.make_conf()
    c.set_override("host", "svc-host")
    transport = oslo_messaging.get_rpc_transport(c, "fake://")
    yield transport
    transport.cleanup()


def test_periodic_task_runs_repeatedly_and_stops() -> None:
    ticker = Ticker(until=3)
    runner = PeriodicRunner(PeriodicTask(ticker, interval=0.01))
    runner.start()
    assert ticker.reached.wait(WAIT)
    runner.stop(WAIT)
    assert not runner.running
    count = ticker.count
    time.sleep(0.05)
    assert ticker.count == count


def test_failing_periodic_task_keeps_running(caplog: pytest.LogCaptureFixture) -> None:
    ticker = Ticker(until=4, fail_on=(1, 2))
    runner = PeriodicRunner(PeriodicTask(ticker, interval=0.01))
    runner.start()
    try:
        assert ticker.reached.wait(WAIT)
    finally:
        runner.stop(WAIT)
    assert "tick 1 failed" in caplog.text


def test_initial_delay_postpones_the_first_run() -> None:
    ticker = Ticker(until=1)
    runner = PeriodicRunner(PeriodicTask(ticker, interval=0.01, initial_delay=5))
    runner.start()
    runner.stop(WAIT)
    assert ticker.count == 0 and not runner.running


@pytest.mark.parametrize("interval", [0, -1])
def test_interval_must_be_positive(interval: float) -> None:
    with pytest.raises(ValueError):
        PeriodicTask(lambda: None, interval=interval)


def test_task_name_defaults_to_the_function() -> None:
    assert PeriodicTask(test_task_name_defaults_to_the_function, 1).name.endswith(
        "test_task_name_defaults_to_the_function")


def test_service_serves_rpc_and_runs_periodic_tasks(transport: oslo_messaging.Transport) -> None:
    ticker = Ticker(until=2)
    service = Service(transport, PingAPI.TOPIC, [PingEndpoint()])
    service.add_periodic_task(ticker, interval=0.01)
    assert service.host == "svc-host"
    with service:
        api = PingAPI(transport)
        assert api.prepare(server="svc-host").call(get_admin_context(), "ping", timeout=WAIT) == "pong"
        assert ticker.reached.wait(WAIT)
        with pytest.raises(RuntimeError):
            service.start()
    assert service.wait(0)
    count = ticker.count
    with pytest.raises(oslo_messaging.MessagingTimeout):
        api.call(get_admin_context(), "ping", timeout=0.1)
    assert ticker.count == count


def test_service_without_topic_runs_only_periodic_tasks(
    transport: oslo_messaging.Transport,
) -> None:
    ticker = Ticker(until=1)
    with Service(transport, None, periodic_tasks=[PeriodicTask(ticker, 0.01)], host="h") as svc:
        assert ticker.reached.wait(WAIT)
        assert not svc.wait(0)
    assert svc.wait(0)


def test_run_services_stops_on_event(transport: oslo_messaging.Transport) -> None:
    tickers = [Ticker(until=1), Ticker(until=1)]
    services = [Service(transport, None, periodic_tasks=[PeriodicTask(t, 0.01)], host="h%d" % i)
                for i, t in enumerate(tickers)]
    stop = threading.Event()
    runner = threading.Thread(target=run_services, args=(services, stop))
    runner.start()
    assert all(t.reached.wait(WAIT) for t in tickers)
    stop.set()
    runner.join(WAIT)
    assert not runner.is_alive()
    assert all(s.wait(0) for s in services)


def test_run_services_stops_on_sigterm(transport: oslo_messaging.Transport) -> None:
    ticker = Ticker(until=1)
    service = Service(transport, PingAPI.TOPIC, [PingEndpoint()],
                      periodic_tasks=[PeriodicTask(ticker, 0.01)])
    before = signal.getsignal(signal.SIGTERM)

    def _terminate() -> None:
        ticker.reached.wait(WAIT)
        os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=_terminate)
    killer.start()
    started = time.monotonic()
    run_services([service])
    killer.join()
    assert ticker.reached.is_set()
    assert time.monotonic() - started < 5
    assert service.wait(0)
    assert signal.getsignal(signal.SIGTERM) is before


def test_failed_start_stops_the_services_already_started(
    transport: oslo_messaging.Transport,
) -> None:
    ticker = Ticker(until=1)
    good = Service(transport, None, periodic_tasks=[PeriodicTask(ticker, 0.01)], host="a")
    bad = Service(transport, None, host="b")
    bad.start()
    try:
        already_stopped = threading.Event()
        already_stopped.set()
        with pytest.raises(RuntimeError, match="already started"):
            run_services([good, bad], already_stopped)
        assert good.wait(0)
    finally:
        bad.stop()
