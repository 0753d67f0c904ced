"""Tessera's configuration options (oslo.config).

`CONF` is the process-wide configuration every service reads; the `tessera-*` commands
parse it once with `parse_args()`. `make_conf()` returns a fresh, fully registered
`ConfigOpts` for tests and all-in-one runs that need several independent configurations
in one process.

The messaging options `transport_url` and `control_exchange` belong to oslo.messaging;
they are registered here (unchanged, so oslo.messaging's own registration agrees) with
Tessera's defaults: in-process `fake://` and the `tessera` exchange.
"""

from __future__ import annotations

import importlib
import socket
from collections.abc import Sequence

import oslo_messaging.opts
from oslo_config import cfg
from oslo_utils import netutils

from tessera import __version__
from tessera.network.conf import network_opts

PROJECT = "tessera"

DEFAULT_FILTERS = [
    "ComputeFilter",
    "AvailabilityZoneFilter",
    "RamFilter",
    "DiskFilter",
    "VcpuFilter",
    "NUMATopologyFilter",
    "PciPassthroughFilter",
    "ImagePropertiesFilter",
    "SameHostFilter",
    "DifferentHostFilter",
]

DEFAULT_WEIGHERS = ["RamWeigher", "CpuWeigher", "PinnedCpuWeigher"]

_default_opts = [
    cfg.StrOpt(
        "host",
        default=socket.gethostname(),
        sample_default="<current hostname>",
        help="Name of this node. Compute services register under this name; RPC "
        "messages for one host are addressed to it, so it must be unique among the "
        "compute hosts of a cloud.",
    ),
    cfg.StrOpt(
        "state_path",
        default="./data",
        help="Directory where Tessera keeps its state: the SQLite databases of the "
        "all-in-one and any files services write.",
    ),
    cfg.StrOpt(
        "my_ip",
        default=netutils.get_my_ipv4(),
        sample_default="<host_ipv4>",
        help="IP address of this host, used to reach its services.",
    ),
]

_database_opts = [
    cfg.StrOpt(
        "connection",
        default="sqlite:///$state_path/tessera_cell1.sqlite",
        secret=True,
        help="SQLAlchemy URL of the cell database (instances, compute nodes, claims, "
        "migrations).",
    ),
]

_api_database_opts = [
    cfg.StrOpt(
        "connection",
        default="sqlite:///$state_path/tessera_api.sqlite",
        secret=True,
        help="SQLAlchemy URL of the API database (cell, host and instance mappings, "
        "request specs, build requests, flavors).",
    ),
]

_scheduler_opts = [
    cfg.IntOpt(
        "max_attempts",
        default=3,
        min=1,
        help="How many hosts a build may try: the first choice plus reschedules "
        "after a failed claim or build.",
    ),
    cfg.StrOpt(
        "placement_strategy",
        default="spread",
        choices=[
            ("spread", "prefer hosts with the most free resources"),
            ("pack", "prefer hosts with the least free resources"),
        ],
        help="Whether the weighers spread guests across hosts or pack them onto as "
        "few hosts as possible. Flips the sign of every weigher multiplier.",
    ),
    cfg.ListOpt(
        "enabled_filters",
        default=DEFAULT_FILTERS,
        help="Host filters the scheduler runs, in order. A host must pass all of "
        "them.",
    ),
    cfg.ListOpt(
        "weighers",
        default=DEFAULT_WEIGHERS,
        help="Weighers that rank the hosts that passed the filters.",
    ),
    cfg.FloatOpt(
        "ram_weight_multiplier",
        default=1.0,
        help="Multiplier of the free RAM weight; 0 disables it.",
    ),
    cfg.FloatOpt(
        "cpu_weight_multiplier",
        default=1.0,
        help="Multiplier of the free vCPU weight; 0 disables it.",
    ),
    cfg.FloatOpt(
        "pinned_cpu_weight_multiplier",
        default=1.0,
        help="Multiplier of the free dedicated (pinnable) pCPU weight; 0 disables "
        "it.",
    ),
    cfg.IntOpt(
        "discover_hosts_in_cells_interval",
        default=-1,
        min=-1,
        help="Seconds between automatic discoveries of new compute hosts in the "
        "cells; -1 disables it (run `tessera-manage cell_v2 discover_hosts`).",
    ),
]

_compute_opts = [
    cfg.StrOpt(
        "driver",
        default="fake",
        choices=[
            ("fake", "simulated hosts from fake_hosts_file"),
            ("libvirt", "this machine, through libvirt"),
        ],
        help="Virt driver of the compute service.",
    ),
    cfg.StrOpt(
        "fake_hosts_file",
        default="etc/hosts.yaml",
        help="YAML file describing the simulated hosts of the fake driver.",
    ),
    cfg.FloatOpt(
        "fake_spawn_delay",
        default=0.0,
        min=0.0,
        help="Seconds each operation of the fake driver takes (a real hypervisor "
        "takes seconds to build a guest; tests use it to catch a build in flight).",
    ),
    cfg.FloatOpt(
        "cpu_allocation_ratio",
        default=4.0,
        min=0.0,
        help="Virtual CPUs per shared physical CPU. Dedicated (pinned) CPUs are never "
        "overcommitted.",
    ),
    cfg.FloatOpt(
        "ram_allocation_ratio",
        default=1.0,
        min=0.0,
        help="Virtual RAM per physical RAM. Huge-page backed memory is never "
        "overcommitted.",
    ),
    cfg.FloatOpt(
        "disk_allocation_ratio",
        default=1.0,
        min=0.0,
        help="Virtual disk per physical disk.",
    ),
    cfg.IntOpt(
        "report_interval",
        default=10,
        min=1,
        help="Seconds between a compute service's reports of its state, topology "
        "and usage.",
    ),
    cfg.IntOpt(
        "sync_power_state_interval",
        default=600,
        min=-1,
        help="Seconds between checks of each guest's power state on the hypervisor "
        "(a guest shut down from inside becomes STOPPED); -1 disables them.",
    ),
    cfg.IntOpt(
        "service_down_time",
        default=60,
        min=1,
        help="Seconds since its last report after which a service counts as down. "
        "Should be several report_intervals.",
    ),
    cfg.BoolOpt(
        "allow_resize_to_same_host",
        default=False,
        help="Let a resize land on the host the guest already runs on.",
    ),
    cfg.StrOpt(
        "cpu_dedicated_set",
        help="Host CPUs that may hold pinned guest vCPUs (hw:cpu_policy=dedicated), "
        "as a CPU spec such as 4-15,^8 (libvirt driver). Unset with cpu_shared_set "
        "unset: every online CPU is shared and no guest can be pinned.",
    ),
    cfg.StrOpt(
        "cpu_shared_set",
        help="Host CPUs on which floating guest vCPUs and shared emulator threads run, "
        "as a CPU spec (libvirt driver). Must not overlap cpu_dedicated_set.",
    ),
    cfg.MultiStrOpt(
        "reserved_huge_pages",
        default=[],
        help="Huge pages kept back from guests, one entry per NUMA node and page "
        "size: node:0,size:2048,count:64 (size in KiB or with a unit, 2M, 1G). "
        "May be given more than once (libvirt driver).",
    ),
    cfg.IntOpt(
        "build_timeout",
        default=0,
        min=0,
        help="Seconds a build may take before the guest is put in ERROR; 0 disables "
        "the timeout.",
    ),
]

_libvirt_opts = [
    cfg.StrOpt(
        "connection_uri",
        default="qemu:///system",
        help="libvirt URI of this host's hypervisor; test:///default (or "
        "test:///path/node.xml) runs on libvirt's test driver.",
    ),
    cfg.StrOpt(
        "virt_type",
        default="kvm",
        choices=[
            ("kvm", "hardware virtualisation"),
            ("qemu", "QEMU software emulation (TCG), where KVM is not usable"),
        ],
        help="Domain type of the guests.",
    ),
    cfg.MultiStrOpt(
        "pci_device_spec",
        default=[],
        help="PCI devices offered to guests, one JSON object per entry with any of "
        "vendor_id, product_id, address (a glob such as 0000:3b:*) and "
        "physical_network, as Nova's [pci] device_spec.",
    ),
    cfg.ListOpt(
        "guest_page_sizes",
        default=[],
        help="Huge page sizes that may back guests (2M, 1G or KiB); empty: every size "
        "the host has.",
    ),
    cfg.StrOpt(
        "capabilities_file",
        help="Read the host's capabilities XML from this file instead of asking "
        "libvirt (for the test driver, whose custom node files report no NUMA "
        "cells).",
    ),
    cfg.IntOpt(
        "shutdown_timeout",
        default=0,
        min=0,
        help="Seconds a stop waits for the guest to shut down cleanly before it is "
        "powered off; 0 powers off at once.",
    ),
    cfg.StrOpt(
        "boot_kernel",
        help="Boot every guest directly from this kernel file (direct kernel boot), "
        "e.g. the tiny guest of scripts/build-test-guest.sh; the driver does not yet "
        "make root disks from images. Unset: guests boot from their first disk.",
    ),
    cfg.StrOpt(
        "boot_initrd",
        help="The initramfs that goes with boot_kernel.",
    ),
    cfg.StrOpt(
        "boot_cmdline",
        default="console=ttyS0 quiet panic=-1",
        help="Kernel command line of guests booted from boot_kernel.",
    ),
    cfg.BoolOpt(
        "serial_log",
        default=True,
        help="Write each guest's serial console to "
        "<state_path>/instances/<uuid>/console.log.",
    ),
]

_rpc_opts = [
    cfg.IntOpt(
        "response_timeout",
        default=60,
        min=1,
        help="Seconds an RPC call waits for its reply before raising "
        "MessagingTimeout.",
    ),
]

_GROUPS: list[tuple[str | None, list[cfg.Opt]]] = [
    (None, _default_opts),
    ("database", _database_opts),
    ("api_database", _api_database_opts),
    ("scheduler", _scheduler_opts),
    ("compute", _compute_opts),
    ("rpc", _rpc_opts),
    ("libvirt", _libvirt_opts),
    ("network", network_opts),
]

_MESSAGING_DEFAULTS = {"transport_url": "fake://", "control_exchange": PROJECT}


def list_opts() -> list[tuple[str | None, list[cfg.Opt]]]:
    """Tessera's own options by group, for `oslo-config-generator --namespace tessera`.

    oslo.messaging's options (transport_url, ...) come from its own namespace,
    `oslo.messaging`.
    """
    return [(group, list(opts)) for group, opts in _GROUPS]


def register_opts(conf: cfg.ConfigOpts) -> None:
    """Register every Tessera option, and the messaging ones with Tessera's defaults."""
    for group, opts in _GROUPS:
        conf.register_opts(opts, group=group)
    for group, opts in oslo_messaging.opts.list_opts():
        conf.register_opts(opts, group=group)
    _register_messaging_private_opts(conf)
    for name, value in _MESSAGING_DEFAULTS.items():
        conf.set_default(name, value)


def _register_messaging_private_opts(conf: cfg.ConfigOpts) -> None:
    """oslo.messaging reads [oslo_messaging_metrics] and [oslo_messaging_tracing] from
    the transport's conf on every call, but registers them only on the global
    `cfg.CONF` and leaves them out of `list_opts()`: without this, any other ConfigOpts
    (make_conf) fails its first RPC call with NoSuchOptError."""
    for module, name in (("_metrics.client", "oslo_messaging_metrics"),
                         ("_tracing.client", "oslo_messaging_tracing")):
        try:
            opts = getattr(importlib.import_module("oslo_messaging." + module), name)
        except (ImportError, AttributeError):
            continue
        conf.register_opts(opts, group=name)


def parse_args(
    argv: Sequence[str] | None = None,
    config_files: Sequence[str] | None = None,
    conf: cfg.ConfigOpts | None = None,
) -> cfg.ConfigOpts:
    """Parse command-line arguments and configuration files into `conf` (`CONF`).

    `argv` excludes the program name. Without `config_files` oslo.config looks for
    `tessera.conf` in its usual places (~/.tessera, /etc/tessera, ...).
    """
    conf = CONF if conf is None else conf
    conf(
        list(argv) if argv is not None else [],
        project=PROJECT,
        version=__version__,
        default_config_files=list(config_files) if config_files is not None else None,
    )
    return conf


def make_conf(
    args: Sequence[str] | None = None, config_files: Sequence[str] | None = None
) -> cfg.ConfigOpts:
    """A fresh, registered and parsed configuration, independent of `CONF`.

    Unlike `parse_args`, no configuration file is read unless listed in
    `config_files`, so tests see the defaults plus what they set.
    """
    conf = cfg.ConfigOpts()
    register_opts(conf)
    conf(
        list(args) if args is not None else [],
        project=PROJECT,
        version=__version__,
        default_config_files=list(config_files) if config_files is not None else [],
    )
    return conf


CONF = cfg.ConfigOpts()
register_opts(CONF)
