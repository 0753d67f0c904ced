"""Seed-feature guests on a 2-cell SMT host (the caps-2cell fixture with CPUs 0-1,16-17
and 8-9,24-25 shared, the rest dedicated): each scenario is an instance, the placement
the real fitter gives it, and the devices it gets. Golden XML files are named after
the scenarios."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tessera.compute.virt.libvirt.discovery import HostConfig, build_host
from tessera.compute.virt.libvirt.guest import GuestOptions, build_domain, guest_request
from tessera.compute.virt.libvirt.xml import Disk, DomainSpec, Vif, VifType
from tessera.numa.fit import fit
from tessera.numa.host import Host
from tessera.numa.placement import Placement
from tessera.objects import Flavor, ImageMeta, Instance
from tests.unit.virt.fixtures import caps

SHARED = "0-1,16-17,8-9,24-25"
DEDICATED = "2-7,18-23,10-15,26-31"


def nfv_host(name: str = "nfv-2cell") -> Host:
    return build_host(name, caps("2cell"),
                      conf=HostConfig.from_strings(DEDICATED, SHARED))


def instance(n: int, vcpus: int, memory_mb: int, specs: dict[str, str] | None = None,
             props: dict[str, Any] | None = None) -> Instance:
    return Instance(uuid="00000000-0000-4000-8000-%012d" % n, display_name="vm%d" % n,
                    project_id="p", user_id="u",
                    flavor=Flavor(flavorid="f%d" % n, name="f%d" % n, vcpus=vcpus,
                                  memory_mb=memory_mb, extra_specs=specs or {}),
                    image=ImageMeta(id="img", name="img", properties=props or {}))


def place(host: Host, inst: Instance) -> Placement:
    got = fit(host, guest_request(inst))
    assert isinstance(got, Placement), got
    return got


@dataclass(frozen=True)
class Scenario:
    name: str
    vcpus: int
    memory_mb: int
    specs: dict[str, str] = field(default_factory=dict)
    props: dict[str, Any] = field(default_factory=dict)
    vifs: tuple[Vif, ...] = ()
    disks: tuple[Disk, ...] = ()
    virt_type: str = "kvm"

    def build(self, host: Host, n: int) -> tuple[Instance, Placement, DomainSpec]:
        inst = instance(n, self.vcpus, self.memory_mb, self.specs, self.props)
        placement = place(host, inst)
        spec = build_domain(inst, placement, host, GuestOptions(virt_type=self.virt_type),
                            vifs=self.vifs, disks=self.disks)
        return inst, placement, spec


PINNED = {"hw:cpu_policy": "dedicated"}
MAC = "fa:16:3e:11:22:%02x"

SCENARIOS = [
    Scenario("floating", 2, 1024),
    Scenario("pinned", 4, 4096, dict(PINNED)),
    Scenario("pinned-isolate", 4, 4096, {**PINNED, "hw:cpu_thread_policy": "isolate"}),
    Scenario("pinned-require", 4, 4096, {**PINNED, "hw:cpu_thread_policy": "require"}),
    Scenario("emulator-isolate", 2, 2048, {**PINNED, "hw:emulator_threads_policy": "isolate"}),
    Scenario("emulator-share", 2, 2048, {**PINNED, "hw:emulator_threads_policy": "share"}),
    Scenario("realtime", 4, 2048, {**PINNED, "hw:cpu_realtime": "yes",
                                    "hw:cpu_realtime_mask": "^0"}),
    Scenario("numa-2cells", 4, 4096, {**PINNED, "hw:numa_nodes": "2"}),
    Scenario("numa-asymmetric", 6, 6144, {"hw:numa_nodes": "2", "hw:numa_cpus.0": "0-1",
                                          "hw:numa_cpus.1": "2-5", "hw:numa_mem.0": "2048",
                                          "hw:numa_mem.1": "4096"}),
    Scenario("hugepages-2m", 2, 2048, {**PINNED, "hw:mem_page_size": "2MB"}),
    Scenario("hugepages-1g-2cells", 4, 4096, {"hw:numa_nodes": "2",
                                              "hw:mem_page_size": "1GB"}),
    Scenario("vhostuser", 2, 2048, {**PINNED, "hw:mem_page_size": "large"}, vifs=(
        Vif(id="3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b", mac=MAC % 1, type=VifType.VHOSTUSER,
            devname="vhu3f2a1b4c-5d",
            details={"vhostuser_socket": "/var/run/openvswitch/vhu3f2a1b4c-5d",
                     "vhostuser_mode": "client"}),
        Vif(id="9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a", mac=MAC % 2, type=VifType.VHOSTUSER,
            details={"vhostuser_socket": "/run/vhu/sock2"}))),
    Scenario("tap", 1, 512, vifs=(
        Vif(id="3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b", mac=MAC % 3, type=VifType.TAP,
            mtu=1450),)),
    Scenario("bridge", 1, 512, vifs=(
        Vif(id="c0ffee00-1111-4222-8333-444455556666", mac=MAC % 4, bridge="br-int"),)),
    Scenario("windows", 2, 4096, props={"os_type": "windows"}),
    Scenario("windows-qemu", 2, 4096, props={"os_type": "Windows"}, virt_type="qemu"),
    Scenario("guest-agent", 1, 1024, props={"hw_qemu_guest_agent": "yes"}),
    Scenario("multiattach", 1, 1024, disks=(
        Disk(path="/var/lib/tessera/instances/root.qcow2", target="vda"),
        Disk(path="/dev/disk/by-path/ip-192.0.2.10:3260-iscsi-iqn.2010-10.org.openstack:"
             "volume-5c3e-lun-1", target="vdb", source_type="block", format="raw",
             serial="5c3e9d2a-0000-4000-8000-000000000001", multiattach=True))),
]
