"""Properties over generated hosts and dedicated requests: scheduling K instances one
after another never double-books a pCPU, page or device (consuming each choice with
`tessera.numa.usage.apply` never raises), and every chosen host and alternate passes
every filter on the host state it was chosen from."""

from __future__ import annotations

from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from tessera.numa.codec import host_from_dict
from tessera.numa.demo import expand_host
from tessera.numa.errors import InvalidRequest
from tessera.numa.request import PciRequest
from tessera.objects import Flavor, HostState, RequestSpec
from tessera.scheduler import NoValidHost, consume, load_filters, select_destinations
from tessera.scheduler.filters import FilterContext

from .helpers import wrap

FILTERS = load_filters()


@st.composite
def host_states(draw, index: int) -> HostState:
    n_cells = draw(st.integers(1, 2))
    cores = draw(st.integers(2, 6))
    cells = []
    for c in range(n_cells):
        cell: dict = {"memory_mb": draw(st.sampled_from([4096, 8192])),
                      "hugepages": {"2M": draw(st.sampled_from([0, 512])),
                                    "1G": draw(st.integers(0, 2))}}
        vfs = draw(st.integers(0, 2))
        if vfs:
            cell["pci"] = [{"count": vfs, "address": "0000:%02x:02.0" % c,
                            "vendor_id": "8086", "product_id": "154c",
                            "physnet": "physnet1"}]
        cells.append(cell)
    numa = host_from_dict(expand_host({
        "name": "h%d" % index, "cpu_allocation_ratio": 4.0,
        "topology": {"cells": n_cells, "cores": cores, "threads": draw(st.sampled_from([1, 2])),
                     "shared_cores": 1},
        "cells": cells}))
    return wrap(numa, cell_uuid=draw(st.sampled_from(["cell1", "cell2"])))


@st.composite
def dedicated_specs(draw) -> RequestSpec:
    vcpus = draw(st.integers(1, 6))
    extra = {"hw:cpu_policy": "dedicated"}
    for key, values in (("hw:cpu_thread_policy", ["prefer", "isolate", "require"]),
                        ("hw:mem_page_size", ["2MB", "1GB", "large", "small"]),
                        ("hw:numa_nodes", ["2"]),
                        ("hw:emulator_threads_policy", ["isolate"]),
                        ("hw:pci_numa_affinity_policy", ["required", "preferred"])):
        value = draw(st.sampled_from([None] + values))
        if value is not None:
            extra[key] = value
    pci = (PciRequest(count=1, vendor_id="8086", physnet="physnet1"),) \
        if draw(st.booleans()) else ()
    flavor = Flavor(flavorid="f", name="f", vcpus=vcpus, root_gb=1,
                    memory_mb=draw(st.sampled_from([1024, 2048])), extra_specs=extra)
    try:
        return RequestSpec.build("u", flavor, pci_requests=pci)
    except InvalidRequest:
        assume(False)
        raise


@st.composite
def scenarios(draw) -> tuple[list[HostState], RequestSpec, int, str]:
    hosts = [draw(host_states(i)) for i in range(draw(st.integers(1, 4)))]
    return (hosts, draw(dedicated_specs()), draw(st.integers(1, 6)),
            draw(st.sampled_from(["spread", "pack"])))


def _passes_every_filter(host: HostState, spec: RequestSpec) -> bool:
    ctx = FilterContext.for_request(spec, [host])
    return all(f.check(host, spec, ctx) is None for f in FILTERS)


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_k_instances_never_double_book(scenario) -> None:
    hosts, spec, k, strategy = scenario
    uuids = ["i%d" % n for n in range(k)]
    try:
        result = select_destinations(spec, hosts, uuids, strategy=strategy)
        event("all %d placed" % k)
    except NoValidHost as e:
        event("%d of %d placed" % (e.instance_index, k))
        assert {r.host for r in e.rejections} == {h.host for h in hosts}
        if not e.instance_index:
            return
        # `e.instance_index` instances fit: replaying that many must work.
        result = select_destinations(spec, hosts, uuids[:e.instance_index],
                                     strategy=strategy)
    state = {h.compute_node.uuid: h for h in hosts}
    for uuid, choices in zip(uuids, result.selections):
        for sel in choices:
            assert _passes_every_filter(state[sel.compute_node_uuid], spec)
            assert sel.cell_uuid == choices[0].cell_uuid
        chosen = choices[0]
        assert chosen.placement is not None
        state[chosen.compute_node_uuid] = consume(state[chosen.compute_node_uuid], spec,
                                                  chosen.placement, uuid)
