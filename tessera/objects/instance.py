"""Instances, their faults, and migrations (resize and cold migration)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum, IntEnum

from pydantic import Field

from tessera.numa.placement import Placement
from tessera.objects.base import TesseraObject
from tessera.objects.block_device import BlockDevice
from tessera.objects.flavor import Flavor, ImageMeta
from tessera.objects.network_info import InstanceVif


class VmState(str, Enum):
    BUILDING = "building"
    ACTIVE = "active"
    STOPPED = "stopped"
    RESIZED = "resized"
    ERROR = "error"
    DELETED = "deleted"


class TaskState(str, Enum):
    SCHEDULING = "scheduling"
    BLOCK_DEVICE_MAPPING = "block_device_mapping"
    NETWORKING = "networking"
    SPAWNING = "spawning"
    RESIZE_PREP = "resize_prep"
    RESIZE_MIGRATING = "resize_migrating"
    RESIZE_MIGRATED = "resize_migrated"
    RESIZE_FINISH = "resize_finish"
    RESIZE_REVERTING = "resize_reverting"
    RESIZE_CONFIRMING = "resize_confirming"
    REBOOTING = "rebooting"
    POWERING_OFF = "powering-off"
    POWERING_ON = "powering-on"
    DELETING = "deleting"
    IMAGE_SNAPSHOT = "image_snapshot"
    IMAGE_PENDING_UPLOAD = "image_pending_upload"
    IMAGE_UPLOADING = "image_uploading"
    REBUILDING = "rebuilding"


class PowerState(IntEnum):
    NOSTATE = 0
    RUNNING = 1
    PAUSED = 3
    SHUTDOWN = 4
    CRASHED = 6
    SUSPENDED = 7


class MigrationContext(TesseraObject):
    """A move in flight: the placement claimed on the destination and the one to go
    back to on revert."""

    migration_uuid: str
    source_host: str
    dest_host: str
    new_placement: Placement | None = None
    old_placement: Placement | None = None


class Instance(TesseraObject):
    uuid: str
    display_name: str = ""
    project_id: str
    user_id: str
    host: str | None = None
    node: str | None = None
    availability_zone: str | None = None
    flavor: Flavor
    old_flavor: Flavor | None = None
    new_flavor: Flavor | None = None
    image: ImageMeta = Field(default_factory=ImageMeta)
    vm_state: VmState = VmState.BUILDING
    task_state: TaskState | None = TaskState.SCHEDULING
    power_state: PowerState = PowerState.NOSTATE
    placement: Placement | None = None
    migration_context: MigrationContext | None = None
    key_name: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    # The certificate ids a user asked to verify the image with (microversion 2.63);
    # stored and shown, not verified (Tessera's images carry no signatures).
    trusted_certs: tuple[str, ...] | None = None
    # The addresses a user says reach the server (accessIPv4/accessIPv6); shown only.
    access_ip_v4: str | None = None
    access_ip_v6: str | None = None
    user_data: str | None = None  # base64, as given at create or rebuild; not served
    created_at: datetime | None = None
    updated_at: datetime | None = None
    launched_at: datetime | None = None
    terminated_at: datetime | None = None
    deleted: bool = False
    vifs: list[InstanceVif] = Field(default_factory=list)  # its ports, in order
    # Filled from the cell's block_device_mappings when a compute host reads the
    # instance (`tessera.db.cell.block_devices.with_block_devices`); never part of
    # the stored body, so a stale copy cannot overwrite an attach.
    block_devices: list[BlockDevice] = Field(default_factory=list, exclude=True)

    @property
    def instance_name(self) -> str:
        """The guest's name on its hypervisor (the libvirt domain's name)."""
        return "instance-" + self.uuid


class InstanceFault(TesseraObject):
    instance_uuid: str
    code: int
    message: str
    details: str = ""
    host: str | None = None
    created_at: datetime | None = None


class MigrationStatus(str, Enum):
    PRE_MIGRATING = "pre-migrating"
    MIGRATING = "migrating"
    POST_MIGRATING = "post-migrating"
    FINISHED = "finished"
    CONFIRMING = "confirming"
    CONFIRMED = "confirmed"
    REVERTING = "reverting"
    REVERTED = "reverted"
    ERROR = "error"
    FAILED = "failed"


class Migration(TesseraObject):
    uuid: str
    instance_uuid: str
    migration_type: str  # "resize" | "migration"
    status: MigrationStatus = MigrationStatus.PRE_MIGRATING
    source_compute: str
    dest_compute: str | None = None
    source_node: str | None = None
    dest_node: str | None = None
    old_flavor: Flavor
    new_flavor: Flavor
    created_at: datetime | None = None
    updated_at: datetime | None = None
