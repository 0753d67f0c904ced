"""Tessera's own admin API, beside the Compute API: explain, capacity, topology and a
guest's domain XML, under `/v2.1/os-tessera/...` (authenticated like the Compute API,
admin by policy), and the read-only topology page (`tessera.web`, at
`/tessera/topology`).

    install(app)      # once, on the app `tessera.api.compute.build_app` made
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from tessera.api.app import COMPUTE_PREFIX
from tessera.api.tessera_admin import capacity, domain, explain, topology

ADMIN_MODULES = (explain, capacity, topology, domain)


def admin_router() -> APIRouter:
    """Every admin route, with paths relative to the version root."""
    router = APIRouter()
    for module in ADMIN_MODULES:
        router.include_router(module.router)
    return router


def install(app: FastAPI) -> FastAPI:
    """Serve the admin API under /v2.1 and the topology page on `app`."""
    from tessera import web
    app.include_router(admin_router(), prefix=COMPUTE_PREFIX)
    app.include_router(web.router)
    return app


__all__ = ["ADMIN_MODULES", "admin_router", "install"]
