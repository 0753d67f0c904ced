"""Which servers a list shows and how a server of a down cell looks (Nova's
`servers.py` index/detail and its down-cell views).

`visible` asks every cell at once and merges their answers newest first, applies the
list filters, and pages with `limit`/`marker`; a page without filters is pushed down
to the cells. From microversion 2.69 the servers of a cell that does not answer are
listed first with status UNKNOWN (`unknown_summary`, `unknown_detail`) and shown alone
with what the API database knows (`unknown_show`); before 2.69 they are left out.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from sqlalchemy.exc import InterfaceError, OperationalError

from tessera import cells
from tessera.api import authorize, errors
from tessera.api.compute._common import isotime, links, page, parse_limit, time_window
from tessera.api.compute.server_tags import matches_tags
from tessera.api.compute.server_views import KNOWN_STATUSES, ServerView, server_status
from tessera.cells import UnknownServer
from tessera.compute.api import CloudAPI, InstanceNotFound
from tessera.db import errors as db_errors
from tessera.db.api import server_queries as sq
from tessera.network import boot as network_boot
from tessera.objects import Instance

_S = "os_compute_api:servers:"


def visible(cloud: CloudAPI, request: Request, context: Any, detail: bool,
             version: Any) -> tuple[list[Instance | UnknownServer], bool]:
    """The servers this caller may list with the request's filters applied, and
    whether more may follow the page.

    Every cell is asked at once and the answers merged, newest first. From 2.69 the
    servers of a cell that did not answer come first, as `UnknownServer`s (status
    UNKNOWN); before 2.69 they are left out. Either way the request succeeds.
    A page without filters is pushed down to the cells (see `_pushed_down`)."""
    q = request.query_params
    rule = _S + ("detail" if detail else "index")
    authorize(context, rule)
    project: str | None = context.project_id
    if q.get("all_tenants") not in (None, "0", "false", "False"):
        authorize(context, rule + ":get_all_tenants")
        project = q.get("project_id") or q.get("tenant_id")
    elif context.is_admin and (q.get("project_id") or q.get("tenant_id")):
        project = q.get("project_id") or q.get("tenant_id")
    since, before = time_window(q, version)
    limit = parse_limit(q.get("limit"))
    pushed = _pushed_down(cloud, q, project, limit, version)
    if pushed is not None:
        return pushed
    gathered = cells.gather(cloud.router, project)
    servers = gathered.instances
    # changes-since and changes-before list deleted servers too, as in Nova.
    if since is not None or before is not None or (
            context.is_admin and q.get("deleted") in ("True", "true", "1")):
        servers += cells.gather(cloud.router, project, deleted=True).instances
    if since is not None or before is not None:
        servers = [i for i in servers if _changed_within(i, since, before)]
    servers = _filter(cloud, servers, q, context, version)
    # Nova lists newest first (sort_key created_at, sort_dir desc).
    servers.sort(key=cells.sort_key, reverse=True)
    unknown = gathered.unknown if version >= (2, 69) else []
    return page([*unknown, *servers], lambda i: i.uuid, q.get("marker"), limit)


# Query parameters the cells' queries cannot apply: with any of them the listing is
# filtered after the merge, so no page is pushed down.
_FILTERS = frozenset({"status", "name", "host", "node", "ip", "ip6", "flavor", "image",
                      "availability_zone", "tags", "tags-any", "not-tags",
                      "not-tags-any", "changes-since", "changes-before", "deleted"})


def _pushed_down(cloud: CloudAPI, q: Any, project: str | None, limit: int | None,
                 version: Any) -> tuple[list[Instance | UnknownServer], bool] | None:
    """The page asked for by `limit` (and `marker`) with each cell reading at most
    `limit` rows after the marker; None when the query has filters, no limit, or a
    marker that is not a live server of the listing (the full merge then answers,
    with its 400 for an unknown marker)."""
    if limit is None or any(k in q for k in _FILTERS):
        return None
    after = None
    if q.get("marker"):
        try:
            after = cloud.get(q["marker"])
        except (InstanceNotFound, db_errors.NotFound, OperationalError, InterfaceError):
            return None  # not a live server, or in a cell that is down: the full path
        if project is not None and after.project_id != project:
            return None
    gathered = cells.gather(cloud.router, project, limit=limit, after=after)
    unknown = gathered.unknown if version >= (2, 69) else []
    return page([*unknown, *gathered.instances], lambda i: i.uuid, None, limit)


def _changed_within(inst: Instance, since: Any, before: Any) -> bool:
    """Whether the server last changed in [since, before] (either bound optional)."""
    changed = inst.updated_at or inst.created_at
    if changed is None:
        return False
    return (since is None or changed >= since) and (before is None or changed <= before)


def unknown_summary(view: ServerView, server: UnknownServer) -> dict[str, Any]:
    """A server of a cell that did not answer, in `GET /servers` (Nova 2.69)."""
    return {"id": server.uuid, "status": "UNKNOWN",
            "links": links(view.request, "servers", server.uuid, server.project_id)}


def unknown_detail(view: ServerView, server: UnknownServer) -> dict[str, Any]:
    """The same in `GET /servers/detail`: what the API database knows."""
    return {"id": server.uuid, "status": "UNKNOWN", "tenant_id": server.project_id,
            "created": isotime(server.created_at),
            "links": links(view.request, "servers", server.uuid, server.project_id)}


def unknown_show(cloud: CloudAPI, request: Request, context: Any, version: Any,
                  server: UnknownServer) -> dict[str, Any]:
    """`GET /servers/{id}` of a server whose cell does not answer (Nova 2.69): the
    instance mapping and the request spec of the API database."""
    if server.project_id != context.project_id and not context.is_admin:
        raise errors.NotFound("Instance %s could not be found." % server.uuid)
    authorize(context, _S + "show", {"project_id": server.project_id,
                                      "user_id": server.user_id})
    view = ServerView(request, version, context)
    try:
        spec = cloud.request_spec(server.uuid)
    except db_errors.RequestSpecNotFound:  # nothing more is known than the mapping
        return {**unknown_detail(view, server), "user_id": server.user_id or "UNKNOWN"}
    known = Instance(uuid=server.uuid, project_id=server.project_id,
                     user_id=server.user_id or spec.user_id or "UNKNOWN",
                     flavor=spec.flavor, image=spec.image,
                     availability_zone=spec.availability_zone,
                     created_at=server.created_at)
    return view.unknown(known)


def _filter(cloud: CloudAPI, servers: list[Instance], q: Any, context: Any,
            version: Any) -> list[Instance]:
    if "status" in q:
        wanted = {s.upper() for s in q.getlist("status")}
        if version >= (2, 38) and not wanted <= KNOWN_STATUSES:
            raise errors.BadRequest("Invalid status value")
        servers = [i for i in servers if server_status(i) in wanted]
    if "name" in q:
        try:
            pattern = re.compile(q["name"])
        except re.error:
            raise errors.BadRequest("Invalid regular expression for name: %s"
                                    % q["name"]) from None
        servers = [i for i in servers if pattern.search(i.display_name)]
    if context.is_admin and "host" in q:
        servers = [i for i in servers if i.host == q["host"]]
    if context.is_admin and "node" in q:
        servers = [i for i in servers if i.node == q["node"]]
    # Regular expressions over the servers' IPv4 / IPv6 addresses (ip6 for non-admins
    # only from 2.5, as in Nova; before, it was ignored).
    if "ip" in q:
        servers = network_boot.with_address(servers, q["ip"], 4)
    if "ip6" in q and (context.is_admin or version >= (2, 5)):
        servers = network_boot.with_address(servers, q["ip6"], 6)
    if "flavor" in q:
        servers = [i for i in servers if i.flavor.flavorid == q["flavor"]]
    if "image" in q:
        ref = q["image"].rstrip("/").rsplit("/", 1)[-1]
        servers = [i for i in servers if i.image.id == ref]
    if "availability_zone" in q:
        servers = [i for i in servers if (i.availability_zone or "nova")
                   == q["availability_zone"]]
    if version >= (2, 26) and any(k in q for k in ("tags", "tags-any", "not-tags",
                                                   "not-tags-any")):
        with cloud.router.api() as session:
            extras = sq.get_extras(session, [i.uuid for i in servers])
        servers = [i for i in servers if matches_tags(extras[i.uuid].tags, q)]
    return servers
