"""`get_domain_xml` over a real RabbitMQ: the XML comes back, and a driver's
GuestNotFound / VirtError reaches the API as itself (the compute RPC API lets the
driver module's exceptions through), not as an opaque RemoteError."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import oslo_messaging
import pytest

from tessera import conf, rpc
from tessera.compute.rpcapi import ComputeAPI
from tessera.compute.virt.driver import GuestNotFound, VirtError
from tessera.context import RequestContext
from tessera.service import Service
from tests.functional.test_rpc_rabbit import _rabbit_answers, rabbit_url

XML = "<domain type='kvm'><name>instance-1</name></domain>"


class DomainEndpoint:
    target = oslo_messaging.Target(version="1.1")

    def get_domain_xml(self, ctxt: RequestContext, instance_uuid: str) -> str:
        if instance_uuid == "gone":
            raise GuestNotFound("no guest gone on dx-host")
        if instance_uuid == "fake":
            raise VirtError("host dx-host runs the FakeDriver driver, which keeps no "
                            "domain XML")
        return XML


@pytest.fixture
def api(require_service: Callable[..., None]) -> Iterator[Any]:
    require_service("RabbitMQ", _rabbit_answers(), "nothing listens on 127.0.0.1:5672")
    topic = "test-dx-" + uuid.uuid4().hex[:8]
    transport = rpc.get_transport(rabbit_url(), conf.make_conf())
    service = Service(transport, topic, [DomainEndpoint()], host="dx-host")
    service.start()
    client = type("DxAPI", (ComputeAPI,), {"TOPIC": topic})(transport, timeout=10)
    try:
        yield client
    finally:
        service.stop()
        import kombu
        with kombu.Connection("amqp://guest:guest@127.0.0.1:5672/",
                              connect_timeout=2) as connection:
            for name in (topic, topic + ".dx-host"):
                with connection.channel() as channel:
                    channel.queue_delete(name)


def test_domain_xml_and_its_errors_cross_rabbitmq(api: Any) -> None:
    ctxt = RequestContext(user_id="admin", project_id="admin", is_admin=True)
    assert api.get_domain_xml(ctxt, "dx-host", "some-uuid") == XML
    with pytest.raises(GuestNotFound, match="no guest gone"):
        api.get_domain_xml(ctxt, "dx-host", "gone")
    with pytest.raises(VirtError, match="keeps no domain XML") as caught:
        api.get_domain_xml(ctxt, "dx-host", "fake")
    assert not isinstance(caught.value, GuestNotFound)
