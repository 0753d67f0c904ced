"""Who owns what (admin): every host's NUMA cells, each pCPU with its siblings and
owner (shared, free, pinned vCPU, isolated sibling, emulator thread), page pools and
PCI devices per cell, and the guests on the host.

    GET /v2.1/os-tessera/topology            every host
    GET /v2.1/os-tessera/topology/{host}     one host (host or hypervisor name)

The topology page (`tessera.web`) polls the first.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tessera.api import Context, authorize
from tessera.api.tessera_admin._common import PREFIX, View, translated

router = APIRouter(tags=["tessera-admin"])


@router.get(PREFIX + "/topology", summary="Every host's pCPU ownership (admin)")
def index(context: Context, view: View) -> dict[str, Any]:
    authorize(context, "tessera:topology")
    return {"hosts": view.topology()}


@router.get(PREFIX + "/topology/{host}", summary="One host's pCPU ownership (admin)")
def show(host: str, context: Context, view: View) -> dict[str, Any]:
    authorize(context, "tessera:topology")
    with translated():
        [body] = view.topology(host)
    return {"host": body}
