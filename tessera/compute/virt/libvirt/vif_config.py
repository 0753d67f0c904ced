"""An instance's VIFs (its bound ports) → the `Vif` builders of its `<interface>`s:
a Linux bridge (`bridge_name`, tap device `devname`), a routed tap (`type='ethernet'`
with the tap `devname` as target), or vhost-user (the port's `vhostuser_socket` and
`vhostuser_mode`). vhost-user guests also need their RAM shared with the switch:
the API only accepts them with huge pages, which `guest.build_domain` maps with
`memAccess='shared'`."""

from __future__ import annotations

from tessera.compute.virt.libvirt.errors import InvalidDevice
from tessera.compute.virt.libvirt.xml import Vif, VifType
from tessera.objects import Instance, InstanceVif


def vif_for(vif: InstanceVif) -> Vif:
    """The `<interface>` builder of one bound port."""
    details = vif.vif_details
    try:
        kind = VifType(vif.vif_type)
    except ValueError:
        raise InvalidDevice("port %s is %s: no interface can be built for it"
                            % (vif.port_id, vif.vif_type)) from None
    if kind is VifType.VHOSTUSER:
        return Vif(id=vif.port_id, mac=vif.mac_address, type=kind, mtu=vif.mtu,
                   details={"vhostuser_socket": details.get("vhostuser_socket"),
                            "vhostuser_mode": details.get("vhostuser_mode", "server")})
    return Vif(id=vif.port_id, mac=vif.mac_address, type=kind, mtu=vif.mtu,
               bridge=details.get("bridge_name") if kind is VifType.BRIDGE else None,
               devname=details.get("devname"))


def vifs_for(instance: Instance) -> tuple[Vif, ...]:
    """The `<interface>` builders of the instance's ports, in its order."""
    return tuple(vif_for(v) for v in instance.vifs)
