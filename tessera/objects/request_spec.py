"""The RequestSpec: everything the scheduler needs to place one or more instances.

It is built once at boot, persisted in the API database and reused, updated, for every
later move (resize, cold migration), so a moved guest is placed under the same rules
as at boot. `numa_topology` holds the guest's resolved placement request (from the
flavor, the image and the PCI requests); a resize recomputes it for the new flavor.
Unlike upstream, the retry history and the last scheduling's rejections are kept with
the spec, so a failed or rescheduled build can be explained later.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import Field

from tessera.numa.constraints import build_request
from tessera.numa.request import GuestRequest, PciRequest
from tessera.objects.base import TesseraObject
from tessera.objects.flavor import Flavor, ImageMeta


class Destination(TesseraObject):
    host: str | None = None
    node: str | None = None
    cell_uuid: str | None = None


class Rejection(TesseraObject):
    """One host refused by one filter, and why."""

    host: str
    filter: str
    reason: str


class RetryAttempt(TesseraObject):
    host: str
    node: str | None = None
    reason: str


class SchedulerRetries(TesseraObject):
    num_attempts: int = 0
    attempts: list[RetryAttempt] = Field(default_factory=list)

    @property
    def hosts(self) -> list[str]:
        return [a.host for a in self.attempts]


NOT_PERSISTED = ("ignore_hosts", "requested_destination")


class RequestSpec(TesseraObject):
    instance_uuid: str
    flavor: Flavor
    image: ImageMeta = Field(default_factory=ImageMeta)
    numa_topology: GuestRequest
    pci_requests: list[PciRequest] = Field(default_factory=list)
    project_id: str | None = None
    user_id: str | None = None
    availability_zone: str | None = None
    num_instances: int = 1
    ignore_hosts: list[str] = Field(default_factory=list)
    force_hosts: list[str] = Field(default_factory=list)
    force_nodes: list[str] = Field(default_factory=list)
    requested_destination: Destination | None = None
    retry: SchedulerRetries = Field(default_factory=SchedulerRetries)
    scheduler_hints: dict[str, list[str]] = Field(default_factory=dict)
    security_groups: list[str] = Field(default_factory=list)
    is_bfv: bool = False
    rejections: list[Rejection] = Field(default_factory=list)

    @classmethod
    def build(cls, instance_uuid: str, flavor: Flavor, image: ImageMeta | None = None,
              pci_requests: Iterable[PciRequest] = (), **fields: Any) -> "RequestSpec":
        """A spec for a new instance; raises `tessera.numa.errors.InvalidRequest` when
        the flavor and image ask for something invalid."""
        image = image or ImageMeta()
        pci = list(pci_requests)
        topology = build_request(flavor.as_numa_flavor(), image.as_numa_image(), pci)
        return cls(instance_uuid=instance_uuid, flavor=flavor, image=image,
                   numa_topology=topology, pci_requests=pci, **fields)

    @property
    def vcpus(self) -> int:
        return self.flavor.vcpus

    @property
    def memory_mb(self) -> int:
        return self.flavor.memory_mb

    @property
    def root_gb(self) -> int:
        return self.flavor.root_gb

    @property
    def ephemeral_gb(self) -> int:
        return self.flavor.ephemeral_gb

    def hint(self, name: str, default: Any = None) -> Any:
        """A scheduler hint's single value (hints are stored as lists)."""
        values = self.scheduler_hints.get(name)
        if not values:
            return default
        return values[0] if len(values) == 1 else values

    def with_flavor(self, flavor: Flavor) -> "RequestSpec":
        """The spec for a resize: the new flavor and its recomputed topology."""
        topology = build_request(flavor.as_numa_flavor(), self.image.as_numa_image(),
                                 self.pci_requests)
        return self.model_copy(update={"flavor": flavor, "numa_topology": topology})

    def with_retry(self, host: str, node: str | None, reason: str) -> "RequestSpec":
        attempts = self.retry.attempts + [RetryAttempt(host=host, node=node, reason=reason)]
        return self.model_copy(update={"retry": SchedulerRetries(
            num_attempts=self.retry.num_attempts + 1, attempts=attempts)})

    def for_move(self, ignore_hosts: Iterable[str] = (),
                 destination: Destination | None = None) -> "RequestSpec":
        """Ready for a new scheduling: retries cleared, hosts to avoid set."""
        return self.model_copy(update={"ignore_hosts": list(ignore_hosts),
                                       "requested_destination": destination,
                                       "retry": SchedulerRetries(), "rejections": []})

    def to_persisted(self) -> "RequestSpec":
        """The spec as stored: per-request fields blanked."""
        return self.model_copy(update={"ignore_hosts": [], "requested_destination": None})
