"""The discovery parser on real libvirt output: `test:///default`'s capabilities through
libvirt-python, and the fixtures against libvirt's own RNG schemas (so they are shaped
as libvirt writes them)."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from tessera.compute.virt.libvirt.discovery import HostConfig, build_host
from tessera.compute.virt.libvirt.nodedev import parse_nodedev
from tests.unit.virt.fixtures import FIXTURES


def test_test_default_capabilities(libvirt: ModuleType) -> None:
    conn = libvirt.openReadOnly("test:///default")
    try:
        host = build_host("test", conn.getCapabilities(),
                          [d.XMLDesc(0) for d in conn.listAllDevices()],
                          HostConfig.from_strings("2-7,10-15", "0-1,8-9"))
    finally:
        conn.close()
    assert [c.id for c in host.cells] == [0, 1]
    assert host.cells[0].cpus == frozenset(range(8))
    assert host.cells[1].cpus == frozenset(range(8, 16))
    assert not host.has_smt
    assert [c.memory_mb for c in host.cells] == [2048, 4096]
    assert host.cells[0].pages_by_size[4].total == 524288
    assert host.cells[0].pages_by_size[2048].total == 0
    assert host.cells[1].dedicated == frozenset(range(10, 16))
    assert [c.socket for c in host.cells] == [0, 1]
    assert host.pci == ()


def test_test_default_node_devices_are_not_pci(libvirt: ModuleType) -> None:
    conn = libvirt.openReadOnly("test:///default")
    try:
        assert [parse_nodedev(d.XMLDesc(0)) for d in conn.listAllDevices()] == [None] * 4
    finally:
        conn.close()


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("caps-*.xml")), ids=lambda p: p.name)
def test_capabilities_fixtures_follow_libvirt_schema(path: Any,
                                                     rng_of: Callable[[str], Any]) -> None:
    from lxml import etree

    schema = rng_of("capability.rng")
    assert schema.validate(etree.parse(str(path))), schema.error_log


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("nodedev-*/*.xml")),
                         ids=lambda p: p.name)
def test_nodedev_fixtures_follow_libvirt_schema(path: Any,
                                                rng_of: Callable[[str], Any]) -> None:
    from lxml import etree

    schema = rng_of("nodedev.rng")
    assert schema.validate(etree.parse(str(path))), schema.error_log
