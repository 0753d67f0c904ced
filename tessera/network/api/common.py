"""Plumbing the Networking API handlers share: the API database session, the caller,
Neutron-style list filters and `fields=`, request bodies, and the translation of the
service's errors into OpenStack faults."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from tessera.api import errors as api_errors
from tessera.context import RequestContext
from tessera.network import errors

NETWORK_PREFIX = "/network"
API_ROOT = "/v2.0"


@contextmanager
def db(request: Request, readonly: bool = False) -> Iterator[Session]:
    """A unit of work on the API database, the service's errors turned into faults."""
    with translate():
        with request.app.state.cloud.router.api(readonly=readonly) as session:
            yield session


@contextmanager
def translate() -> Iterator[None]:
    """Raise the OpenStack fault matching a networking service error."""
    try:
        yield
    except errors.NotFound as exc:
        raise api_errors.NotFound(str(exc)) from None
    except errors.Conflict as exc:
        raise api_errors.Conflict(str(exc)) from None
    except errors.InvalidInput as exc:
        raise api_errors.BadRequest(str(exc)) from None


def visible(context: RequestContext, project_id: str | None, shared: bool = False) -> bool:
    """Whether the caller may see a resource of `project_id`."""
    return bool(context.is_admin or shared or project_id == context.project_id)


def require_owner(context: RequestContext, kind: str, item_id: str,
                  project_id: str | None) -> None:
    """Only an admin or the owning project may change a network resource (403)."""
    if not context.is_admin and project_id != context.project_id:
        raise api_errors.Forbidden("%s %s belongs to another project." % (kind, item_id))


def owner(context: RequestContext, body: dict[str, Any]) -> str | None:
    """The project a new resource belongs to: the caller's, or (admins only) the
    `project_id`/`tenant_id` of the body."""
    asked = body.get("project_id") or body.get("tenant_id")
    if asked and asked != context.project_id:
        if not context.is_admin:
            raise api_errors.Forbidden("Only admins may create resources in another "
                                       "project.")
        return str(asked)
    return context.project_id


def filters(request: Request, *names: str) -> dict[str, list[str]]:
    """The list filters of the query string among `names` (a repeated parameter
    matches any of its values); `tenant_id` counts as `project_id`."""
    out: dict[str, list[str]] = {}
    for name in names:
        values = request.query_params.getlist(name)
        if name == "project_id":
            values += request.query_params.getlist("tenant_id")
        if values:
            out[name] = values
    return out


def matches(view: dict[str, Any], wanted: dict[str, list[str]]) -> bool:
    """Whether a resource's view matches every filter (compared as text; booleans as
    `true`/`false`)."""
    for key, values in wanted.items():
        value = view.get(key)
        if isinstance(value, bool):
            if str(value).lower() not in [v.lower() for v in values]:
                return False
        elif str(value) not in values:
            return False
    return True


def shape(request: Request, view: dict[str, Any]) -> dict[str, Any]:
    """The view with only the `fields=` the client asked for, if any."""
    fields = [f for value in request.query_params.getlist("fields")
              for f in value.split(",") if f]
    return {k: v for k, v in view.items() if k in fields} if fields else view


def iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def stamps(created: datetime | None, updated: datetime | None) -> dict[str, Any]:
    """The standard attributes Neutron adds to every resource."""
    return {"created_at": iso(created), "updated_at": iso(updated),
            "revision_number": 0, "tags": []}


async def body_of(request: Request, key: str) -> dict[str, Any]:
    """The `{key: {...}}` object of a request body (400 otherwise)."""
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError:
        raise api_errors.BadRequest("Malformed JSON in request body.") from None
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise api_errors.BadRequest("Resource body required: {\"%s\": {...}}." % key)
    return dict(body[key])


def refuse_unknown(body: dict[str, Any], allowed: Sequence[str], kind: str) -> None:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise api_errors.BadRequest("Unrecognized attribute(s) '%s' for %s."
                                    % (", ".join(unknown), kind))


def text(body: dict[str, Any], key: str, default: str = "", limit: int = 255) -> str:
    value = body.get(key, default)
    if value is None:
        value = default
    if not isinstance(value, str) or len(value) > limit:
        raise api_errors.BadRequest("Invalid input for %s: expected a string of at most "
                                    "%d characters." % (key, limit))
    return value


def flag(body: dict[str, Any], key: str, default: bool) -> bool:
    value = body.get(key, default)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise api_errors.BadRequest("Invalid input for %s: '%s' is not a valid boolean."
                                    % (key, value))
    return value
