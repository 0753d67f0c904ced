"""Base of Tessera's versioned RPC APIs (conductor, scheduler, compute).

A service's API is a client class and a server-side endpoint that agree on a topic and
a `major.minor` version:

    class ComputeAPI(RPCClientBase):
        '''1.0: build_instance, terminate_instance
        1.1: adds resize_claim'''

        TOPIC = "compute"
        VERSION = "1.1"

        def build_instance(self, ctxt, host, instance):
            self.prepare(server=host).cast(ctxt, "build_instance", instance=instance)

        def resize_claim(self, ctxt, host, instance, flavor):
            return self.prepare(server=host).call(
                ctxt, "resize_claim", version="1.1", instance=instance, flavor=flavor)

    class ComputeEndpoint:
        target = oslo_messaging.Target(version="1.1")

        def build_instance(self, ctxt, instance): ...
        def resize_claim(self, ctxt, instance, flavor): ...

Rules: every method sends the lowest version that has it (default: `major.0`), so old
methods keep working against older servers. Adding a method or an optional argument
bumps the minor version on both sides; the endpoint's `target.version` is the newest it
serves, and a message newer than that fails with `oslo_messaging.UnsupportedVersion`.
During a rolling upgrade, `version_cap` pins clients to what the oldest server speaks;
methods that can fall back test `can_send_version("1.1")` first.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar, Self

import oslo_messaging
from oslo_config import cfg

from tessera.rpc.serializer import ObjectSerializer

_DEFAULT_TIMEOUT = 60


class RPCClientBase:
    """A versioned client of one RPC topic; subclasses set `TOPIC` and `VERSION`.

    `server` addresses every message to one server of the topic (a host); otherwise
    calls and casts go to any server of the topic. `version_cap` (default `VERSION`)
    is the newest version this client may send. `timeout` defaults to the
    `[rpc] response_timeout` option of the transport's configuration.
    """

    TOPIC: ClassVar[str] = ""
    VERSION: ClassVar[str] = "1.0"

    def __init__(
        self,
        transport: oslo_messaging.Transport,
        server: str | None = None,
        version_cap: str | None = None,
        timeout: float | None = None,
        serializer: oslo_messaging.Serializer | None = None,
    ) -> None:
        if not self.TOPIC:
            raise TypeError("%s must set TOPIC" % type(self).__name__)
        self.base_version = self.VERSION.split(".")[0] + ".0"
        target = oslo_messaging.Target(topic=self.TOPIC, server=server, version=self.base_version)
        self._client: Any = oslo_messaging.get_rpc_client(
            transport,
            target,
            version_cap=version_cap or self.VERSION,
            timeout=timeout if timeout is not None else _default_timeout(transport.conf),
            serializer=serializer if serializer is not None else ObjectSerializer(),
        )

    def prepare(self, **kwargs: Any) -> Self:
        """A copy addressed differently: `server=`, `fanout=`, `timeout=`, `version_cap=`."""
        prepared = copy.copy(self)
        prepared._client = self._client.prepare(**kwargs)
        return prepared

    def can_send_version(self, version: str) -> bool:
        """Whether `version` is within this client's version cap."""
        return bool(self._client.can_send_version(version))

    def call(
        self,
        ctxt: Any,
        method: str,
        version: str | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        """Invoke `method` remotely and return its result (or raise its exception).

        Raises `oslo_messaging.MessagingTimeout` when no reply comes within the timeout,
        and `oslo_messaging.RPCVersionCapError` for a version above the cap.
        """
        options: dict[str, Any] = {"version": version or self.base_version}
        if timeout is not None:
            options["timeout"] = timeout
        return self._client.prepare(**options).call(ctxt, method, **kwargs)

    def cast(self, ctxt: Any, method: str, version: str | None = None, **kwargs: Any) -> None:
        """Invoke `method` remotely without waiting for it."""
        self._client.prepare(version=version or self.base_version).cast(ctxt, method, **kwargs)

    def fanout_cast(self, ctxt: Any, method: str, version: str | None = None, **kwargs: Any) -> None:
        """Cast `method` to every server of the topic."""
        self._client.prepare(version=version or self.base_version, fanout=True).cast(
            ctxt, method, **kwargs
        )


def _default_timeout(conf: cfg.ConfigOpts) -> float:
    try:
        return float(conf.rpc.response_timeout)
    except (cfg.NoSuchOptError, cfg.NoSuchGroupError):
        return _DEFAULT_TIMEOUT
