"""RPC over a real RabbitMQ on 127.0.0.1:5672: round trips and virtual host isolation.

Needs RabbitMQ (guest/guest) and, for the virtual hosts, `rabbitmqctl`. Topics are
unique per run and their queues are deleted afterwards, so runs never see each other.
"""

from __future__ import annotations

import queue
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import oslo_messaging
import pytest

from tessera import conf, rpc
from tessera.context import RequestContext, get_admin_context
from tessera.service import Service, stop_services
from tests.support.rabbit import ensure_vhost

HOST, PORT = "127.0.0.1", 5672
VHOSTS = ("tessera-test-cell1", "tessera-test-cell2")
WAIT = 5.0
REGISTRY: dict[str, Any] = {}


def rabbit_url(vhost: str = "") -> str:
    return "rabbit://guest:guest@%s:%d/%s" % (HOST, PORT, vhost)


@dataclass(frozen=True)
class Parcel:
    """A minimal object following the tessera.objects primitive contract."""

    OBJ_NAME: ClassVar[str] = "TestRabbitParcel"
    label: str
    weight: int

    def to_primitive(self) -> dict[str, Any]:
        return {"tessera_object.name": self.OBJ_NAME, "tessera_object.version": "1.0",
                "tessera_object.data": asdict(self)}

    @classmethod
    def from_primitive(cls, primitive: dict[str, Any]) -> Parcel:
        return cls(**primitive["tessera_object.data"])


REGISTRY[Parcel.OBJ_NAME] = Parcel


class ParcelEndpoint:
    target = oslo_messaging.Target(version="1.0")

    def __init__(self, name: str) -> None:
        self.name = name
        self.received: queue.Queue[tuple[str, Parcel]] = queue.Queue()

    def weigh(self, ctxt: RequestContext, parcel: Parcel) -> dict[str, Any]:
        return {"server": self.name, "parcel": Parcel(parcel.label, parcel.weight * 2),
                "project_id": ctxt.project_id}

    def deliver(self, ctxt: RequestContext, parcel: Parcel) -> None:
        self.received.put((self.name, parcel))


def _rabbit_answers() -> bool:
    try:
        with socket.create_connection((HOST, PORT), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def topic() -> Iterator[str]:
    """A topic unique to this run; its queues are deleted afterwards."""
    name = "test-rpc-" + uuid.uuid4().hex[:8]
    yield name
    if _rabbit_answers():
        _delete_queues(name)
    # Closing a RabbitMQ transport that made calls waits up to 5 s for oslo.messaging's
    # reply consumer to wake up; let that happen while the suite goes on.
    urls = [rabbit_url(vhost) for vhost in ("", *VHOSTS)]
    threading.Thread(target=rpc.cleanup, args=urls, name="rabbit-cleanup", daemon=True).start()


@pytest.fixture
def rabbit(require_service: Callable[..., None]) -> Callable[..., None]:
    require_service("RabbitMQ", _rabbit_answers(), "nothing listens on %s:%d" % (HOST, PORT))
    return require_service


def _parcel_api(transport: oslo_messaging.Transport, topic: str, **kwargs: Any) -> Any:
    api_class = type("ParcelAPI", (rpc.RPCClientBase,), {"TOPIC": topic, "VERSION": "1.1"})
    return api_class(transport, timeout=WAIT, serializer=rpc.ObjectSerializer(REGISTRY), **kwargs)


def _start(transport: oslo_messaging.Transport, topic: str, name: str) -> tuple[Service, ParcelEndpoint]:
    endpoint = ParcelEndpoint(name)
    service = Service(transport, topic, [endpoint], host=name,
                      serializer=rpc.ObjectSerializer(REGISTRY))
    service.start()
    return service, endpoint


def test_call_and_cast_round_trip(rabbit: Callable[..., None], topic: str) -> None:
    transport = rpc.get_transport(rabbit_url(), conf.make_conf())
    service, endpoint = _start(transport, topic, "node-a")
    try:
        api = _parcel_api(transport, topic)
        ctxt = RequestContext(user_id="u", project_id="p1")
        assert api.call(ctxt, "weigh", parcel=Parcel("box", 21)) == {
            "server": "node-a", "parcel": Parcel("box", 42), "project_id": "p1"}
        api.prepare(server="node-a").cast(ctxt, "deliver", parcel=Parcel("letter", 1))
        assert endpoint.received.get(timeout=WAIT) == ("node-a", Parcel("letter", 1))
        with pytest.raises(oslo_messaging.UnsupportedVersion):
            api.call(ctxt, "weigh", version="1.1", parcel=Parcel("box", 1))
    finally:
        service.stop()


def test_virtual_hosts_never_see_each_others_messages(
    rabbit: Callable[..., None], topic: str
) -> None:
    for vhost in VHOSTS:
        ensure_vhost(vhost, rabbit)
    cell1 = rpc.get_transport(rabbit_url(VHOSTS[0]), conf.make_conf())
    cell2 = rpc.get_transport(rabbit_url(VHOSTS[1]), conf.make_conf())
    assert cell1 is not cell2
    service1, endpoint1 = _start(cell1, topic, "node-a")
    service2, endpoint2 = _start(cell2, topic, "node-b")
    try:
        ctxt = get_admin_context()
        _parcel_api(cell1, topic).cast(ctxt, "deliver", parcel=Parcel("for-cell1", 1))
        _parcel_api(cell2, topic).cast(ctxt, "deliver", parcel=Parcel("for-cell2", 2))
        assert endpoint1.received.get(timeout=WAIT) == ("node-a", Parcel("for-cell1", 1))
        assert endpoint2.received.get(timeout=WAIT) == ("node-b", Parcel("for-cell2", 2))
        assert _parcel_api(cell1, topic).call(ctxt, "weigh", parcel=Parcel("x", 1))["server"] == "node-a"
        assert _parcel_api(cell2, topic).call(ctxt, "weigh", parcel=Parcel("x", 1))["server"] == "node-b"
        with pytest.raises(oslo_messaging.MessagingTimeout):
            _parcel_api(cell1, topic, server="node-b").call(
                ctxt, "weigh", timeout=0.5, parcel=Parcel("lost", 0))
        assert endpoint1.received.empty() and endpoint2.received.empty()
    finally:
        stop_services([service1, service2])


def _delete_queues(topic: str) -> None:
    """Drop the run's topic queues (RabbitMQ keeps them after the servers leave)."""
    import kombu

    for vhost in ("", *VHOSTS):
        url = "amqp://guest:guest@%s:%d/%s" % (HOST, PORT, vhost)
        with kombu.Connection(url, connect_timeout=2) as connection:
            for name in (topic, topic + ".node-a", topic + ".node-b"):
                with connection.channel() as channel:
                    channel.queue_delete(name)
