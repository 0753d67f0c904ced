"""Host discovery: capabilities and node-device fixtures of 1-, 2-, 4- and 8-cell hosts
parse into the host model the fitter reads."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tessera.compute.virt.libvirt.discovery import HostConfig, build_host, parse_reserved
from tessera.compute.virt.libvirt.errors import HostDiscoveryError
from tessera.compute.virt.libvirt.nodedev import parse_device_spec
from tessera.numa.host import PagePool
from tests.unit.virt.fixtures import caps, nodedevs


@dataclass(frozen=True)
class Case:
    fixture: str
    cells: int
    cpus_per_cell: tuple[int, ...]
    first_core: tuple[int, ...]       # cell 0's first sibling group
    sockets: tuple[int | None, ...]
    memory_mb: int
    pages0: dict[int, int]            # cell 0: size KiB -> total
    distance_0_last: int


CASES = [
    Case("1cell", 1, (7,), (0, 4), (0,), 16384, {4: (16 - 1) * 2**18, 2048: 512, 1048576: 0}, 10),
    Case("2cell", 2, (16, 16), (0, 16), (0, 1), 65536,
         {4: (64 - 8 - 8) * 2**18, 2048: 4096, 1048576: 8}, 21),
    Case("4cell", 4, (8,) * 4, (0, 16), (0, 0, 1, 1), 32768,
         {4: (32 - 4 - 4) * 2**18, 2048: 2048, 1048576: 4}, 21),
    Case("8cell", 8, (8,) * 8, (0, 32), (0,) * 4 + (1,) * 4, 16384,
         {4: (16 - 2 - 2) * 2**18, 2048: 1024, 1048576: 2}, 32),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.fixture)
def test_capabilities_parse_into_host(case: Case) -> None:
    host = build_host("h", caps(case.fixture))
    assert len(host.cells) == case.cells
    assert tuple(len(c.cpus) for c in host.cells) == case.cpus_per_cell
    assert host.cells[0].siblings[0] == case.first_core
    assert tuple(c.socket for c in host.cells) == case.sockets
    assert all(c.memory_mb == case.memory_mb for c in host.cells)
    assert {p.size_kb: p.total for p in host.cells[0].pages} == case.pages0
    assert host.extra["distances"][0][case.cells - 1] == case.distance_0_last
    assert host.extra["arch"] == "x86_64"
    assert host.has_smt
    # unconfigured: every online CPU floats, none is pinnable (Nova's rule)
    assert all(c.shared == c.cpus and not c.dedicated for c in host.cells)


def test_offline_cpu_is_left_out_and_its_sibling_stands_alone() -> None:
    cell = build_host("h", caps("1cell")).cells[0]
    assert 7 not in cell.cpus
    assert cell.siblings == ((0, 4), (1, 5), (2, 6), (3,))


def test_core_ids_need_not_be_contiguous() -> None:
    cell = build_host("h", caps("2cell")).cells[0]
    assert cell.siblings == tuple((i, i + 16) for i in range(8))


CPU_SETS = [
    # name, dedicated, shared, cell 0 dedicated, cell 0 shared, cell 1 dedicated
    ("both", "2-7,18-23,10-15,26-31", "0-1,16-17,8-9,24-25",
     set(range(2, 8)) | set(range(18, 24)), {0, 1, 16, 17},
     set(range(10, 16)) | set(range(26, 32))),
    ("dedicated only", "4-7,20-23", None, {4, 5, 6, 7, 20, 21, 22, 23}, set(), set()),
    ("shared only", None, "0,16", set(), {0, 16}, set()),
    ("exclusion", "0-31,^0,^16", "0,16", set(range(1, 8)) | set(range(17, 24)), {0, 16},
     set(range(8, 16)) | set(range(24, 32))),
]


@pytest.mark.parametrize("name,ded,shared,ded0,shared0,ded1", CPU_SETS,
                         ids=[c[0] for c in CPU_SETS])
def test_configured_cpu_sets_split_per_cell(name: str, ded: str | None,
                                            shared: str | None, ded0: set[int],
                                            shared0: set[int], ded1: set[int]) -> None:
    host = build_host("h", caps("2cell"), conf=HostConfig.from_strings(ded, shared))
    assert host.cells[0].dedicated == ded0
    assert host.cells[0].shared == shared0
    assert host.cells[1].dedicated == ded1


BAD_CONF = [
    ("overlap", dict(dedicated="0-3", shared="3-5"), "both"),
    ("missing cpu", dict(dedicated="0-40"), "not online"),
    ("offline cpu", dict(dedicated="7"), "not online"),
    ("reserve too many", dict(reserved=["node:0,size:2048,count:513"]), "reserved"),
    ("reserve missing size", dict(reserved=["node:0,size:4M,count:1"]), "no 4096 KiB"),
    ("reserve missing node", dict(reserved=["node:3,size:2M,count:1"]), "node 3"),
]


@pytest.mark.parametrize("name,kw,message", BAD_CONF, ids=[c[0] for c in BAD_CONF])
def test_bad_configuration_is_refused(name: str, kw: dict, message: str) -> None:
    with pytest.raises(HostDiscoveryError, match=message):
        build_host("h", caps("1cell"), conf=HostConfig.from_strings(**kw))


def test_reserved_pages_are_kept_back() -> None:
    conf = HostConfig.from_strings(reserved=["node:1,size:1GB,count:2",
                                             "node:0,size:2048,count:64"])
    host = build_host("h", caps("2cell"), conf=conf)
    assert host.cells[0].pages_by_size[2048] == PagePool(2048, 4096, reserved=64)
    assert host.cells[1].pages_by_size[1048576].free == 6
    assert host.cells[0].pages_by_size[1048576].free == 8


@pytest.mark.parametrize("text,expected", [
    ("node:0,size:2048,count:64", (0, 2048, 64)),
    ("node:1,size:1GB,count:4", (1, 1048576, 4)),
    ("node:2,size:2M,count:8", (2, 2048, 8)),
])
def test_parse_reserved(text: str, expected: tuple[int, int, int]) -> None:
    r = parse_reserved(text)
    assert (r.node, r.size_kb, r.count) == expected


@pytest.mark.parametrize("text", ["node:0,size:2048", "size:2M,count:1",
                                  "node:x,size:2M,count:1"])
def test_parse_reserved_rejects(text: str) -> None:
    with pytest.raises(HostDiscoveryError):
        parse_reserved(text)


def test_page_sizes_limit_huge_pools_but_keep_small() -> None:
    host = build_host("h", caps("2cell"), conf=HostConfig(page_sizes=frozenset({2048})))
    assert [p.size_kb for p in host.cells[0].pages] == [4, 2048]


SPECS = [parse_device_spec('{"vendor_id": "8086", "product_id": "154c", '
                           '"physical_network": "physnet1"}'),
         parse_device_spec({"address": "0000:af:00.*", "physical_network": "physnet2"}),
         parse_device_spec({"vendor_id": "0x8086", "product_id": "1572"})]


def test_pci_devices_with_numa_node_type_and_physnet() -> None:
    host = build_host("h", caps("2cell"), nodedevs("2cell"),
                      HostConfig(device_specs=tuple(SPECS)))
    got = [(d.address, d.vendor_id, d.product_id, d.dev_type, d.physnet, d.numa_node)
           for d in host.pci]
    assert got == [
        ("0000:3b:00.0", "8086", "1572", "type-PF", None, 0),
        ("0000:3b:02.0", "8086", "154c", "type-VF", "physnet1", 0),
        ("0000:3b:02.1", "8086", "154c", "type-VF", "physnet1", 0),
        ("0000:3b:02.2", "8086", "154c", "type-VF", "physnet1", 0),
        ("0000:3b:02.3", "8086", "154c", "type-VF", "physnet1", 0),
        ("0000:af:00.0", "15b3", "1017", "type-PCI", "physnet2", 1),
    ]
    assert host.pci_cells == {0, 1}


def test_no_device_spec_offers_no_device() -> None:
    assert build_host("h", caps("2cell"), nodedevs("2cell")).pci == ()


def test_device_without_numa_node() -> None:
    spec = parse_device_spec({"address": "0000:00:1f.2"})
    host = build_host("h", caps("2cell"), nodedevs("2cell"), HostConfig(device_specs=(spec,)))
    assert [(d.address, d.numa_node, d.dev_type) for d in host.pci] == [
        ("0000:00:1f.2", None, "type-PCI")]


@pytest.mark.parametrize("spec", ['{"vendor": "8086"}', '[1]'])
def test_bad_device_spec(spec: str) -> None:
    with pytest.raises(HostDiscoveryError):
        parse_device_spec(spec)


@pytest.mark.parametrize("text", ["<capabilities/>", "<nope/>", "not xml",
                                  "<capabilities><host><topology><cells num='0'/>"
                                  "</topology></host></capabilities>"])
def test_not_a_numa_capabilities_document(text: str) -> None:
    with pytest.raises(HostDiscoveryError):
        build_host("h", text)
