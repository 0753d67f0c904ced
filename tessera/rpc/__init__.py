"""RPC between Tessera services, on oslo.messaging.

Public API:
    get_transport(url=None, conf=None)    the process's transport for a URL (cached)
    get_server(transport, topic, server, endpoints, serializer=None)
    cleanup(*urls)                        close cached transports (all by default)
    add_extra_exmods(*modules)            exceptions callers may re-raise by type
    ObjectSerializer(registry=None)       Tessera objects and contexts over the wire
    RPCClientBase                         base of the versioned service APIs
"""

from tessera.rpc.client import RPCClientBase
from tessera.rpc.serializer import ObjectSerializer, UnknownObjectType
from tessera.rpc.transport import (
    ExecutorNotThreading,
    add_extra_exmods,
    cleanup,
    get_server,
    get_transport,
)

__all__ = [
    "ExecutorNotThreading",
    "ObjectSerializer",
    "RPCClientBase",
    "UnknownObjectType",
    "add_extra_exmods",
    "cleanup",
    "get_server",
    "get_transport",
]
