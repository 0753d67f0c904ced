"""Every seed-feature domain validates against libvirt's RNG schema, is defined with
VIR_DOMAIN_DEFINE_VALIDATE and started on the test driver (a node file per test), and
the XML read back carries the pins, cells, pages, interfaces and features."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from tessera.compute.virt.libvirt.readback import check_placement, observe
from tests.unit.virt.fixtures import FIXTURES
from tests.unit.virt.scenarios import SCENARIOS, Scenario, nfv_host

GOLDEN = sorted((FIXTURES / "golden").glob("*.xml"))


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.stem)
def test_golden_documents_validate_against_rng(path: Any, domain_rng: Any) -> None:
    from lxml import etree

    assert domain_rng.validate(etree.parse(str(path))), domain_rng.error_log


@pytest.mark.parametrize("broken", [
    ("<vcpupin vcpu=", "<vcpupin cpu="),              # attribute renamed
    ("<os>", "<os><bogus/>"),                       # unknown element
    ('mode="strict" nodeset="0" />', 'mode="loose" nodeset="0" />'),   # bad value
], ids=["attribute", "element", "value"])
def test_a_broken_document_fails_validation(broken: tuple[str, str], domain_rng: Any,
                                            libvirt: ModuleType, conn: Any) -> None:
    from lxml import etree

    good = (FIXTURES / "golden" / "pinned.xml").read_text()
    bad = good.replace(*broken, 1)
    assert bad != good
    assert domain_rng.validate(etree.fromstring(good.encode()))
    assert not domain_rng.validate(etree.fromstring(bad.encode()))
    with pytest.raises(libvirt.libvirtError):
        conn.defineXMLFlags(bad, libvirt.VIR_DOMAIN_DEFINE_VALIDATE)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_define_validate_start_and_read_back(scenario: Scenario, libvirt: ModuleType,
                                             conn: Any) -> None:
    host = nfv_host()
    inst, placement, spec = scenario.build(host, 1)
    dom = conn.defineXMLFlags(spec.to_xml(), libvirt.VIR_DOMAIN_DEFINE_VALIDATE)
    dom.create()
    assert dom.isActive()
    back = dom.XMLDesc(0)
    got = check_placement(back, placement, host, inst.flavor.vcpus, dom.name())
    meant = observe(spec.to_xml())
    assert got.pins == meant.pins
    assert got.emulatorpin == meant.emulatorpin
    assert got.cells == meant.cells
    assert got.pages == meant.pages
    assert got.interfaces == tuple(v.type.value if v.type.value != "tap" else "ethernet"
                                   for v in scenario.vifs)
    assert got.hyperv == meant.hyperv
    assert got.agent == meant.agent
    assert got.shareable_disks == meant.shareable_disks
    if scenario.specs.get("hw:cpu_policy") == "dedicated":
        assert dom.vcpuPinInfo(0)  # the test driver answers pin queries on the guest
    dom.destroy()
    dom.undefine()


def test_a_pin_for_a_missing_vcpu_is_dropped_and_caught(libvirt: ModuleType,
                                                        conn: Any) -> None:
    from tessera.compute.virt.libvirt.errors import PlacementMismatch

    host = nfv_host()
    scenario = next(s for s in SCENARIOS if s.name == "pinned")
    inst, placement, spec = scenario.build(host, 1)
    xml = spec.to_xml().replace('<vcpupin vcpu="3"', '<vcpupin vcpu="9"')
    dom = conn.defineXMLFlags(xml, libvirt.VIR_DOMAIN_DEFINE_VALIDATE)
    assert 'vcpu="9"' not in dom.XMLDesc(0)        # libvirt dropped it silently
    with pytest.raises(PlacementMismatch, match="vCPU 3 pinned to"):
        check_placement(dom.XMLDesc(0), placement, host, inst.flavor.vcpus)
