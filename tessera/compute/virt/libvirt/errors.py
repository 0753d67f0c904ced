"""What goes wrong in the libvirt driver, named for what went wrong."""

from __future__ import annotations

from tessera.compute.virt.driver import BuildFailed, VirtError


class HostDiscoveryError(VirtError):
    """The host's capabilities or the configured CPU sets / reserved pages do not make
    a usable host (no NUMA cells, a configured CPU that is not there, ...)."""


class PlacementMismatch(BuildFailed):
    """libvirt holds a guest whose pins, cells or pages differ from the placement the
    XML asked for (libvirt silently drops a pin for a vCPU the guest does not have)."""


class InvalidDevice(VirtError):
    """A VIF or disk description that cannot become domain XML."""
