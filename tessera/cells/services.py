"""The services of one cell beside the API-level ("super") conductor and scheduler.

Compute hosts listen on their own cell's transport and write their own cell's
database, so hosts in different cells never see each other's messages. What they send
up (a failed build to reschedule) goes to a conductor on that same cell transport:
`cell_conductor_service` is that conductor, which reaches the scheduler on the API
transport and the cells through their mappings.
"""

from __future__ import annotations

from tessera.conductor.manager import ConductorManager
from tessera.conductor.rpcapi import TOPIC as CONDUCTOR_TOPIC
from tessera.deploy import Settings
from tessera.routing import CellRouter
from tessera.rpc import get_transport
from tessera.scheduler.rpcapi import SchedulerAPI
from tessera.service import Service


def cell_conductor_service(settings: Settings, cell_transport_url: str) -> Service:
    """A conductor serving `cell_transport_url` (a cell's bus); `settings` are the
    API level's (its transport is where the scheduler listens)."""
    router = CellRouter(settings.api_db, settings.conf)
    scheduler = SchedulerAPI(get_transport(settings.transport_url, settings.conf))
    manager = ConductorManager(router, scheduler, settings.max_attempts,
                               settings.allow_resize_to_same_host)
    return Service(get_transport(cell_transport_url, settings.conf), CONDUCTOR_TOPIC,
                   [manager], host="conductor")
