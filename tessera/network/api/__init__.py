"""The Networking API v2.0 subset served at `/network`: version documents, networks,
subnets, ports and security groups (one handler module per resource).

    tessera.network.api.install(app)
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tessera.api import errors as api_errors
from tessera.network import errors
from tessera.network.api import (common, extensions, networks, ports, security_groups,
                                 subnets, versions)

router = versions.router
for _module in (networks, subnets, ports, security_groups, extensions):
    router.include_router(_module.router, prefix=common.API_ROOT)

__all__ = ["install", "router"]


def install(app: FastAPI) -> None:
    """Serve the Networking API on `app`, and answer any networking service error that
    escapes a handler (e.g. a server create that runs out of addresses) with its
    OpenStack fault."""
    app.include_router(router)
    app.add_exception_handler(errors.NetworkError, _fault)


async def _fault(request: Request, exc: Exception) -> JSONResponse:
    code = (404 if isinstance(exc, errors.NotFound) else
            409 if isinstance(exc, errors.Conflict) else 400)
    return api_errors.fault_response(code, str(exc))
