"""Build a `LibvirtDriver` from Tessera's options (`[libvirt]`, `[compute]`)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from oslo_config import cfg

from tessera.compute.virt.driver import VirtError
from tessera.compute.virt.libvirt.discovery import HostConfig
from tessera.compute.virt.libvirt.driver import (GuestDevices, LibvirtDriver,
                                                 LibvirtSettings)
from tessera.compute.virt.libvirt.guest import GuestOptions
from tessera.compute.virt.libvirt.nodedev import parse_device_spec
from tessera.compute.virt.libvirt.xml import KernelBoot
from tessera.numa.demo import parse_size_kb
from tessera.objects import Instance


def guest_devices(lv: cfg.ConfigOpts.GroupAttr, state: Path
                  ) -> Callable[[Instance], GuestDevices]:
    """What every guest gets from `[libvirt] boot_kernel/boot_initrd/boot_cmdline`
    (direct kernel boot) and `serial_log` (its console in
    `<state_path>/instances/<uuid>/console.log`)."""
    boot = None
    if lv.boot_kernel:
        files = [lv.boot_kernel] + ([lv.boot_initrd] if lv.boot_initrd else [])
        for f in files:
            if not Path(f).is_file():
                raise VirtError("[libvirt] boot file %s does not exist" % f)
        boot = KernelBoot(kernel=str(Path(lv.boot_kernel).resolve()),
                          initrd=str(Path(lv.boot_initrd).resolve())
                          if lv.boot_initrd else None,
                          cmdline=lv.boot_cmdline or None)
    logs = state.resolve() / "instances"

    def devices(instance: Instance) -> GuestDevices:
        log = None
        if lv.serial_log:
            (logs / instance.uuid).mkdir(parents=True, exist_ok=True)
            log = str(logs / instance.uuid / "console.log")
        return GuestDevices(boot=boot, serial_log=log)
    return devices


def settings_from_conf(conf: cfg.ConfigOpts, host_name: str | None = None
                       ) -> LibvirtSettings:
    lv, compute = conf.libvirt, conf.compute
    sizes = frozenset(parse_size_kb(s) for s in lv.guest_page_sizes) or None
    host_config = HostConfig.from_strings(
        compute.cpu_dedicated_set, compute.cpu_shared_set, compute.reserved_huge_pages,
        page_sizes=sizes,
        device_specs=tuple(parse_device_spec(s) for s in lv.pci_device_spec),
        cpu_allocation_ratio=compute.cpu_allocation_ratio,
        ram_allocation_ratio=compute.ram_allocation_ratio)
    state = Path(conf.state_path)
    state.mkdir(parents=True, exist_ok=True)
    return LibvirtSettings(
        uri=lv.connection_uri, host_name=host_name or conf.host, host_config=host_config,
        guest=GuestOptions(virt_type=lv.virt_type),
        capabilities=Path(lv.capabilities_file).read_text() if lv.capabilities_file
        else None,
        local_gb=shutil.disk_usage(state).total // 1024 ** 3,
        shutdown_timeout=lv.shutdown_timeout, devices=guest_devices(lv, state))


def driver_from_conf(conf: cfg.ConfigOpts, host_name: str | None = None) -> LibvirtDriver:
    return LibvirtDriver(settings_from_conf(conf, host_name))
