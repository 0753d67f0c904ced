"""The all-in-one on the libvirt driver (`[compute] driver = libvirt`): a server booted
through the compute API reaches ACTIVE on libvirt's test driver, and the domain libvirt
holds carries the pins the resource tracker claimed."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from tessera.compute.virt.libvirt.readback import observe
from tessera.conf import make_conf
from tessera.deploy import AllInOne, Settings
from tessera.objects import VmState
from tests.functional.control.helpers import CTX, flavor, pins_of, settled, wait_for
from tests.unit.virt.fixtures import FIXTURES
from tests.unit.virt.scenarios import DEDICATED, SHARED

CONF = """
[DEFAULT]
host = nfv-libvirt
state_path = {tmp}
[compute]
driver = libvirt
cpu_dedicated_set = {dedicated}
cpu_shared_set = {shared}
reserved_huge_pages = node:0,size:2M,count:16
[libvirt]
connection_uri = {uri}
virt_type = kvm
capabilities_file = {caps}
"""


def test_boot_on_libvirt(libvirt: ModuleType, test_uri: str, tmp_path: Path) -> None:
    path = tmp_path / "tessera.conf"
    path.write_text(CONF.format(tmp=tmp_path, dedicated=DEDICATED, shared=SHARED,
                                uri=test_uri, caps=FIXTURES / "caps-2cell.xml"))
    conf = make_conf(config_files=[str(path)])
    settings = Settings.from_conf(conf, hosts=[])
    settings.api_db = "sqlite:///%s/api.sqlite" % tmp_path
    settings.cell_db = "sqlite:///%s/cell1.sqlite" % tmp_path
    settings.transport_url = "fake://lv-%s" % tmp_path.name
    assert settings.driver == "libvirt"
    pinned = flavor("pinned.2", 2, 2048, **{"hw:cpu_policy": "dedicated",
                                            "hw:mem_page_size": "2MB"})
    with AllInOne(settings) as aio:
        aio.api.create_flavor(pinned)
        [inst] = aio.api.create(CTX, pinned, name="vm1")
        inst = settled(aio.api, inst.uuid)
        assert inst.vm_state is VmState.ACTIVE, aio.api.fault(inst.uuid)
        assert inst.host == "nfv-libvirt"
        driver = aio.computes()["nfv-libvirt"].driver
        got = observe(driver.domain(inst).XMLDesc(0))
        assert {p for cpus in got.pins.values() for p in cpus} == pins_of(inst)
        assert got.pages == {0: 2048}
        aio.api.delete(CTX, inst.uuid)
        wait_for(lambda: driver.list_instances() == [], what="the domain to go")
