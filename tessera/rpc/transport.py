"""Messaging transports and RPC servers (oslo.messaging, threading executor).

One transport per URL per process: `fake://` passes messages in memory, so every
service of the all-in-one shares it; `rabbit://user:pass@host:5672/vhost` talks to
RabbitMQ, one connection pool per URL (each virtual host is its own URL and sees only
its own messages). Servers dispatch incoming messages on a thread pool; nothing in
Tessera monkey-patches with eventlet.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import oslo_messaging
from oslo_config import cfg

from tessera.rpc.serializer import ObjectSerializer

_transports: dict[str, oslo_messaging.Transport] = {}
_lock = threading.Lock()

# Modules whose exceptions an RPC caller re-raises as themselves; any other remote
# exception arrives as oslo_messaging.RemoteError. Shared by reference with every
# transport's driver, so add_extra_exmods() also affects transports already made.
_allowed_exmods: list[str] = [
    "oslo_messaging.exceptions",
    "oslo_messaging.rpc.dispatcher",
    "tessera.exception",
]


class ExecutorNotThreading(RuntimeError):
    """oslo.messaging picked the eventlet executor: something monkey-patched threads."""


def add_extra_exmods(*modules: str) -> None:
    """Let RPC callers re-raise remote exceptions defined in `modules` by type."""
    for module in modules:
        if module not in _allowed_exmods:
            _allowed_exmods.append(module)


def get_transport(url: str | None = None, conf: cfg.ConfigOpts | None = None) -> oslo_messaging.Transport:
    """The process's RPC transport for `url` (default: `conf.transport_url`).

    Cached per URL: the first caller's `conf` supplies the driver options (timeouts,
    RabbitMQ tuning); later callers with the same URL share that transport.
    """
    if conf is None:
        from tessera.conf import CONF

        conf = CONF
    if url is None:
        url = conf.transport_url
    with _lock:
        transport = _transports.get(url)
        if transport is None:
            transport = oslo_messaging.get_rpc_transport(
                conf, url=url, allowed_remote_exmods=_allowed_exmods
            )
            _transports[url] = transport
        return transport


def get_server(
    transport: oslo_messaging.Transport,
    topic: str,
    server: str,
    endpoints: Sequence[Any],
    serializer: oslo_messaging.Serializer | None = None,
) -> oslo_messaging.MessageHandlingServer:
    """An RPC server (not started) for `topic` addressed as `server` (usually a host).

    It receives calls and casts sent to the topic (shared round robin between the
    topic's servers), to `topic.server` (only this one) and fanouts of the topic.
    """
    rpc_server = oslo_messaging.get_rpc_server(
        transport,
        oslo_messaging.Target(topic=topic, server=server),
        list(endpoints),
        serializer=serializer if serializer is not None else ObjectSerializer(),
        access_policy=oslo_messaging.DefaultRPCAccessPolicy,
    )
    if rpc_server.executor_type != "threading":
        raise ExecutorNotThreading(
            "oslo.messaging chose the %r executor; Tessera runs on threads and must not "
            "be eventlet monkey-patched" % rpc_server.executor_type
        )
    return rpc_server


def cleanup(*urls: str) -> None:
    """Close the cached transports of `urls` (all of them if none given) and forget them.

    Transports close in parallel: a RabbitMQ transport that made calls waits up to
    five seconds for its reply consumer to notice (oslo.messaging's poll interval).
    Closing any fake:// transport empties every in-memory queue of the process.
    """
    with _lock:
        chosen = urls or tuple(_transports)
        transports = [t for t in (_transports.pop(url, None) for url in chosen) if t is not None]
    threads = [threading.Thread(target=transport.cleanup, name="rpc-cleanup")
               for transport in transports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
