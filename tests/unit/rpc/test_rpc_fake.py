"""RPC over the in-process fake:// transport: calls, casts, addressing, versions."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import oslo_messaging
import pytest

from tessera import conf, rpc
from tessera.context import RequestContext, get_admin_context
from tessera.service import Service, stop_services

TOPIC = "test-rpc-widgets"
OTHER_TOPIC = "test-rpc-gizmos"
WAIT = 2.0
REGISTRY: dict[str, Any] = {}


@dataclass(frozen=True)
class Widget:
    """A minimal object following the tessera.objects primitive contract."""

    OBJ_NAME: ClassVar[str] = "TestRpcWidget"
    name: str
    size: int

    def to_primitive(self) -> dict[str, Any]:
        return {"tessera_object.name": self.OBJ_NAME, "tessera_object.version": "1.0",
                "tessera_object.data": asdict(self)}

    @classmethod
    def from_primitive(cls, primitive: dict[str, Any]) -> Widget:
        return cls(**primitive["tessera_object.data"])


REGISTRY[Widget.OBJ_NAME] = Widget


class WidgetEndpoint:
    """Serves version 1.1 of the widget API; remembers the casts it receives."""

    target = oslo_messaging.Target(version="1.1")

    def __init__(self, name: str) -> None:
        self.name = name
        self.casts: queue.Queue[tuple[Any, Any]] = queue.Queue()

    def grow(self, ctxt: RequestContext, widget: Widget, by: int) -> dict[str, Any]:
        return {"server": self.name, "widget": Widget(widget.name, widget.size + by)}

    def whoami(self, ctxt: RequestContext) -> dict[str, Any]:
        return {"server": self.name, "context": type(ctxt).__name__,
                "project_id": ctxt.project_id, "read_deleted": ctxt.read_deleted}

    def remember(self, ctxt: RequestContext, widget: Widget) -> None:
        self.casts.put((ctxt, widget))

    def fail(self, ctxt: RequestContext) -> None:
        raise ValueError("no widgets today")


class GizmoEndpoint:
    target = oslo_messaging.Target(version="1.0")

    def whoami(self, ctxt: RequestContext) -> dict[str, Any]:
        return {"server": "gizmo"}


class WidgetAPI(rpc.RPCClientBase):
    """1.0: grow, whoami, remember, fail. 1.1: nothing new. 1.2: shrink."""

    TOPIC = TOPIC
    VERSION = "1.2"


class GizmoAPI(rpc.RPCClientBase):
    TOPIC = OTHER_TOPIC


@dataclass
class Cloud:
    transport: oslo_messaging.Transport
    endpoints: dict[str, WidgetEndpoint]

    def api(self, **kwargs: Any) -> WidgetAPI:
        return WidgetAPI(self.transport, serializer=rpc.ObjectSerializer(REGISTRY), **kwargs)


@pytest.fixture(scope="module")
def cloud() -> Iterator[Cloud]:
    transport = rpc.get_transport("fake://", conf.make_conf())
    serializer = rpc.ObjectSerializer(REGISTRY)
    endpoints = {name: WidgetEndpoint(name) for name in ("alpha", "beta")}
    services = [Service(transport, TOPIC, [endpoint], host=name, serializer=serializer)
                for name, endpoint in endpoints.items()]
    services.append(Service(transport, OTHER_TOPIC, [GizmoEndpoint()], host="alpha"))
    for service in services:
        service.start()
    try:
        yield Cloud(transport, endpoints)
    finally:
        stop_services(services)
        rpc.cleanup()


def _drain(q: queue.Queue[Any]) -> list[Any]:
    items = []
    while not q.empty():
        items.append(q.get_nowait())
    return items


def test_call_round_trip_with_objects(cloud: Cloud) -> None:
    result = cloud.api().call(get_admin_context(), "grow", widget=Widget("w", 1), by=2)
    assert result["widget"] == Widget("w", 3)
    assert result["server"] in ("alpha", "beta")


def test_context_arrives_as_request_context(cloud: Cloud) -> None:
    ctxt = RequestContext(user_id="u", project_id="p1", read_deleted="yes")
    assert cloud.api().prepare(server="alpha").call(ctxt, "whoami") == {
        "server": "alpha", "context": "RequestContext", "project_id": "p1", "read_deleted": "yes"}


def test_cast_reaches_only_the_addressed_server(cloud: Cloud) -> None:
    for endpoint in cloud.endpoints.values():
        _drain(endpoint.casts)
    api = cloud.api()
    api.prepare(server="alpha").cast(get_admin_context(), "remember", widget=Widget("a", 1))
    api.prepare(server="beta").cast(get_admin_context(), "remember", widget=Widget("b", 2))
    ctxt, widget = cloud.endpoints["alpha"].casts.get(timeout=WAIT)
    assert widget == Widget("a", 1) and isinstance(ctxt, RequestContext)
    assert cloud.endpoints["beta"].casts.get(timeout=WAIT)[1] == Widget("b", 2)
    for name in ("alpha", "beta"):
        assert api.prepare(server=name).call(get_admin_context(), "whoami")["server"] == name
        assert cloud.endpoints[name].casts.empty()


def test_fanout_reaches_every_server(cloud: Cloud) -> None:
    cloud.api().fanout_cast(get_admin_context(), "remember", widget=Widget("all", 0))
    for endpoint in cloud.endpoints.values():
        assert endpoint.casts.get(timeout=WAIT)[1] == Widget("all", 0)


def test_topics_are_separate(cloud: Cloud) -> None:
    gizmos = GizmoAPI(cloud.transport)
    assert gizmos.prepare(server="alpha").call(get_admin_context(), "whoami") == {"server": "gizmo"}


def test_version_the_server_lacks_is_unsupported(cloud: Cloud) -> None:
    api = cloud.api()
    assert api.call(get_admin_context(), "whoami", version="1.1")["context"] == "RequestContext"
    with pytest.raises(oslo_messaging.UnsupportedVersion):
        api.call(get_admin_context(), "whoami", version="1.2", timeout=WAIT)


def test_version_cap_stops_newer_messages_at_the_client(cloud: Cloud) -> None:
    api = cloud.api(version_cap="1.0")
    assert api.can_send_version("1.0")
    assert not api.can_send_version("1.1")
    with pytest.raises(oslo_messaging.RPCVersionCapError):
        api.call(get_admin_context(), "whoami", version="1.1")
    assert cloud.api().can_send_version("1.2")
    assert not cloud.api().can_send_version("2.0")


def test_remote_exception_is_raised_to_the_caller(cloud: Cloud) -> None:
    with pytest.raises(ValueError, match="no widgets today"):
        cloud.api().call(get_admin_context(), "fail", timeout=WAIT)


def test_call_to_an_absent_server_times_out(cloud: Cloud) -> None:
    with pytest.raises(oslo_messaging.MessagingTimeout):
        cloud.api().prepare(server="nobody").call(get_admin_context(), "whoami", timeout=0.2)


def test_default_timeout_comes_from_rpc_response_timeout() -> None:
    c = conf.make_conf()
    c.set_override("response_timeout", 7, group="rpc")
    transport = oslo_messaging.get_rpc_transport(c, "fake://")
    try:
        assert WidgetAPI(transport)._client.timeout == 7
    finally:
        transport.cleanup()


def test_transport_is_cached_per_url(cloud: Cloud) -> None:
    assert rpc.get_transport("fake://") is cloud.transport
    assert rpc.get_transport("fake://elsewhere/") is not cloud.transport


def test_servers_run_on_threads(cloud: Cloud) -> None:
    server = rpc.get_server(cloud.transport, "test-rpc-unused", "x", [GizmoEndpoint()])
    assert server.executor_type == "threading"


def test_client_needs_a_topic() -> None:
    with pytest.raises(TypeError):
        rpc.RPCClientBase(rpc.get_transport("fake://"))
