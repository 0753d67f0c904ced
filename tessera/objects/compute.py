"""Services and compute nodes as the cell database knows them, and what the scheduler
sees of a host (`HostState`)."""

from __future__ import annotations

from datetime import datetime

from tessera.numa.host import Host
from tessera.numa.placement import Placement
from tessera.objects.base import TesseraObject
from tessera.objects.request_spec import Rejection


class Service(TesseraObject):
    host: str
    binary: str
    topic: str | None = None
    disabled: bool = False
    disabled_reason: str | None = None
    forced_down: bool = False
    last_seen_up: datetime | None = None
    report_count: int = 0
    version: int = 1


class ComputeNode(TesseraObject):
    """One hypervisor: its capacity, its NUMA topology with current usage, and a
    generation that every usage write must match (optimistic concurrency)."""

    uuid: str
    host: str
    hypervisor_hostname: str
    hypervisor_type: str = "fake"
    hypervisor_version: int = 1
    vcpus: int
    memory_mb: int
    local_gb: int
    vcpus_used: int = 0
    memory_mb_used: int = 0
    local_gb_used: int = 0
    cpu_allocation_ratio: float = 4.0
    ram_allocation_ratio: float = 1.0
    disk_allocation_ratio: float = 1.0
    numa: Host
    generation: int = 0
    running_vms: int = 0
    updated_at: datetime | None = None


class HostState(TesseraObject):
    """A host as the scheduler weighs it: its compute node, its service's state, its
    cell and availability zone, and the instances it holds."""

    compute_node: ComputeNode
    cell_uuid: str
    service_up: bool = True
    service_disabled: bool = False
    disabled_reason: str | None = None
    availability_zone: str | None = None
    instance_uuids: frozenset[str] = frozenset()

    @property
    def host(self) -> str:
        return self.compute_node.host

    @property
    def nodename(self) -> str:
        return self.compute_node.hypervisor_hostname


class Selection(TesseraObject):
    """Where the scheduler put one instance, with the NUMA placement it computed."""

    service_host: str
    nodename: str
    compute_node_uuid: str
    cell_uuid: str
    availability_zone: str | None = None
    placement: Placement | None = None


class SchedulingOutcome(TesseraObject):
    """The scheduler's answer over RPC: one list per instance (the chosen host first,
    then alternates), every rejection, and the error when some instance found no host."""

    selections: list[list[Selection]] = []
    rejections: list[Rejection] = []
    error: str | None = None
