"""What fits (admin): how many more guests of each flavor fit, where, and what blocks.

    GET /v2.1/os-tessera/capacity?flavor=F[&flavor=G ...][&image=I]

Each flavor is answered on its own, from today's usage: `count`, per host its count
and the guest cells each host cell would take, and `blocked_by` (per resource, the
hosts where it stops one more guest). Packing uses the scheduler's filters, fitter
and usage accounting on copies of the host states (`tessera.explain.capacity`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from tessera.api import Context, authorize, errors
from tessera.api.tessera_admin._common import PREFIX, View, translated

router = APIRouter(tags=["tessera-admin"])


@router.get(PREFIX + "/capacity", summary="How many more guests of each flavor fit (admin)")
def show(context: Context, view: View, flavor: list[str] = Query(default=[]),
         image: str | None = None) -> dict[str, Any]:
    authorize(context, "tessera:capacity")
    if not flavor:
        raise errors.BadRequest("At least one flavor query parameter is required.")
    with translated():
        return {"capacity": view.capacity(flavor, image)}
