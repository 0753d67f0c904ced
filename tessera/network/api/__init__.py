"""The Networking API v2.0 subset served at `/network`: version documents, networks,
subnets, ports and security groups (one handler module per resource).

    app.include_router(tessera.network.api.router)
"""

from __future__ import annotations

from tessera.network.api import (common, extensions, networks, ports, security_groups,
                                 subnets, versions)

router = versions.router
for _module in (networks, subnets, ports, security_groups, extensions):
    router.include_router(_module.router, prefix=common.API_ROOT)

__all__ = ["router"]
