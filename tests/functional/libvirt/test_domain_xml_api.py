"""The admin domain-XML API on the libvirt driver: the XML a server's compute host
reads back from libvirt (test driver), fetched through the Compute API app by RPC."""

from __future__ import annotations

import warnings
from pathlib import Path
from types import ModuleType

from tessera.api import policy
from tessera.api.compute import build_app
from tessera.compute.virt.libvirt.readback import observe
from tessera.conf import make_conf
from tessera.deploy import AllInOne, Settings
from tessera.objects import VmState
from tests.functional.control.helpers import CTX, flavor, pins_of, settled, wait_for
from tests.functional.libvirt.test_all_in_one import CONF
from tests.unit.virt.fixtures import FIXTURES
from tests.unit.virt.scenarios import DEDICATED, SHARED

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ADMIN = {"X-Auth-Token": "admin:admin"}


def test_domain_xml_of_a_libvirt_guest(libvirt: ModuleType, test_uri: str,
                                       tmp_path: Path) -> None:
    path = tmp_path / "tessera.conf"
    path.write_text(CONF.format(tmp=tmp_path, dedicated=DEDICATED, shared=SHARED,
                                uri=test_uri, caps=FIXTURES / "caps-2cell.xml"))
    settings = Settings.from_conf(make_conf(config_files=[str(path)]), hosts=[])
    settings.api_db = "sqlite:///%s/api.sqlite" % tmp_path
    settings.cell_db = "sqlite:///%s/cell1.sqlite" % tmp_path
    settings.transport_url = "fake://dx-%s" % tmp_path.name
    pinned = flavor("pinned.2", 2, 2048, **{"hw:cpu_policy": "dedicated",
                                            "hw:mem_page_size": "2MB"})
    policy.reset()
    with AllInOne(settings) as aio:
        client = TestClient(build_app(aio.api), raise_server_exceptions=False)
        aio.api.create_flavor(pinned)
        [inst] = aio.api.create(CTX, pinned, name="vm1")
        inst = settled(aio.api, inst.uuid)
        assert inst.vm_state is VmState.ACTIVE, aio.api.fault(inst.uuid)

        r = client.get("/v2.1/os-tessera/servers/%s/domain-xml" % inst.uuid,
                       headers=ADMIN)
        assert r.status_code == 200, r.text
        xml = r.json()["domain_xml"]
        assert xml.startswith("<domain") and "<uuid>%s</uuid>" % inst.uuid in xml
        got = observe(xml)
        assert {p for cpus in got.pins.values() for p in cpus} == pins_of(inst)

        driver = aio.computes()["nfv-libvirt"].driver
        dom = driver.domain(inst)   # the domain vanishes under Tessera
        dom.destroy()
        dom.undefine()
        r = client.get("/v2.1/os-tessera/servers/%s/domain-xml" % inst.uuid,
                       headers=ADMIN)
        assert r.status_code == 409
        assert "no guest %s" % inst.uuid in r.json()["conflictingRequest"]["message"]
        aio.api.delete(CTX, inst.uuid)
        wait_for(lambda: driver.list_instances() == [], what="the domain to go")
    policy.reset()
