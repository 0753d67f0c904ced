"""The compute resource handlers, one module per resource, and `build_app`: the
Compute API app serving a running cloud (`CloudAPI`), with the built-in image list
and the identity version document beside it.

    app = build_app(aio.api)          # an AllInOne's CloudAPI
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI

from tessera.api.app import Settings, create_app
from tessera.api.compute import (availability_zones, extra_specs, flavors, hypervisors,
                                 identity, images, instance_actions, keypairs, limits,
                                 server_actions, server_ips, server_metadata, server_tags,
                                 servers,
                                 services,
                                 volume_attachments)
from tessera.compute.api import CloudAPI
from tessera.network import api as network_api
from tessera.volume import api as volume_api

# Order matters where paths overlap: /servers/detail before /servers/{id}.
COMPUTE_MODULES = (servers, server_actions, server_tags, server_ips, server_metadata,
                   instance_actions, flavors,
                   extra_specs, hypervisors, services, keypairs, availability_zones,
                   limits, volume_attachments)


def build_app(cloud: CloudAPI, settings: Settings | None = None,
              quotas: Mapping[str, int] | None = None) -> FastAPI:
    """The Compute API app for `cloud`. `quotas` overrides Nova's default
    per-project quotas (instances, cores, ram, ...)."""
    app = create_app(settings, routers=COMPUTE_MODULES)
    app.include_router(images.router)
    app.include_router(identity.router)
    network_api.install(app)
    app.include_router(volume_api.router)
    from tessera.api import tessera_admin  # Tessera's admin API and topology page
    tessera_admin.install(app)
    app.state.cloud = cloud
    if quotas:
        cloud.quota_overrides = dict(quotas)  # type: ignore[attr-defined]
    return app


__all__ = ["COMPUTE_MODULES", "build_app"]
