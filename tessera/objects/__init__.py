"""Typed, versioned objects of the control plane (see `base` for the wire form)."""

from tessera.objects.base import REGISTRY, IncompatibleObjectVersion, TesseraObject
from tessera.objects.block_device import BlockDevice, BlockDeviceStatus
from tessera.objects.cell_mapping import (CELL0_UUID, BuildRequest, CellMapping,
                                          HostMapping, InstanceMapping)
from tessera.objects.compute import (ComputeNode, HostState, SchedulingOutcome, Selection,
                                     Service)
from tessera.objects.flavor import Flavor, ImageMeta
from tessera.objects.network_info import InstanceVif, VifAddress
from tessera.objects.instance import (Instance, InstanceFault, Migration, MigrationContext,
                                      MigrationStatus, PowerState, TaskState, VmState)
from tessera.objects.request_spec import (Destination, Rejection, RequestSpec,
                                          RetryAttempt, SchedulerRetries)

__all__ = [
    "CELL0_UUID", "REGISTRY", "BlockDevice", "BlockDeviceStatus", "BuildRequest",
    "CellMapping", "ComputeNode", "Destination",
    "Flavor", "HostMapping", "InstanceVif", "VifAddress", "HostState", "ImageMeta", "IncompatibleObjectVersion",
    "Instance", "InstanceFault", "InstanceMapping", "Migration", "MigrationContext",
    "MigrationStatus", "PowerState", "Rejection", "RequestSpec", "RetryAttempt",
    "SchedulerRetries", "SchedulingOutcome", "Selection", "Service", "TaskState", "TesseraObject", "VmState",
]
