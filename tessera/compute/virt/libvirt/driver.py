"""`LibvirtDriver`: the `ComputeDriver` on libvirt.

It discovers the host from libvirt's capabilities and node devices (through the pure
`discovery` parser), turns each instance and its placement into domain XML, defines it
with `VIR_DOMAIN_DEFINE_VALIDATE` (libvirt's RNG plus its semantic checks), reads it back
and refuses a domain that does not carry the placement, then starts it. libvirt-python
is imported when a driver is made, so Tessera runs without it on the fake driver.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tessera.compute.virt.driver import (BuildFailed, GuestNotFound, NodeResources,
                                         Quiesce, SnapshotImage, VirtError)
from tessera.compute.virt.libvirt import snapshot as snapshots
from tessera.compute.virt.libvirt.discovery import HostConfig, build_host
from tessera.compute.virt.libvirt.errors import PlacementMismatch
from tessera.compute.virt.libvirt.guest import (DOMAIN_PREFIX, GuestOptions,
                                                build_domain, domain_name)
from tessera.compute.virt.libvirt.readback import check_placement
from tessera.compute.virt.libvirt.vif_config import vifs_for
from tessera.compute.virt.libvirt.volume_disks import volume_disks
from tessera.compute.virt.libvirt.xml import Disk, KernelBoot, Vif
from tessera.numa.host import Host
from tessera.numa.placement import Placement
from tessera.objects import Instance, PowerState

_STATES = {0: PowerState.NOSTATE, 1: PowerState.RUNNING, 2: PowerState.RUNNING,
           3: PowerState.PAUSED, 4: PowerState.SHUTDOWN, 5: PowerState.SHUTDOWN,
           6: PowerState.CRASHED, 7: PowerState.SUSPENDED}


@dataclass(frozen=True)
class GuestDevices:
    """What a guest gets besides CPUs and memory: its ports, disks, how it boots."""

    vifs: tuple[Vif, ...] = ()
    disks: tuple[Disk, ...] = ()
    boot: KernelBoot | None = None
    serial_log: str | None = None


@dataclass
class LibvirtSettings:
    """Everything the driver needs; `driver_from_conf` fills it from the options."""

    uri: str = "qemu:///system"
    host_name: str = "localhost"
    host_config: HostConfig = HostConfig()
    guest: GuestOptions = GuestOptions()
    capabilities: str | None = None         # instead of getCapabilities()
    nodedevs: Sequence[str] | None = None   # instead of listAllDevices()
    local_gb: int = 0
    shutdown_timeout: float = 0.0
    devices: Callable[[Instance], GuestDevices] = field(default=lambda _: GuestDevices())


def _libvirt() -> Any:
    try:
        import libvirt
    except ImportError as exc:
        raise VirtError("libvirt-python is not installed (scripts/install-libvirt.sh): "
                        "%s" % exc) from None
    return libvirt


class LibvirtDriver:
    def __init__(self, settings: LibvirtSettings) -> None:
        self.settings = settings
        self._lv = _libvirt()
        self._lock = threading.RLock()
        self._conn: Any = None
        self._host: Host | None = None
        self._snapshotting: dict[str, threading.Lock] = {}

    @property
    def name(self) -> str:
        return self.settings.host_name

    # -- connection ------------------------------------------------------------------

    def conn(self) -> Any:
        with self._lock:
            if self._conn is None or not self._conn.isAlive():
                try:
                    self._conn = self._lv.open(self.settings.uri)
                except self._lv.libvirtError as exc:
                    raise VirtError("cannot connect to %s: %s" % (self.settings.uri, exc))
            return self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _domain(self, instance: Instance) -> Any:
        try:
            return self.conn().lookupByUUIDString(instance.uuid)
        except self._lv.libvirtError as exc:
            if exc.get_error_code() == self._lv.VIR_ERR_NO_DOMAIN:
                raise GuestNotFound("no guest %s on %s" % (instance.uuid, self.name))
            raise VirtError(str(exc)) from None

    # -- the host --------------------------------------------------------------------

    def host_topology(self) -> Host:
        if self._host is None:
            s = self.settings
            caps = s.capabilities if s.capabilities is not None \
                else self.conn().getCapabilities()
            devs = s.nodedevs
            if devs is None:
                flags = self._lv.VIR_CONNECT_LIST_NODE_DEVICES_CAP_PCI_DEV
                devs = [d.XMLDesc(0) for d in self.conn().listAllDevices(flags)]
            self._host = build_host(s.host_name, caps, devs, s.host_config)
        return self._host

    def node_resources(self) -> NodeResources:
        host = self.host_topology()
        return NodeResources(
            hypervisor_hostname=self.name, hypervisor_type="QEMU",
            hypervisor_version=int(self.conn().getVersion()),
            vcpus=sum(len(c.shared) for c in host.cells),
            memory_mb=sum(c.memory_mb for c in host.cells), local_gb=self.settings.local_gb)

    # -- guests ----------------------------------------------------------------------

    def domain_xml(self, instance: Instance, placement: Placement | None) -> str:
        devices = self.settings.devices(instance)
        spec = build_domain(instance, placement, self.host_topology(), self.settings.guest,
                            vifs=devices.vifs + vifs_for(instance), disks=devices.disks + volume_disks(instance),
                            boot=devices.boot,
                            serial_log=devices.serial_log)
        return spec.to_xml()

    def spawn(self, instance: Instance, placement: Placement | None) -> None:
        lv = self._lv
        try:
            xml = self.domain_xml(instance, placement)
        except (VirtError, ValueError) as exc:
            raise BuildFailed("cannot build the XML of %s: %s" % (instance.uuid, exc))
        with self._lock:
            self._stop_if_running(instance)
            try:
                dom = self.conn().defineXMLFlags(xml, lv.VIR_DOMAIN_DEFINE_VALIDATE)
            except lv.libvirtError as exc:
                raise BuildFailed("libvirt refused the domain of %s: %s"
                                  % (instance.uuid, exc)) from None
            try:
                check_placement(dom.XMLDesc(0), placement, self.host_topology(),
                                instance.flavor.vcpus, dom.name())
                dom.create()
            except PlacementMismatch:
                self._undefine(dom)
                raise
            except lv.libvirtError as exc:
                self._undefine(dom)
                raise BuildFailed("%s did not start: %s" % (dom.name(), exc)) from None

    def _stop_if_running(self, instance: Instance) -> None:
        try:
            dom = self._domain(instance)
        except GuestNotFound:
            return
        if dom.isActive():
            dom.destroy()

    def _undefine(self, dom: Any) -> None:
        try:
            if dom.isActive():
                dom.destroy()
            dom.undefineFlags(self._lv.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)
        except self._lv.libvirtError as exc:
            if exc.get_error_code() != self._lv.VIR_ERR_NO_DOMAIN:
                raise VirtError("cannot remove %s: %s" % (dom.name(), exc)) from None

    def destroy(self, instance: Instance) -> None:
        with self._lock:
            try:
                dom = self._domain(instance)
            except GuestNotFound:
                return
            self._undefine(dom)

    def power_off(self, instance: Instance) -> None:
        dom = self._domain(instance)
        if dom.isActive():
            self._call(self._shutdown, dom)

    def _shutdown(self, dom: Any) -> None:
        deadline = time.monotonic() + self.settings.shutdown_timeout
        if self.settings.shutdown_timeout > 0:
            dom.shutdown()
            while time.monotonic() < deadline:
                if not dom.isActive():
                    return
                time.sleep(0.2)
        if dom.isActive():
            dom.destroy()

    def power_on(self, instance: Instance) -> None:
        dom = self._domain(instance)
        if not dom.isActive():
            self._call(lambda d: d.create(), dom)

    def reboot(self, instance: Instance, hard: bool = False) -> None:
        dom = self._domain(instance)
        if not hard and dom.isActive():
            try:
                dom.reboot(0)
                return
            except self._lv.libvirtError:
                pass  # as Nova: a soft reboot that cannot be done becomes a hard one
        self._call(self._hard_reboot, dom)

    @staticmethod
    def _hard_reboot(dom: Any) -> None:
        if dom.isActive():
            dom.destroy()
        dom.create()

    def _call(self, action: Callable[[Any], None], dom: Any) -> None:
        try:
            action(dom)
        except self._lv.libvirtError as exc:
            raise VirtError("%s: %s" % (dom.name(), exc)) from None

    def power_state(self, instance: Instance) -> PowerState:
        try:
            state = self._domain(instance).state()[0]
        except GuestNotFound:
            return PowerState.NOSTATE
        return _STATES.get(state, PowerState.NOSTATE)

    def list_instances(self) -> list[str]:
        return sorted(d.UUIDString() for d in self.conn().listAllDomains(0)
                      if d.name().startswith(DOMAIN_PREFIX))

    def snapshot(self, instance: Instance, workdir: Path, *,
                 quiesce: Quiesce) -> SnapshotImage:
        """The guest's root disk as it is now, in a new file under `workdir`
        (`snapshot.take`: frozen through the agent as `quiesce` says, always thawed)."""
        dom = self._domain(instance)
        with self._lock:
            busy = self._snapshotting.setdefault(instance.uuid, threading.Lock())
        if not busy.acquire(blocking=False):
            raise VirtError("a snapshot of %s is already being taken" % instance.uuid)
        try:
            return snapshots.take(self._lv, dom, instance, workdir, quiesce)
        except self._lv.libvirtError as exc:
            raise VirtError("snapshot of %s failed: %s" % (dom.name(), exc)) from None
        finally:
            busy.release()

    def domain(self, instance: Instance) -> Any:
        """The libvirt domain of `instance` (for checks and snapshots)."""
        return self._domain(instance)

    def domain_xml_of(self, instance: Instance) -> str:
        """The XML libvirt holds for the guest's defined domain (`XMLDesc(0)`);
        GuestNotFound when the host has no such domain."""
        dom = self._domain(instance)
        try:
            return str(dom.XMLDesc(0))
        except self._lv.libvirtError as exc:
            raise VirtError("%s: %s" % (dom.name(), exc)) from None


__all__ = ["GuestDevices", "LibvirtDriver", "LibvirtSettings", "domain_name"]
