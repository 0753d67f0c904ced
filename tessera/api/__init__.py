"""The Compute API v2.1 HTTP service.

Public surface:

- `create_app(settings) -> FastAPI`, `Settings`, `register(router_module)`: the app
  factory and how resource routers join it (`tessera.api.app`).
- `APIVersion`, `RequestVersion`, `api_version`, `VersionedBody`: microversions
  (`tessera.api.microversion`).
- `Context`: the request context dependency (`tessera.api.auth`).
- `authorize(context, rule, target)`: policy (`tessera.api.policy`).
- The error types handlers raise (`tessera.api.errors`).
"""

from tessera.api.app import Settings, create_app, register
from tessera.api.auth import Context
from tessera.api.errors import (
    APIError,
    BadRequest,
    Conflict,
    Forbidden,
    MethodNotAllowed,
    NotAcceptable,
    NotFound,
    OverLimit,
    ServiceUnavailable,
    Unauthorized,
)
from tessera.api.microversion import APIVersion, RequestVersion, VersionedBody, api_version
from tessera.api.policy import authorize

__all__ = [
    "APIError",
    "APIVersion",
    "BadRequest",
    "Conflict",
    "Context",
    "Forbidden",
    "MethodNotAllowed",
    "NotAcceptable",
    "NotFound",
    "OverLimit",
    "RequestVersion",
    "ServiceUnavailable",
    "Settings",
    "Unauthorized",
    "VersionedBody",
    "api_version",
    "authorize",
    "create_app",
    "register",
]
