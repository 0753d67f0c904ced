"""What the compute resource handlers share: the `Cloud` dependency (the `CloudAPI`
the app serves), links, timestamps, `limit`/`marker` paging and the translation of
the layers' errors into API errors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import Depends, Request

from tessera.api import errors
from tessera.api.versions import base_url
from tessera.compute.api import CloudAPI, InstanceInvalidState, InstanceNotFound
from tessera.db import errors as db_errors

MAX_LIMIT = 1000
T = TypeVar("T")


def get_cloud(request: Request) -> CloudAPI:
    cloud = getattr(request.app.state, "cloud", None)
    if cloud is None:
        raise errors.ServiceUnavailable("The compute service is not running.")
    return cloud


Cloud = Annotated[CloudAPI, Depends(get_cloud)]
"""A handler parameter holding the cloud the API serves."""


def isotime(value: datetime | None) -> str | None:
    """Nova's timestamps: `2024-01-02T03:04:05Z` (UTC, no fraction)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def isotime_micro(value: datetime | None) -> str | None:
    """Instance action times: `2024-01-02T03:04:05.000000` (Nova's form there)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")


def parse_time(text: str, name: str = "changes-since") -> datetime:
    """An ISO 8601 time from a query string (400 if it is not one)."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise errors.BadRequest("Invalid input for query parameters %s. Value: %s. "
                                "It is not a valid ISO 8601 date-time" % (name, text)) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def time_window(query: Any, version: Any) -> tuple[datetime | None, datetime | None]:
    """The `changes-since` and (from 2.66) `changes-before` filters of a query; 400
    if either is not a time or since is after before (Nova's message)."""
    since = parse_time(query["changes-since"]) if "changes-since" in query else None
    before = None
    if version >= (2, 66) and "changes-before" in query:
        before = parse_time(query["changes-before"], "changes-before")
        if since is not None and before < since:
            raise errors.BadRequest("The value of changes-since must be less than or "
                                    "equal to changes-before.")
    return since, before


def links(request: Request, collection: str, ident: str,
          project_id: str | None = None) -> list[dict[str, str]]:
    """Nova's self (versioned, with the project) and bookmark links of a resource."""
    base = base_url(request).split("/v2")[0]
    project = "/" + project_id if project_id else ""
    return [{"rel": "self", "href": "%s/v2.1%s/%s/%s" % (base, project, collection, ident)},
            {"rel": "bookmark", "href": "%s%s/%s/%s" % (base, project, collection, ident)}]


def parse_limit(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        limit = int(value)
    except ValueError:
        raise errors.BadRequest("limit param must be an integer") from None
    if limit < 0:
        raise errors.BadRequest("limit param must be positive")
    return min(limit, MAX_LIMIT)


def page(items: Sequence[T], key: Any, marker: str | None, limit: int | None
         ) -> tuple[list[T], bool]:
    """Items after the one whose `key(item) == marker` (400 if none is), at most
    `limit` of them; and whether a next page may exist."""
    start = 0
    if marker is not None:
        for i, item in enumerate(items):
            if key(item) == marker:
                start = i + 1
                break
        else:
            raise errors.BadRequest("marker [%s] not found" % marker)
    chosen = list(items[start:])
    if limit is not None and len(chosen) > limit:
        return chosen[:limit], True
    if limit is not None and len(chosen) == limit and limit > 0:
        return chosen, True
    return chosen, False


def next_link(request: Request, collection: str, marker: str) -> list[dict[str, str]]:
    """The `<collection>_links` of a page: the same query with the last id as marker."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "marker"]
    params.append(("marker", marker))
    base = base_url(request).split("/v2")[0]
    project = request.scope.get("state", {}).get("context")
    project_part = "/" + project.project_id if project is not None and \
        project.project_id else ""
    return [{"rel": "next", "href": "%s/v2.1%s/%s?%s" % (
        base, project_part, collection, urlencode(params))}]


@contextlib.contextmanager
def translated(server_id: str = "") -> Iterator[None]:
    """Turn the lower layers' errors into the API's (404, 409, ...)."""
    try:
        yield
    except InstanceNotFound:
        raise errors.NotFound("Instance %s could not be found." % server_id) from None
    except InstanceInvalidState as exc:
        raise errors.Conflict("Cannot perform this action on instance %s: %s"
                              % (server_id, exc)) from None
    except db_errors.NotFound as exc:
        raise errors.NotFound(str(exc)) from None
    except db_errors.DuplicateEntry as exc:
        raise errors.Conflict(str(exc)) from None
