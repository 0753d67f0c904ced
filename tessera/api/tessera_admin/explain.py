"""Why not here (admin): per host, which filter refused a server or a flavor, and why.

    GET /v2.1/os-tessera/servers/{server_id}/explain
        what the scheduler recorded when it last placed the server (its persisted
        RequestSpec's rejections and retries) and a dry run of that request now
    GET /v2.1/os-tessera/explain?flavor=F[&image=I]
        a dry run for one guest of a flavor (id or name) and image, without booting

Each host's `blockers` name the filter, the resource (cpu, siblings, pages, memory,
pci, disk, service, ...) and, for the NUMA filter, the host cell.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tessera.api import Context, authorize, errors
from tessera.api.tessera_admin._common import PREFIX, View, translated

router = APIRouter(tags=["tessera-admin"])


@router.get(PREFIX + "/servers/{server_id}/explain",
            summary="Why a server is (or is not) placed where it is (admin)")
def explain_server(server_id: str, context: Context, view: View) -> dict[str, Any]:
    authorize(context, "tessera:explain:server")
    with translated():
        return {"explanation": view.explain_server(server_id)}


@router.get(PREFIX + "/explain", summary="Dry-run a flavor and image on every host (admin)")
def explain_flavor(context: Context, view: View, flavor: str | None = None,
                   image: str | None = None) -> dict[str, Any]:
    authorize(context, "tessera:explain:dry_run")
    if not flavor:
        raise errors.BadRequest("The flavor query parameter is required.")
    with translated():
        return {"explanation": view.explain_spec(view.spec_for(flavor, image))}
