"""Who is asking: the request context of every compute request.

Two strategies, chosen by `[api] auth_strategy`:

- `noauth2` (the all-in-one): `X-Auth-Token: USER:PROJECT` is taken at its word, as
  Nova's noauth2 does; a bare `USER` means project `USER`; the user `admin` is an
  admin. A missing token is a 401 (Nova's noauth answers 204 with an auth-1.1 token
  instead; a 401 is what every current client understands).
- `keystone`: keystonemiddleware's `auth_token` validates the token (configured from
  `[keystone_authtoken]` or a dict of its options) and the context is built from the
  headers it sets: `X-User-Id`, `X-Project-Id`, `X-Roles`, `X-Identity-Status`.

`AuthMiddleware` runs the strategy for every request under the compute prefixes except
the version documents, accepts Nova's `/v2.1/{project_id}/...` URL form, and stores the
context where the `get_context` dependency finds it:

    def index(context: Context) -> dict: ...
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request
from oslo_config import cfg
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tessera.api import errors, policy
from tessera.api.microversion import under
from tessera.context import RequestContext

NOAUTH2 = "noauth2"
KEYSTONE = "keystone"
STRATEGIES = (NOAUTH2, KEYSTONE)

NOAUTH_ADMIN = "admin"
NOAUTH_MESSAGE = ("Authentication required: send the header X-Auth-Token: USER:PROJECT "
                  "(user 'admin' is an admin).")

# Nova's ProjectMapper: a project id in the URL is hex and dashes (keystone's uuids).
_PROJECT_ID_RE = re.compile(r"^[0-9a-f\-]+$")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class AuthStrategy(Protocol):
    """Turns a request into a context, or raises Unauthorized."""

    async def authenticate(self, scope: Scope) -> RequestContext: ...


def _headers(scope: Scope) -> dict[str, str]:
    """The request headers, lower-cased, repeated ones joined with commas."""
    out: dict[str, str] = {}
    for key, value in scope["headers"]:
        name, text = key.decode("latin-1").lower(), value.decode("latin-1")
        out[name] = out[name] + "," + text if name in out else text
    return out


class NoAuth:
    """Nova's noauth2: `X-Auth-Token: USER:PROJECT`, user `admin` is an admin."""

    async def authenticate(self, scope: Scope) -> RequestContext:
        token = _headers(scope).get("x-auth-token", "").strip()
        user_id, _, project_id = token.partition(":")
        if not user_id:
            raise errors.Unauthorized(NOAUTH_MESSAGE,
                                      headers={"WWW-Authenticate": 'Token realm="tessera"'})
        is_admin = user_id == NOAUTH_ADMIN
        roles = ["admin", "member", "reader"] if is_admin else ["member", "reader"]
        return RequestContext(user_id=user_id, project_id=project_id or user_id,
                              is_admin=is_admin, roles=roles, auth_token=token)


def context_from_headers(headers: Mapping[str, str]) -> RequestContext:
    """The context of a request auth_token has let through, from the headers it set
    (names case-insensitive). Anything but `X-Identity-Status: Confirmed` is a 401."""
    h = {k.lower(): v for k, v in headers.items()}
    if h.get("x-identity-status", "").lower() != "confirmed":
        raise errors.Unauthorized()
    roles = [r.strip() for r in h.get("x-roles", "").split(",") if r.strip()]
    context = RequestContext(
        user_id=h.get("x-user-id"),
        project_id=h.get("x-project-id") or h.get("x-tenant-id"),
        roles=roles,
        user_name=h.get("x-user-name"),
        project_name=h.get("x-project-name"),
        user_domain_id=h.get("x-user-domain-id"),
        project_domain_id=h.get("x-project-domain-id"),
        auth_token=h.get("x-auth-token"),
    )
    context.is_admin = policy.check_is_admin(context)
    return context


class Keystone:
    """Tokens validated by keystonemiddleware's auth_token, run as the WSGI filter it
    is in a worker thread (it may call Keystone); its verdict comes back as headers.

    `options` are auth_token's options (`www_authenticate_uri`, `auth_url`, ...); with
    `conf` they are read from its `[keystone_authtoken]` group instead.
    `filter_factory(app) -> app` replaces auth_token itself (tests)."""

    def __init__(self, options: Mapping[str, Any] | None = None,
                 conf: cfg.ConfigOpts | None = None,
                 filter_factory: Callable[[WSGIApp], WSGIApp] | None = None) -> None:
        if filter_factory is None:
            from keystonemiddleware import auth_token

            settings: dict[str, Any] = dict(options or {})
            if conf is not None:
                settings["oslo_config_config"] = conf

            def filter_factory(app: WSGIApp) -> WSGIApp:
                return auth_token.AuthProtocol(app, settings)

        self._filter = filter_factory(_passed)

    async def authenticate(self, scope: Scope) -> RequestContext:
        environ = _wsgi_environ(scope)
        status, headers, body = await run_in_threadpool(_call_wsgi, self._filter, environ)
        if not environ.get(_PASSED):
            code = int(status.split(" ", 1)[0])
            if code == 401:
                kept = {k: v for k, v in headers if k.lower() == "www-authenticate"}
                raise errors.Unauthorized(headers=kept)
            if code == 503:
                raise errors.ServiceUnavailable("The identity service is unavailable.")
            raise errors.APIError(body.decode("utf-8", "replace")[:200] or status)
        return context_from_headers({
            key[5:].replace("_", "-"): value for key, value in environ.items()
            if key.startswith("HTTP_") and isinstance(value, str)
        })


_PASSED = "tessera.auth.passed"


def _passed(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """The app behind auth_token: marks that the request got through."""
    environ[_PASSED] = True
    start_response("204 No Content", [])
    return []


def _wsgi_environ(scope: Scope) -> dict[str, Any]:
    server = scope.get("server") or ("localhost", 80)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": scope.get("root_path", ""),
        "PATH_INFO": scope["path"],
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": "HTTP/%s" % scope.get("http_version", "1.1"),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in _headers(scope).items():
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        environ[key] = value
    return environ


def _call_wsgi(app: WSGIApp, environ: dict[str, Any]
               ) -> tuple[str, list[tuple[str, str]], bytes]:
    result: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]],
                       exc_info: Any = None) -> Callable[[bytes], None]:
        result["status"], result["headers"] = status, headers
        return lambda data: None

    chunks = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return result.get("status", "500 Internal Server Error"), result.get("headers", []), body


def make_strategy(name: str, keystone_options: Mapping[str, Any] | None = None,
                  conf: cfg.ConfigOpts | None = None) -> AuthStrategy:
    """The strategy named by `[api] auth_strategy`."""
    if name == NOAUTH2:
        return NoAuth()
    if name == KEYSTONE:
        return Keystone(keystone_options, conf)
    raise ValueError("auth_strategy must be one of %s, not %r" % (", ".join(STRATEGIES),
                                                                   name))


class AuthMiddleware:
    """Authenticates every request under `prefixes` except the `public` paths (the
    version documents), strips a `{project_id}` URL segment (checked against the
    context's, as Nova does) and answers with the request id headers."""

    def __init__(self, app: ASGIApp, strategy: AuthStrategy,
                 prefixes: Iterable[str] = ("/v2.1", "/v2"),
                 public: Iterable[str] = ("/v2.1", "/v2.1/", "/v2", "/v2/")) -> None:
        self.app = app
        self.strategy = strategy
        self.prefixes = tuple(prefixes)
        self.public = frozenset(public)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.public:
            await self.app(scope, receive, send)
            return
        prefix = next((p for p in self.prefixes if under(scope["path"], p)), None)
        if prefix is None:
            await self.app(scope, receive, send)
            return
        try:
            context = await self.strategy.authenticate(scope)
            _strip_project_id(scope, prefix, context)
        except errors.APIError as exc:
            await errors.fault_response(exc.code, exc.message, exc.headers)(
                scope, receive, send)
            return
        scope.setdefault("state", {})["context"] = context
        request_id = context.request_id.encode("latin-1")

        async def send_with_request_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []),
                                      (b"x-compute-request-id", request_id),
                                      (b"x-openstack-request-id", request_id)]
            await send(message)

        await self.app(scope, receive, send_with_request_id)


def _strip_project_id(scope: Scope, prefix: str, context: RequestContext) -> None:
    """`/v2.1/{project_id}/servers` -> `/v2.1/servers` (the form Keystone catalogs
    hold). A project id that is not the caller's is a 400, with Nova's message."""
    rest = scope["path"][len(prefix) + 1:]
    segment, sep, tail = rest.partition("/")
    if not sep or not segment:
        return
    if segment != context.project_id and not _PROJECT_ID_RE.match(segment):
        return
    if segment != context.project_id:
        raise errors.BadRequest(
            "Malformed request URL: URL's project_id '%s' doesn't match Context's "
            "project_id '%s'" % (segment, context.project_id))
    path = prefix + "/" + tail
    scope["path"] = path
    scope["raw_path"] = path.encode("utf-8")


def get_context(request: Request) -> RequestContext:
    """The context of this request (a FastAPI dependency); 401 if none was made."""
    context = request.scope.get("state", {}).get("context")
    if context is None:
        raise errors.Unauthorized()
    return context


Context = Annotated[RequestContext, Depends(get_context)]
"""A handler parameter holding the request's context."""
