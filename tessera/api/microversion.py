"""Compute API microversions, in one place.

`VERSIONS` lists every microversion Tessera claims, each with the change it brings;
the maximum is the last entry and grows only when a version's change is implemented
and tested (each claimed version has a test in tests/unit/api). Microversions are
cumulative: claiming 2.N claims every change up to it.

The middleware negotiates the version of each compute request from
`OpenStack-API-Version: compute 2.N` or the legacy `X-OpenStack-Nova-API-Version: 2.N`
(Nova's rules, `nova-features.md` 9.1-9.3) and echoes it on every response. Handlers
never read those headers; they take the negotiated `APIVersion` as a dependency and
compare it with a tuple:

    def show(version: RequestVersion) -> dict:
        if version >= (2, 47): ...

A route that exists only from (or up to) a version says so with
`dependencies=[api_version("2.26")]` (404 outside the range, as Nova does), and a body
whose schema changes with the version is read by `VersionedBody`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, NamedTuple

import microversion_parse
from fastapi import Depends, Request
from fastapi.params import Depends as DependsParam
from pydantic import BaseModel, ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tessera.api import errors

SERVICE_TYPE = "compute"
HEADER = "OpenStack-API-Version"
LEGACY_HEADER = "X-OpenStack-Nova-API-Version"
VARY = "%s, %s" % (HEADER, LEGACY_HEADER)
LATEST = "latest"

# The supported microversions, oldest first, each with the change Tessera implements.
# Raise the maximum by appending a line here, with its test, when the change lands.
# "n/a" marks a version whose only change is to an API Tessera does not serve at any
# version (it answers 404 there, before and after): claiming it changes nothing a
# client can observe. Every change to an API Tessera serves is implemented.
VERSIONS: tuple[tuple[str, str], ...] = (
    ("2.1", "The v2.1 base: v2.0 semantics with strict input validation."),
    ("2.2", "Keypair type (ssh, x509); keypair create 201, delete 204."),
    ("2.3", "Server OS-EXT-SRV-ATTR: reservation_id, launch_index, hostname, ... (admin)."),
    ("2.4", "n/a: os-fixed-ips `reserved` (os-fixed-ips not served)."),
    ("2.5", "Servers list honours the ip6 filter for non-admins."),
    ("2.6", "n/a: remote-consoles API (consoles not served)."),
    ("2.7", "n/a: flavor access 409 for public flavors (os-flavor-access not served)."),
    ("2.8", "n/a: mks consoles (consoles not served)."),
    ("2.9", "Server `locked` attribute."),
    ("2.10", "Keypairs: user_id parameter and create on behalf of a user (admin)."),
    ("2.11", "Services: forced_down shown and PUT /os-services/force-down."),
    ("2.12", "n/a: os-virtual-interfaces net_id (not served)."),
    ("2.13", "n/a: server group project_id/user_id (server groups not served)."),
    ("2.14", "n/a: evacuate without onSharedStorage (evacuate not served)."),
    ("2.15", "n/a: soft-(anti-)affinity server groups (not served)."),
    ("2.16", "Server host_status (admin policy)."),
    ("2.17", "n/a: trigger_crash_dump action (not served; 400 at every version)."),
    ("2.18", "Project id optional in URLs (accepted with and without)."),
    ("2.19", "Server description on create, update and show."),
    ("2.20", "n/a: volume attach on shelved servers (shelve not served)."),
    ("2.21", "os-instance-actions of deleted servers."),
    ("2.22", "n/a: force-complete live migration (not served)."),
    ("2.23", "n/a: os-migrations migration_type, servers/{id}/migrations (not served)."),
    ("2.24", "n/a: abort live migration (not served)."),
    ("2.25", "n/a: os-migrateLive block_migration auto (not served)."),
    ("2.26", "Server tags: /servers/{id}/tags, `tags` in servers, tag list filters."),
    ("2.27", "OpenStack-API-Version: compute X.Y header."),
    ("2.28", "Hypervisor cpu_info is an object."),
    ("2.29", "n/a: evacuate force (not served)."),
    ("2.30", "n/a: live-migrate force (not served)."),
    ("2.31", "n/a: console auth tokens (not served)."),
    ("2.32", "Device tags on networks and block_device_mapping_v2 at create."),
    ("2.33", "Hypervisors limit/marker paging; block device tags refused (Nova's bug)."),
    ("2.34", "n/a: async live-migration checks (not served)."),
    ("2.35", "Keypairs limit/marker paging, sorted by name."),
    ("2.36", "Proxy APIs 404 (never served); network limits dropped from /limits."),
    ("2.37", "Server create requires networks: a list, 'auto' or 'none'."),
    ("2.38", "An invalid status filter is a 400."),
    ("2.39", "maxImageMeta dropped from /limits (image-metadata proxy never served)."),
    ("2.40", "n/a: os-simple-tenant-usage paging (not served)."),
    ("2.41", "n/a: aggregate uuid (aggregates not served)."),
    ("2.42", "Device tags on networks and block devices restored."),
    ("2.43", "n/a: os-hosts removed (never served)."),
    ("2.44", "n/a: add/removeFixedIp, FloatingIp, os-virtual-interfaces (not served)."),
    ("2.45", "createImage answers with a body {image_id}, no Location header."),
    ("2.46", "X-OpenStack-Request-ID on every response."),
    ("2.47", "Server flavor embedded (vcpus, ram, ..., extra_specs by policy)."),
    ("2.48", "n/a: standard server diagnostics (not served)."),
    ("2.49", "n/a: tagged volume/interface attach (not served)."),
    ("2.50", "n/a: os-quota-class-sets (not served)."),
    ("2.51", "Instance action events shown to non-admins, traceback by policy."),
    ("2.52", "Tags on server create."),
    ("2.53", "Services and hypervisors by uuid; PUT /os-services/{id}; hypervisor "
             "hostname pattern and with_servers."),
    ("2.54", "key_name on rebuild (set, or null to remove)."),
    ("2.55", "Flavor description; PUT /flavors/{id}."),
    ("2.56", "migrate action takes a target host (checked by the scheduler)."),
    ("2.57", "personality refused on create; personality limits dropped."),
    ("2.58", "os-instance-actions: limit/marker, changes-since, updated_at."),
    ("2.59", "n/a: os-migrations paging and uuid (os-migrations not served)."),
    ("2.60", "Multiattach volumes: attachable to servers from 2.60 on, to several "
             "at once (os-volume_attachments)."),
    ("2.61", "Flavor show, detail, create and update carry extra_specs (by policy)."),
    ("2.62", "Instance action events carry hostId, and host (by policy)."),
    ("2.63", "trusted_image_certificates on server create and in server details."),
    ("2.64", "n/a: server group policy/rules (server groups not served)."),
    ("2.65", "n/a: abort a queued live migration (live migration not served)."),
    ("2.66", "changes-before filter on servers lists and os-instance-actions."),
    ("2.67", "volume_type in block_device_mapping_v2 on server create."),
    ("2.68", "n/a: force removed from evacuate and live-migrate (neither served)."),
    ("2.69", "Servers of a cell that does not answer listed and shown as UNKNOWN."),
)

_VERSION_RE = re.compile(r"^([1-9]\d*)\.([1-9]\d*|0)$")


class InvalidAPIVersionString(errors.BadRequest):
    """The version header is not MajorNum.MinorNum (or `latest`)."""

    def __init__(self, text: str) -> None:
        self.text = text
        super().__init__("API Version String %s is of invalid format. Must be of "
                         "format MajorNum.MinorNum." % text)


class APIVersion(NamedTuple):
    """A compute API microversion; a tuple, so `version >= (2, 47)` just works."""

    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> APIVersion:
        """`"2.47"` -> APIVersion(2, 47); raises InvalidAPIVersionString otherwise."""
        match = _VERSION_RE.match(text)
        if not match:
            raise InvalidAPIVersionString(text)
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return "%d.%d" % (self.major, self.minor)


MIN_VERSION = APIVersion.parse(VERSIONS[0][0])
MAX_VERSION = APIVersion.parse(VERSIONS[-1][0])
DEFAULT_VERSION = MIN_VERSION


class APIVersionNotSupported(errors.NotAcceptable):
    """A well-formed version outside [MIN_VERSION, MAX_VERSION] (Nova's
    InvalidGlobalAPIVersion: 406, echoing the requested version)."""

    def __init__(self, version: APIVersion, minimum: APIVersion = MIN_VERSION,
                 maximum: APIVersion = MAX_VERSION) -> None:
        self.version = version
        super().__init__("Version %s is not supported by the API. Minimum is %s and "
                         "maximum is %s." % (version, minimum, maximum),
                         headers=version_headers(version))


def negotiate(headers: Iterable[tuple[str, str]] | Mapping[str, str],
              minimum: APIVersion = MIN_VERSION,
              maximum: APIVersion = MAX_VERSION) -> APIVersion:
    """The version a request asks for: the standard header's `compute` entry, else
    the legacy header, else the minimum (2.1); `latest` is the maximum. Raises
    InvalidAPIVersionString (400) or APIVersionNotSupported (406)."""
    text = microversion_parse.get_version(headers, SERVICE_TYPE,
                                          legacy_headers=[LEGACY_HEADER])
    if text is None:
        return minimum
    if text == LATEST:
        return maximum
    version = APIVersion.parse(text)
    if not minimum <= version <= maximum:
        raise APIVersionNotSupported(version, minimum, maximum)
    return version


def version_headers(version: APIVersion) -> dict[str, str]:
    """The response headers that echo a negotiated version."""
    return {HEADER: "%s %s" % (SERVICE_TYPE, version), LEGACY_HEADER: str(version),
            "Vary": VARY}


def under(path: str, prefix: str) -> bool:
    """Whether `path` is `prefix` or below it (`/v2.1x` is not under `/v2.1`)."""
    return path == prefix or path.startswith(prefix + "/")


class MicroversionMiddleware:
    """Negotiates the microversion of requests under `prefix` and echoes it (with
    `Vary`) on every response, errors included. Under `legacy_prefix` (Nova's `/v2`)
    microversions are ignored: the version is 2.1 and no version header is sent."""

    def __init__(self, app: ASGIApp, prefix: str = "/v2.1",
                 legacy_prefix: str | None = "/v2") -> None:
        self.app = app
        self.prefix = prefix
        self.legacy_prefix = legacy_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        state = scope.setdefault("state", {})
        if self.legacy_prefix and under(path, self.legacy_prefix):
            state["api_version"] = DEFAULT_VERSION
            await self.app(scope, receive, send)
            return
        if not under(path, self.prefix):
            await self.app(scope, receive, send)
            return
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        try:
            version = negotiate(headers)
        except errors.APIError as exc:
            # A malformed version gets no version headers; an unsupported one echoes
            # the version asked for (Nova does both).
            await errors.fault_response(exc.code, exc.message, exc.headers)(
                scope, receive, send)
            return
        state["api_version"] = version
        extra = version_headers(version)

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _merge_headers(message.get("headers", []), extra)
            await send(message)

        await self.app(scope, receive, send_with_version)


def _merge_headers(raw: Iterable[tuple[bytes, bytes]],
                   extra: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    """`raw` with `extra` set; a `Vary` already present is extended, not replaced."""
    names = {k.lower() for k in extra}
    out = []
    vary_before = []
    for key, value in raw:
        name = key.decode("latin-1").lower()
        if name == "vary":
            vary_before.append(value.decode("latin-1"))
        elif name not in names:
            out.append((key, value))
    for key, value in extra.items():
        if key.lower() == "vary" and vary_before:
            value = ", ".join([*vary_before, value])
        out.append((key.lower().encode("latin-1"), value.encode("latin-1")))
    return out


def get_api_version(request: Request) -> APIVersion:
    """The negotiated version of this request (2.1 outside the compute prefixes)."""
    return request.scope.get("state", {}).get("api_version", DEFAULT_VERSION)


RequestVersion = Annotated[APIVersion, Depends(get_api_version)]
"""A handler parameter holding the request's negotiated microversion."""


class VersionGate:
    """A route dependency: the route exists only for [min_version, max_version]."""

    def __init__(self, min_version: APIVersion, max_version: APIVersion | None) -> None:
        self.min_version = min_version
        self.max_version = max_version

    def __call__(self, request: Request) -> None:
        version = get_api_version(request)
        if version < self.min_version or (self.max_version is not None
                                          and version > self.max_version):
            raise errors.NotFound()

    def __repr__(self) -> str:
        return "api_version(%s, %s)" % (self.min_version, self.max_version)


def api_version(min_version: str = "2.1", max_version: str | None = None) -> DependsParam:
    """Declare the microversions a route serves (Nova's `@wsgi.api_version`): use as
    `@router.get(path, dependencies=[api_version("2.26")])`. Outside the range the
    route answers 404 `itemNotFound`, as if it did not exist."""
    low = APIVersion.parse(min_version)
    high = APIVersion.parse(max_version) if max_version is not None else None
    if high is not None and high < low:
        raise ValueError("api_version(%s, %s): empty range" % (low, high))
    return Depends(VersionGate(low, high))


class VersionedBody:
    """A dependency that validates the JSON body with the model of the request's
    microversion (Nova's `@validation.schema(schema, min, max)`).

    `schemas` maps the first version of each model to the model; a request at 2.N
    uses the model of the highest key <= 2.N. Invalid JSON or input is a 400
    `badRequest` with a readable message.

        body: Annotated[ServerCreate, Depends(VersionedBody({"2.1": CreateV21,
                                                              "2.37": CreateV237}))]
    """

    def __init__(self, schemas: Mapping[str, type[BaseModel]]) -> None:
        if not schemas:
            raise ValueError("VersionedBody needs at least one schema")
        self.schemas: list[tuple[APIVersion, type[BaseModel]]] = sorted(
            ((APIVersion.parse(v), model) for v, model in schemas.items()), reverse=True)

    def model_for(self, version: APIVersion) -> type[BaseModel] | None:
        """The model a request at `version` is validated with (None: no body allowed
        below the first version)."""
        for first, model in self.schemas:
            if version >= first:
                return model
        return None

    async def __call__(self, request: Request) -> BaseModel:
        version = get_api_version(request)
        model = self.model_for(version)
        if model is None:
            raise errors.NotFound()
        try:
            data: Any = await request.json()
        except ValueError:
            raise errors.BadRequest("Malformed request body") from None
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise errors.BadRequest(errors.validation_message(exc.errors())) from None

    def openapi(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The OpenAPI request body (one schema per version range) and the component
        schemas it refers to."""
        variants = []
        defs: dict[str, Any] = {}
        ordered = sorted(self.schemas)
        for (first, last), (_, model) in zip(_ranges([f for f, _ in ordered]), ordered):
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            defs.update(schema.pop("$defs", {}))
            schema["description"] = "microversions %s%s" % (
                first, " to %s" % (last,) if last else " and later")
            variants.append(schema)
        body = variants[0] if len(variants) == 1 else {"oneOf": variants}
        return {"required": True, "content": {"application/json": {"schema": body}}}, defs


def _ranges(firsts: list[APIVersion]) -> list[tuple[APIVersion, APIVersion | None]]:
    out: list[tuple[APIVersion, APIVersion | None]] = []
    for i, first in enumerate(firsts):
        last = None
        if i + 1 < len(firsts):
            nxt = firsts[i + 1]
            last = APIVersion(nxt.major, nxt.minor - 1)
        out.append((first, last))
    return out
