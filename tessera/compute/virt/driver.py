"""The interface between the compute service and a hypervisor.

A driver reports its host (NUMA topology without usage, and capacity) and runs guests
with the placement the resource tracker claimed for them. Calls may take time (a real
hypervisor boots a guest in seconds); the compute service makes them from a worker
thread and records the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Protocol

from tessera.numa.host import Host
from tessera.numa.placement import Placement
from tessera.objects import Instance, PowerState


class VirtError(Exception):
    """The hypervisor failed an operation; the message says why."""


class BuildFailed(VirtError):
    """A guest could not be built on this host (the build may be rescheduled)."""


class GuestNotFound(VirtError):
    pass


class QuiesceFailed(VirtError):
    """The image requires a quiesced snapshot (`os_require_quiesce`) and the guest's
    filesystems could not be frozen; no snapshot was taken, the guest keeps running."""


class Quiesce(str, Enum):
    """Whether a snapshot freezes the guest's filesystems through the guest agent."""

    NO = "no"            # no agent: a crash-consistent snapshot
    TRY = "try"          # hw_qemu_guest_agent=yes: freeze if the agent answers
    REQUIRE = "require"  # os_require_quiesce=yes: freeze or fail with QuiesceFailed


@dataclass(frozen=True)
class SnapshotImage:
    """What `snapshot` produced: a file with the guest's root disk at that moment,
    ready to upload as an image."""

    path: Path
    disk_format: str  # "qcow2" or "raw"
    quiesced: bool


@dataclass(frozen=True)
class NodeResources:
    """A hypervisor's capacity. `vcpus` counts the CPUs floating guests run on
    (`cpu_shared_set`); dedicated CPUs are in the NUMA topology."""

    hypervisor_hostname: str
    hypervisor_type: str
    hypervisor_version: int
    vcpus: int
    memory_mb: int
    local_gb: int


class ComputeDriver(Protocol):
    def host_topology(self) -> Host:
        """The host's NUMA cells, CPUs, page pools and devices, with no guest usage."""

    def node_resources(self) -> NodeResources: ...

    def spawn(self, instance: Instance, placement: Placement | None) -> None:
        """Build and start the guest; raise BuildFailed when it cannot be built."""

    def destroy(self, instance: Instance) -> None:
        """Stop and remove the guest; a guest that is not there is not an error."""

    def power_off(self, instance: Instance) -> None: ...

    def power_on(self, instance: Instance) -> None: ...

    def reboot(self, instance: Instance, hard: bool = False) -> None: ...

    def power_state(self, instance: Instance) -> PowerState: ...

    def list_instances(self) -> list[str]:
        """The uuids of the guests the hypervisor holds."""

    def snapshot(self, instance: Instance, workdir: Path, *,
                 quiesce: Quiesce) -> SnapshotImage:
        """Write the guest's root disk as it is now into a file under `workdir`,
        freezing (and always thawing) its filesystems as `quiesce` says; raise
        QuiesceFailed when a required freeze cannot be done."""
