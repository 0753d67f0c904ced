"""The Networking API v2.0 subset served at `/network`: version documents, networks,
subnets, ports and security groups (one handler module per resource).

    app.include_router(tessera.network.api.router)
"""

from __future__ import annotations

from tessera.network.api import common, security_groups, versions

router = versions.router
router.include_router(security_groups.router, prefix=common.API_ROOT)

__all__ = ["router"]
