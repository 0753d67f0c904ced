"""Build a `LibvirtDriver` from Tessera's options (`[libvirt]`, `[compute]`)."""

from __future__ import annotations

import shutil
from pathlib import Path

from oslo_config import cfg

from tessera.compute.virt.libvirt.discovery import HostConfig
from tessera.compute.virt.libvirt.driver import LibvirtDriver, LibvirtSettings
from tessera.compute.virt.libvirt.guest import GuestOptions
from tessera.compute.virt.libvirt.nodedev import parse_device_spec
from tessera.numa.demo import parse_size_kb


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
        shutdown_timeout=lv.shutdown_timeout)


def driver_from_conf(conf: cfg.ConfigOpts, host_name: str | None = None) -> LibvirtDriver:
    return LibvirtDriver(settings_from_conf(conf, host_name))
