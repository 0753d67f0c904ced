"""Server tags (2.26+): `GET/PUT/DELETE /servers/{id}/tags[/{tag}]`, the tag rules
(at most 50 per server, 1-60 characters, no `,` or `/`) and the list filters `tags`,
`tags-any`, `not-tags`, `not-tags-any`. Tags are stored in the API database's
`server_extras`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict

from tessera.api import Context, api_version, errors
from tessera.api.compute._common import Cloud
from tessera.db.api import server_queries as sq

router = APIRouter(tags=["server tags"], dependencies=[api_version("2.26")])
MAX_TAGS = 50
_S = "os_compute_api:servers:"


class TagsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tags: list[str]


def check_tags(tags: Iterable[str]) -> None:
    tags = list(tags)
    if len(set(tags)) > MAX_TAGS:
        raise errors.BadRequest("The number of tags exceeded the per-server limit %d"
                                % MAX_TAGS)
    for tag in tags:
        if not 1 <= len(tag) <= 60 or "," in tag or "/" in tag:
            raise errors.BadRequest("Invalid tag %r: a tag is 1 to 60 characters "
                                    "without ',' or '/'" % tag)


def matches_tags(tags: Iterable[str], q: Any) -> bool:
    """Nova's tag filters: `tags` all, `tags-any` one of, `not-tags` not all,
    `not-tags-any` none of (each a comma-separated list)."""
    have = set(tags)

    def wanted(name: str) -> set[str] | None:
        return set(q[name].split(",")) if name in q else None

    checks = [(wanted("tags"), lambda w: w <= have),
              (wanted("tags-any"), lambda w: bool(w & have)),
              (wanted("not-tags"), lambda w: not w <= have),
              (wanted("not-tags-any"), lambda w: not w & have)]
    return all(check(w) for w, check in checks if w is not None)


def _server(cloud: Any, context: Any, server_id: str, write: bool) -> str:
    from tessera.api.compute.servers import get_server
    rule = _S + ("update" if write else "show")
    return get_server(cloud, context, server_id, rule).uuid


@router.get("/servers/{server_id}/tags", summary="List a server's tags")
def index(server_id: str, context: Context, cloud: Cloud) -> dict[str, Any]:
    uuid = _server(cloud, context, server_id, False)
    with cloud.router.api() as s:
        return {"tags": list(sq.get_extra(s, uuid).tags)}


@router.put("/servers/{server_id}/tags", summary="Replace a server's tags")
def replace(server_id: str, body: TagsBody, context: Context, cloud: Cloud
            ) -> dict[str, Any]:
    uuid = _server(cloud, context, server_id, True)
    check_tags(body.tags)
    tags = tuple(dict.fromkeys(body.tags))
    with cloud.router.api() as s:
        sq.save_extra(s, sq.get_extra(s, uuid).model_copy(update={"tags": tags}))
    return {"tags": list(tags)}


@router.delete("/servers/{server_id}/tags", status_code=204,
               summary="Remove every tag of a server")
def delete_all(server_id: str, context: Context, cloud: Cloud) -> Response:
    uuid = _server(cloud, context, server_id, True)
    with cloud.router.api() as s:
        sq.save_extra(s, sq.get_extra(s, uuid).model_copy(update={"tags": ()}))
    return Response(status_code=204)


@router.get("/servers/{server_id}/tags/{tag}", status_code=204,
            summary="Check a server has a tag (204, or 404)")
def check(server_id: str, tag: str, context: Context, cloud: Cloud) -> Response:
    uuid = _server(cloud, context, server_id, False)
    with cloud.router.api() as s:
        if tag not in sq.get_extra(s, uuid).tags:
            raise errors.NotFound("Tag %s could not be found." % tag)
    return Response(status_code=204)


@router.put("/servers/{server_id}/tags/{tag}", status_code=201,
            summary="Add a tag (201 if new, 204 if present)")
def add(server_id: str, tag: str, context: Context, cloud: Cloud) -> Response:
    uuid = _server(cloud, context, server_id, True)
    check_tags([tag])
    with cloud.router.api() as s:
        extra = sq.get_extra(s, uuid)
        if tag in extra.tags:
            return Response(status_code=204)
        check_tags([*extra.tags, tag])
        sq.save_extra(s, extra.model_copy(update={"tags": (*extra.tags, tag)}))
    return Response(status_code=201, headers={"Location": "servers/%s/tags/%s"
                                               % (uuid, tag)})


@router.delete("/servers/{server_id}/tags/{tag}", status_code=204,
               summary="Remove a tag")
def remove(server_id: str, tag: str, context: Context, cloud: Cloud) -> Response:
    uuid = _server(cloud, context, server_id, True)
    with cloud.router.api() as s:
        extra = sq.get_extra(s, uuid)
        if tag not in extra.tags:
            raise errors.NotFound("Tag %s could not be found." % tag)
        sq.save_extra(s, extra.model_copy(update={
            "tags": tuple(t for t in extra.tags if t != tag)}))
    return Response(status_code=204)
