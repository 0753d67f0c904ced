"""Why a flavor + image cannot become a `GuestRequest`.

Every error is an `InvalidRequest` (a `ValueError`) that names the extra spec or image
property at fault, the value given and what would have been allowed, so the API can
turn any of them into one 400 with a message a user can act on. Subclasses carry Nova's
exception names so the API edge can map them the way Nova's
`INVALID_FLAVOR_IMAGE_EXCEPTIONS` does.
"""

from __future__ import annotations

from typing import Any


class InvalidRequest(ValueError):
    """`key` (None when the fault is not one key's) has `value`; `allowed` says what
    would be accepted. `source` names the flavor or image, when known."""

    def __init__(self, key: str | None, value: Any, allowed: str,
                 source: str | None = None) -> None:
        self.key = key
        self.value = value
        self.allowed = allowed
        self.source = source
        super().__init__(_message(key, value, allowed, source))


def _message(key: str | None, value: Any, allowed: str, source: str | None) -> str:
    where = "%s: " % source if source else ""
    what = "Invalid %s" % key if key else "Invalid value"
    return "%s%s %s: must be %s" % (where, what, _show(value), allowed)


def _show(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, (set, frozenset)):
        return "{%s}" % ", ".join(str(v) for v in sorted(value))
    return repr(value)


class InvalidCPUSpec(InvalidRequest):
    """A CPU-spec string (`0-3,^2`) that does not parse."""


class InvalidCPUAllocationPolicy(InvalidRequest):
    """`hw:cpu_policy` / `hw_cpu_policy` outside shared|dedicated|mixed."""


class InvalidCPUThreadAllocationPolicy(InvalidRequest):
    """A thread policy outside its key's value set."""


class CPUThreadPolicyConfigurationInvalid(InvalidRequest):
    """A thread policy on a guest whose vCPUs are not pinned."""


class ConflictingThreadPolicies(InvalidRequest):
    """Tessera-only: both `hw:cpu_thread_policy` and the seed's `hw:cpu_threads_policy`
    (or both image keys) are given."""


class InvalidEmulatorThreadsPolicy(InvalidRequest):
    """`hw:emulator_threads_policy` outside share|isolate."""


class BadRequirementEmulatorThreadsPolicy(InvalidRequest):
    """Isolated emulator threads on a guest whose vCPUs are not pinned."""


class ImageCPUPinningForbidden(InvalidRequest):
    """The image asks for pinning the flavor does not allow."""


class ImageCPUThreadPolicyForbidden(InvalidRequest):
    """The image asks for a thread policy other than the flavor's."""


class RealtimeConfigurationInvalid(InvalidRequest):
    """Realtime asked for on unpinned vCPUs, or a bad `hw:cpu_realtime` value."""


class RealtimeMaskNotFoundOrInvalid(InvalidRequest):
    """The realtime vCPU set is empty, out of range, or leaves no housekeeping vCPU."""


class RequiredMixedInstancePolicy(InvalidRequest):
    """`hw:cpu_dedicated_mask` without `hw:cpu_policy=mixed`."""


class RequiredMixedOrRealtimeCPUMask(InvalidRequest):
    """A mixed guest must give exactly one of the dedicated or the realtime mask."""


class InvalidMixedInstanceDedicatedMask(InvalidRequest):
    """The dedicated mask is out of range or pins all or none of the vCPUs."""


class InvalidNUMANodesNumber(InvalidRequest):
    """A NUMA node count that is not an integer in 1..min(vcpus, 128)."""


class ImageNUMATopologyForbidden(InvalidRequest):
    """The image sets NUMA topology the flavor already sets."""


class ImageNUMATopologyAsymmetric(InvalidRequest):
    """vCPUs or RAM do not divide evenly over the nodes."""


class ImageNUMATopologyIncomplete(InvalidRequest):
    """The per-node CPU and memory lists do not cover exactly the nodes asked for."""


class ImageNUMATopologyCPUOutOfRange(InvalidRequest):
    """A node lists a vCPU the guest does not have."""


class ImageNUMATopologyCPUDuplicates(InvalidRequest):
    """A vCPU is listed in two nodes."""


class ImageNUMATopologyCPUsUnassigned(InvalidRequest):
    """Some vCPUs are in no node."""


class ImageNUMATopologyMemoryOutOfRange(InvalidRequest):
    """Per-node memory is not positive or does not add up to the flavor's RAM."""


class MemoryPageSizeInvalid(InvalidRequest):
    """A page size that does not parse to a whole, positive number of KiB."""


class MemoryPageSizeForbidden(InvalidRequest):
    """The image asks for a page size the flavor does not let it choose."""


class InvalidPCINUMAAffinity(InvalidRequest):
    """A PCI NUMA affinity policy outside legacy|required|preferred|socket."""


class ImagePCINUMAPolicyForbidden(InvalidRequest):
    """Flavor and image give different PCI NUMA affinity policies."""
