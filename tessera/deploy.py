"""Assembling Tessera's services: the databases, the conductor, the scheduler and one
compute service per host, in one process (the all-in-one) or one per process.

`Settings` says where things are; `prepare` brings the databases to head and maps
cell0 and the first cell; the `*_service` functions build ready-to-start services;
`AllInOne` runs them all together on one message transport.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from oslo_config import cfg

from tessera.compute.api import CloudAPI
from tessera.compute.manager import ComputeManager
from tessera.compute.resource_tracker import Ratios
from tessera.compute.rpcapi import TOPIC as COMPUTE_TOPIC
from tessera.compute.virt.fake import FakeDriver
from tessera.conductor.manager import ConductorManager
from tessera.conductor.rpcapi import TOPIC as CONDUCTOR_TOPIC
from tessera.conductor.rpcapi import ConductorAPI
from tessera.db import cells as cell_admin
from tessera.db import errors as db_errors
from tessera.db.migrate import sync_api, sync_cell
from tessera.image.sink import StoreSink
from tessera.numa.fit import Strategy
from tessera.objects import CellMapping
from tessera.routing import CellRouter
from tessera.rpc import get_transport
from tessera.scheduler.filters import load_filters
from tessera.scheduler.manager import SchedulerManager
from tessera.scheduler.rpcapi import TOPIC as SCHEDULER_TOPIC
from tessera.scheduler.rpcapi import SchedulerAPI
from tessera.scheduler.weighers import load_weighers
from tessera.volume.client import VolumeClient
from tessera.service import Service, stop_services

LOG = logging.getLogger(__name__)


@dataclass
class Settings:
    api_db: str
    cell_db: str
    transport_url: str = "fake://"
    cell_name: str = "cell1"
    hosts: list[dict[str, Any]] = field(default_factory=list)
    fake_delay: float = 0.0
    strategy: Strategy = Strategy.SPREAD
    max_attempts: int = 3
    ratios: Ratios = Ratios()
    service_down_time: float = 60.0
    report_interval: float = 10.0
    sync_power_state_interval: float = 600.0
    allow_resize_to_same_host: bool = False
    discover_hosts_interval: float = -1
    enabled_filters: Sequence[str] | None = None
    weighers: Sequence[str] | None = None
    conf: cfg.ConfigOpts | None = None
    driver: str = "fake"

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts, hosts: list[dict[str, Any]] | None = None
                  ) -> "Settings":
        return cls(
            api_db=conf.api_database.connection, cell_db=conf.database.connection,
            transport_url=conf.transport_url,
            hosts=hosts if hosts is not None else load_hosts(conf.compute.fake_hosts_file),
            fake_delay=conf.compute.fake_spawn_delay,
            strategy=Strategy(conf.scheduler.placement_strategy),
            max_attempts=conf.scheduler.max_attempts,
            ratios=Ratios(conf.compute.cpu_allocation_ratio,
                          conf.compute.ram_allocation_ratio,
                          conf.compute.disk_allocation_ratio),
            service_down_time=conf.compute.service_down_time,
            report_interval=conf.compute.report_interval,
            sync_power_state_interval=conf.compute.sync_power_state_interval,
            allow_resize_to_same_host=conf.compute.allow_resize_to_same_host,
            discover_hosts_interval=conf.scheduler.discover_hosts_in_cells_interval,
            enabled_filters=conf.scheduler.enabled_filters,
            weighers=conf.scheduler.weighers, conf=conf, driver=conf.compute.driver)


def load_hosts(path: str | Path) -> list[dict[str, Any]]:
    """The host descriptions of a hosts file (`etc/hosts.yaml` form)."""
    return list(yaml.safe_load(Path(path).read_text())["hosts"])


def prepare(settings: Settings) -> CellMapping:
    """Bring both databases (and cell0's) to head and map cell0 and the first cell;
    running it again changes nothing."""
    sync_api(settings.api_db)
    sync_cell(settings.cell_db)
    cell_admin.map_cell0(settings.api_db, settings.cell_db)
    for cell in cell_admin.list_cells(settings.api_db):
        if not cell.is_cell0 and cell.name == settings.cell_name:
            return cell
    try:
        return cell_admin.create_cell(settings.api_db, name=settings.cell_name,
                                      transport_url=settings.transport_url,
                                      database_connection=settings.cell_db)
    except db_errors.CellMappingExists:
        return next(c for c in cell_admin.list_cells(settings.api_db)
                    if not c.is_cell0)


def conductor_service(settings: Settings) -> Service:
    transport = get_transport(settings.transport_url, settings.conf)
    router = CellRouter(settings.api_db, settings.conf)
    manager = ConductorManager(router, SchedulerAPI(transport), settings.max_attempts,
                               settings.allow_resize_to_same_host)
    return Service(transport, CONDUCTOR_TOPIC, [manager], host="conductor")


def scheduler_service(settings: Settings) -> Service:
    transport = get_transport(settings.transport_url, settings.conf)
    router = CellRouter(settings.api_db, settings.conf)
    filters = load_filters(settings.enabled_filters) if settings.enabled_filters else None
    weighers = load_weighers(settings.weighers) if settings.weighers else None
    manager = SchedulerManager(router, filters, weighers, settings.strategy,
                               settings.max_attempts, settings.service_down_time)
    service = Service(transport, SCHEDULER_TOPIC, [manager], host="scheduler")
    if settings.discover_hosts_interval > 0:
        service.add_periodic_task(lambda: cell_admin.discover_hosts(settings.api_db),
                                  settings.discover_hosts_interval)
    return service


def compute_service(settings: Settings, description: Mapping[str, Any]) -> Service:
    """The compute service of one simulated host (the fake driver)."""
    return _compute(settings, FakeDriver(description, delay=settings.fake_delay))


def libvirt_compute_service(settings: Settings) -> Service:
    """The compute service of this machine on the libvirt driver (`[libvirt]` and
    `[compute]` options of `settings.conf`, or their defaults)."""
    from tessera.compute.virt.libvirt.config import driver_from_conf
    from tessera.conf import make_conf

    return _compute(settings, driver_from_conf(settings.conf or make_conf()))


def _compute(settings: Settings, driver: Any) -> Service:
    transport = get_transport(settings.transport_url, settings.conf)
    manager = ComputeManager(driver.name, driver, settings.cell_db, transport,
                             settings.ratios, settings.strategy,
                             images=StoreSink(settings.api_db))
    manager.volumes = VolumeClient(settings.api_db)
    manager.init_host()
    service = Service(transport, COMPUTE_TOPIC, [manager], host=driver.name)
    # spread the hosts' reports over the interval rather than all at one tick
    service.add_periodic_task(manager.report, settings.report_interval,
                              initial_delay=random.uniform(0.5, 1.0) * settings.report_interval)
    if settings.sync_power_state_interval > 0:
        service.add_periodic_task(manager.sync_power_states,
                                  settings.sync_power_state_interval,
                                  initial_delay=settings.sync_power_state_interval)
    service.manager = manager  # type: ignore[attr-defined]
    return service


class AllInOne:
    """Every service in this process, on one transport; `api` is the way in."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.services: list[Service] = []
        self.router = CellRouter(settings.api_db, settings.conf)
        self.api = CloudAPI(self.router, ConductorAPI(
            get_transport(settings.transport_url, settings.conf)))

    def start(self) -> "AllInOne":
        prepare(self.settings)
        self.services = [conductor_service(self.settings), scheduler_service(self.settings)]
        if self.settings.driver == "libvirt":
            self.services.append(libvirt_compute_service(self.settings))
        else:
            self.services += [compute_service(self.settings, h) for h in self.settings.hosts]
        for s in self.services:
            s.start()
        cell_admin.discover_hosts(self.settings.api_db)
        return self

    def computes(self) -> dict[str, ComputeManager]:
        return {s.host: s.manager for s in self.services  # type: ignore[attr-defined]
                if hasattr(s, "manager")}

    def stop(self) -> None:
        stop_services(list(reversed(self.services)))
        self.services = []

    def __enter__(self) -> "AllInOne":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
