"""The libvirt virt driver.

- `discovery.build_host`: capabilities + node-device XML + configuration → `Host`
  (pure; `caps` and `nodedev` parse the two documents);
- `guest.build_domain`: instance + placement → `DomainSpec` from the typed builders of
  `xml` (one module per element family), then `to_xml()`;
- `readback.check_placement`: the XML libvirt holds carries the placement, or
  `PlacementMismatch`;
- `snapshot.take`: a guest's root disk into an image file, frozen and thawed through
  the guest agent as the quiesce policy says;
- `driver.LibvirtDriver`: the `ComputeDriver`; `config.driver_from_conf` builds one
  from `[libvirt]` and `[compute]` options (with `config.guest_devices`: direct
  kernel boot and the serial console log).

Nothing here imports libvirt-python until a driver is made.
"""

from tessera.compute.virt.libvirt.discovery import HostConfig, build_host
from tessera.compute.virt.libvirt.errors import (HostDiscoveryError, InvalidDevice,
                                                 PlacementMismatch)
from tessera.compute.virt.libvirt.guest import GuestOptions, build_domain

__all__ = ["GuestOptions", "HostConfig", "HostDiscoveryError", "InvalidDevice",
           "PlacementMismatch", "build_domain", "build_host"]
