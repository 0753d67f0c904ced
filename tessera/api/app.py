"""The Compute API application: `create_app(settings) -> FastAPI`.

It serves the version documents, and every registered resource router under `/v2.1`
(with microversions) and `/v2` (Nova's legacy alias: always 2.1, no version headers).
Around the routes, outermost first: authentication (`auth`), microversion negotiation
(`microversion`), the 500 fault wrapper and the error handlers (`errors`).

Resource modules (one per resource, e.g. `tessera/api/compute/servers.py`) expose
`router = APIRouter()` with paths relative to the version root (`/servers`) and call
`register(module)` (or pass `routers=` to `create_app`). See docs/api.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from oslo_config import cfg

from tessera import __version__
from tessera.api import auth, errors, microversion, policy, versions

COMPUTE_PREFIX = "/v2.1"
LEGACY_PREFIX = "/v2"

# The companion services served beside the Compute API (images, volumes, networks):
# their authenticated API roots. The auth middleware covers these too, and strips a
# `{project_id}` segment right after each (`/volume/v3/{project_id}/volumes`).
# Their version documents (the roots themselves and what lies above) stay public.
SERVICE_PREFIXES: list[str] = ["/image/v2", "/volume/v3", "/network/v2.0"]

api_opts = [
    cfg.StrOpt(
        "auth_strategy",
        default=auth.NOAUTH2,
        choices=[
            (auth.NOAUTH2, "X-Auth-Token: USER:PROJECT taken at its word; user 'admin' "
             "is an admin (the all-in-one; never expose it)"),
            (auth.KEYSTONE, "Keystone tokens through keystonemiddleware's auth_token "
             "([keystone_authtoken])"),
        ],
        help="How the API authenticates requests.",
    ),
]


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    """The `[api]` options, for the sample config generator."""
    return [("api", list(api_opts))]


def register_opts(conf: cfg.ConfigOpts) -> None:
    """Register the `[api]` options on `conf` (idempotent)."""
    conf.register_opts(api_opts, group="api")


@dataclass(frozen=True)
class Settings:
    """What the API app needs to know. `conf`, when given, also carries
    `[oslo_policy]` (policy file) and `[keystone_authtoken]` (keystone mode)."""

    auth_strategy: str = auth.NOAUTH2
    policy_file: str | None = None
    keystone_authtoken: Mapping[str, Any] = field(default_factory=dict)
    conf: cfg.ConfigOpts | None = None

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts) -> Settings:
        register_opts(conf)
        return cls(auth_strategy=conf.api.auth_strategy, conf=conf)


_REGISTERED: list[APIRouter] = []


def register(router_module: ModuleType | APIRouter) -> ModuleType | APIRouter:
    """Add a resource router (a module with `router`, or the router itself) to every
    app created from now on. Registering the same router twice is a no-op."""
    router = _router_of(router_module)
    if router not in _REGISTERED:
        _REGISTERED.append(router)
    return router_module


def registered_routers() -> list[APIRouter]:
    """The resource routers registered so far, in order."""
    return list(_REGISTERED)


def _router_of(item: ModuleType | APIRouter) -> APIRouter:
    router = item if isinstance(item, APIRouter) else getattr(item, "router", None)
    if not isinstance(router, APIRouter):
        raise TypeError("%r has no APIRouter `router`" % (item,))
    return router


def create_app(settings: Settings | None = None, *,
               routers: Iterable[ModuleType | APIRouter] | None = None) -> FastAPI:
    """The Compute API v2.1 app. `routers` defaults to the registered ones."""
    settings = settings or Settings()
    enforcer = policy.init(settings.conf, settings.policy_file)
    strategy = auth.make_strategy(settings.auth_strategy, settings.keystone_authtoken,
                                  settings.conf)

    app = FastAPI(title="Tessera Compute API", version=__version__,
                  docs_url="/docs", redoc_url=None, openapi_url="/openapi.json")
    app.state.settings = settings
    app.state.enforcer = enforcer
    errors.install(app)
    app.include_router(versions.router)

    compute = APIRouter()
    for item in (registered_routers() if routers is None else routers):
        compute.include_router(_router_of(item))
    app.include_router(compute, prefix=COMPUTE_PREFIX)
    app.include_router(compute, prefix=LEGACY_PREFIX, include_in_schema=False)

    # add_middleware wraps: the last added runs first.
    app.add_middleware(errors.FaultWrapMiddleware)
    app.add_middleware(microversion.MicroversionMiddleware, prefix=COMPUTE_PREFIX,
                       legacy_prefix=LEGACY_PREFIX)
    app.add_middleware(auth.AuthMiddleware, strategy=strategy,
                       prefixes=(COMPUTE_PREFIX, LEGACY_PREFIX, *SERVICE_PREFIXES),
                       public=_public_paths())
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _public_paths() -> list[str]:
    """The version documents: the compute roots and each companion service's root."""
    paths = ["/v2.1", "/v2.1/", "/v2", "/v2/"]
    for prefix in SERVICE_PREFIXES:
        paths += [prefix, prefix + "/"]
    return paths


_FAULT_SCHEMA = {
    "type": "object",
    "description": "Nova's fault body: one key, the fault name (itemNotFound, ...).",
    "minProperties": 1,
    "maxProperties": 1,
    "additionalProperties": {
        "type": "object",
        "properties": {"code": {"type": "integer"}, "message": {"type": "string"},
                       "retryAfter": {"type": "string"}},
        "required": ["code", "message"],
    },
}


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus what it cannot infer: the X-Auth-Token scheme, the
    microversion headers and range of each compute operation, per-version bodies and
    the fault body of errors."""
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(title=app.title, version=app.version, routes=app.routes,
                      description="OpenStack Compute API v2.1, microversions %s to %s."
                      % (microversion.MIN_VERSION, microversion.MAX_VERSION))
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Fault"] = _FAULT_SCHEMA
    components["securitySchemes"] = {"XAuthToken": {
        "type": "apiKey", "in": "header", "name": "X-Auth-Token",
        "description": "A Keystone token, or USER:PROJECT with auth_strategy=noauth2."}}
    version_params = [
        {"name": microversion.HEADER, "in": "header", "required": False,
         "schema": {"type": "string", "example": "compute %s" % (microversion.MAX_VERSION,)},
         "description": "The requested microversion: `compute 2.N` or `compute latest`."},
        {"name": microversion.LEGACY_HEADER, "in": "header", "required": False,
         "schema": {"type": "string", "example": str(microversion.MAX_VERSION)},
         "description": "The legacy microversion header: `2.N` or `latest`."},
    ]
    routes = {(path, method.lower()): dependant
              for path, methods, dependant in _api_routes(app) for method in methods}
    for path, operations in doc.get("paths", {}).items():
        if not microversion.under(path, COMPUTE_PREFIX) or path in ("/v2.1", "/v2.1/"):
            continue
        for method, operation in operations.items():
            operation["security"] = [{"XAuthToken": []}]
            operation.setdefault("parameters", []).extend(version_params)
            operation.setdefault("responses", {}).setdefault("default", {
                "description": "Error", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Fault"}}}})
            dependant = routes.get((path, method))
            if dependant is not None:
                _document_versions(dependant, operation, schemas)
    app.openapi_schema = doc
    return doc


def _api_routes(app: FastAPI) -> Iterator[tuple[str, set[str], Dependant]]:
    """(path, methods, dependant) of every API route, included routers flattened."""
    try:  # FastAPI >= 0.120 includes routers lazily.
        from fastapi.routing import iter_route_contexts
    except ImportError:
        contexts: Iterable[Any] = app.routes
    else:
        contexts = iter_route_contexts(app.routes)
    for context in contexts:
        if isinstance(getattr(context, "original_route", context), APIRoute):
            yield context.path, set(context.methods or ()), context.dependant


def _document_versions(dependant: Dependant, operation: dict[str, Any],
                       schemas: dict[str, Any]) -> None:
    for dependency in dependant.dependencies:
        call = dependency.call
        if isinstance(call, microversion.VersionGate):
            operation["x-openstack-microversions"] = {
                "min": str(call.min_version),
                "max": str(call.max_version) if call.max_version else None}
        elif isinstance(call, microversion.VersionedBody):
            body, defs = call.openapi()
            operation["requestBody"] = body
            schemas.update(defs)
