"""The fast path (`select_destinations`' default) decides exactly as the straightforward
one (`fast=False`: every filter and weigher on every host, then a full sort): the same
chosen hosts, alternates and placements, the same rejections with the same reasons in
the same order, the same final states, and the same NoValidHost, on generated clouds
and requests, decision after decision on the usage the earlier ones left."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tessera.numa.codec import host_from_dict
from tessera.numa.demo import expand_host
from tessera.numa.errors import InvalidRequest
from tessera.numa.request import PciRequest
from tessera.objects import (Destination, Flavor, HostState, ImageMeta, RequestSpec,
                             RetryAttempt, SchedulerRetries)
from tessera.scheduler import (DEFAULT_FILTERS, NoValidHost, load_filters, load_weighers,
                               select_destinations)
from tessera.scheduler.filters import HostFilter
from tessera.scheduler.weighers import HostWeigher

from .helpers import wrap

NAMES = ["h%d" % i for i in range(6)]
UUIDS = ["vm-%d" % i for i in range(4)]


def _no_odd_running_vms(host: HostState, spec: RequestSpec, ctx: Any) -> str | None:
    vms = host.compute_node.running_vms
    return "runs %d guests, an odd number" % vms if vms % 2 else None


PLUGIN_FILTER = HostFilter("EvenGuestsFilter", _no_odd_running_vms)
PLUGIN_WEIGHER = HostWeigher("DiskWeigher", "disk_weight_multiplier",
                             lambda h, s: float(h.compute_node.local_gb
                                                - h.compute_node.local_gb_used))


@st.composite
def hosts(draw) -> list[HostState]:
    out = []
    for i in range(draw(st.integers(1, 7))):
        cores = draw(st.integers(2, 4))
        cells = []
        for c in range(draw(st.integers(1, 2))):
            cell: dict = {"memory_mb": draw(st.sampled_from([4096, 8192])),
                          "hugepages": {"1G": draw(st.integers(0, 2))}}
            vfs = draw(st.integers(0, 2))
            if vfs:
                cell["pci"] = [{"count": vfs, "address": "0000:%02x:02.0" % c,
                                "vendor_id": "8086", "product_id": "154c",
                                "physnet": "physnet1"}]
            cells.append(cell)
        # Names repeat now and then, so ties on weight and name are broken by index.
        name = draw(st.sampled_from(NAMES))
        numa = host_from_dict(expand_host({
            "name": name, "cpu_allocation_ratio": 4.0,
            "topology": {"cells": len(cells), "cores": cores,
                         "threads": draw(st.sampled_from([1, 2])), "shared_cores": 1},
            "cells": cells}))
        out.append(wrap(
            numa, cell_uuid=draw(st.sampled_from(["cell1", "cell2"])),
            az=draw(st.sampled_from([None, "nova", "az1"])),
            uuid="cn-%d" % i,
            service_up=draw(st.booleans() | st.just(True)),
            service_disabled=draw(st.sampled_from([False, False, True])),
            disabled_reason=draw(st.sampled_from([None, "maintenance"])),
            instance_uuids=frozenset(draw(st.sets(st.sampled_from(UUIDS), max_size=2))),
            memory_mb_used=draw(st.sampled_from([0, 0, 2048, 6144, 16384])),
            local_gb=draw(st.sampled_from([10, 40, 500])),
            local_gb_used=draw(st.sampled_from([0, 0, 5, 30])),
            vcpus_used=draw(st.sampled_from([0, 0, 3, 8])),
            running_vms=draw(st.integers(0, 3)),
            disk_allocation_ratio=draw(st.sampled_from([1.0, 1.5])),
            hypervisor_type=draw(st.sampled_from(["kvm", "qemu", "fake", "xen"])),
            hypervisor_version=draw(st.sampled_from([6000000, 8002000]))))
    return out


@st.composite
def specs(draw, names: list[str]) -> RequestSpec:
    extra = {}
    policy = draw(st.sampled_from([None, "dedicated", "mixed"]))
    vcpus = draw(st.integers(1, 4))
    if policy:
        extra["hw:cpu_policy"] = policy
    if policy == "mixed":
        vcpus = max(vcpus, 2)
        extra["hw:cpu_dedicated_mask"] = "^0"
    for key, values in (("hw:mem_page_size", ["1GB", "small"]),
                        ("hw:numa_nodes", ["2"]),
                        ("hw:cpu_thread_policy", ["isolate"])):
        value = draw(st.sampled_from([None, None] + values))
        if value is not None and (policy or key != "hw:cpu_thread_policy"):
            extra[key] = value
    flavor = Flavor(flavorid="f", name="f", vcpus=vcpus,
                    memory_mb=draw(st.sampled_from([512, 2048, 8192])),
                    root_gb=draw(st.sampled_from([0, 1, 10, 20])),
                    ephemeral_gb=draw(st.sampled_from([0, 0, 10])),
                    swap=draw(st.sampled_from([0, 0, 512])), extra_specs=extra)
    image = draw(st.sampled_from([{}, {}, {"hw_architecture": "x86_64"},
                                  {"img_hv_type": "xen"},
                                  {"img_hv_requested_version": ">=7.0"},
                                  {"os_type": "windows", "architecture": "amd64"}]))
    pci = (PciRequest(count=draw(st.integers(1, 3)), vendor_id="8086",
                      physnet=draw(st.sampled_from(["physnet1", "physnet2"]))),) \
        if draw(st.booleans()) else ()
    hints = {}
    for hint in ("same_host", "different_host"):
        if draw(st.integers(0, 4)) == 0:
            hints[hint] = draw(st.lists(st.sampled_from(UUIDS + ["elsewhere"]),
                                        min_size=1, max_size=2))
    named = st.sampled_from(names)
    fields: dict[str, Any] = dict(
        availability_zone=draw(st.sampled_from([None, None, "nova", "az1"])),
        is_bfv=draw(st.booleans()), scheduler_hints=hints,
        num_instances=draw(st.integers(1, 3)),
        ignore_hosts=draw(st.lists(named, max_size=1)))
    if draw(st.integers(0, 5)) == 0:
        fields["force_hosts"] = [draw(named)]
    if draw(st.integers(0, 5)) == 0:
        fields["requested_destination"] = Destination(
            cell_uuid=draw(st.sampled_from(["cell1", "cell2"])))
    if draw(st.integers(0, 5)) == 0:
        fields["retry"] = SchedulerRetries(num_attempts=1, attempts=[
            RetryAttempt(host=draw(named), reason="boom")])
    try:
        return RequestSpec.build("new", flavor, ImageMeta(properties=image),
                                 pci_requests=pci, **fields)
    except InvalidRequest:
        assume(False)
        raise


@st.composite
def clouds(draw) -> tuple:
    states = draw(hosts())
    names = sorted({h.host for h in states})
    requests = [draw(specs(names)) for _ in range(draw(st.integers(1, 4)))]
    filters = load_filters(draw(st.sampled_from([
        DEFAULT_FILTERS, ("RamFilter", "DiskFilter", "NUMATopologyFilter")])))
    if draw(st.booleans()):
        filters.insert(draw(st.integers(0, len(filters))), PLUGIN_FILTER)
    weighers = load_weighers(options={
        "ram_weight_multiplier": draw(st.sampled_from([1.0, 0.0, -1.0, 2.5])),
        "cpu_weight_multiplier": draw(st.sampled_from([1.0, 0.0, 0.5])),
        "pinned_cpu_weight_multiplier": draw(st.sampled_from([1.0, -2.0]))})
    if draw(st.booleans()):
        weighers.append(PLUGIN_WEIGHER)
    return states, requests, filters, weighers, draw(st.sampled_from(["spread", "pack"]))


def _decide(spec: RequestSpec, states: list[HostState], uuids: list[str],
            fast: bool, **kw: Any) -> tuple:
    try:
        r = select_destinations(spec, states, uuids, fast=fast, **kw)
    except NoValidHost as e:
        return ("no valid host", e.instance_index, e.rejections, str(e))
    return ("placed", r.selections, r.rejections, r.final_states)


@settings(max_examples=200, deadline=None)
@given(clouds())
def test_fast_path_decides_as_the_straightforward_path(cloud) -> None:
    states, requests, filters, weighers, strategy = cloud
    kw = dict(filters=filters, weighers=weighers, strategy=strategy)
    # Each request twice, on the usage the earlier decisions left: the second time
    # the fast path answers from what it kept about unchanged hosts.
    for n, spec in enumerate(requests + requests):
        uuids = ["new-%d-%d" % (n, k) for k in range(spec.num_instances)]
        fast = _decide(spec, states, uuids, True, **kw)
        assert fast == _decide(spec, states, uuids, False, **kw)
        if fast[0] == "placed":
            states = fast[3]


def _twins(n: int, **node: Any) -> list[HostState]:
    """`n` identical one-cell hosts named in reverse order of their index."""
    out = []
    for i in range(n):
        numa = host_from_dict(expand_host({
            "name": "t%d" % (n - i), "cpu_allocation_ratio": 4.0,
            "topology": {"cells": 1, "cores": 4, "threads": 2, "shared_cores": 1},
            "cells": [{"memory_mb": 8192, "hugepages": {"1G": 2}, "pci": [
                {"count": 1, "address": "0000:3b:02.0", "vendor_id": "8086",
                 "product_id": "154c", "physnet": "physnet1"}]}]}))
        out.append(wrap(numa, uuid="cn-t%d" % i, local_gb=10, **node))
    return out


def _flavor(**kw: Any) -> Flavor:
    return Flavor(**{"flavorid": "f", "name": "f", "vcpus": 2, "memory_mb": 2048,
                     "root_gb": 0, "extra_specs": {"hw:cpu_policy": "dedicated"}, **kw})


VF = PciRequest(count=1, vendor_id="8086", physnet="physnet1")
CASES = {
    # name: (requests in turn, each: flavor fields, image properties, PCI count;
    #        expected chosen host or the filter that refused t1)
    "equal weights: the first host name wins": [({}, {}, 0, "t1")],
    "disk exactly full passes, one MiB more does not": [
        ({"root_gb": 10}, {}, 0, "t1"), ({"root_gb": 10, "swap": 1}, {}, 0, "DiskFilter")],
    "RAM exactly full passes, one MiB more does not": [
        ({"memory_mb": 4096}, {}, 0, "t1"), ({"memory_mb": 4097}, {}, 0, "RamFilter")],
    "an image answer kept for one image is not reused for another": [
        ({}, {"img_hv_type": "kvm"}, 0, "t1"), ({}, {"img_hv_type": "xen"}, 0,
                                                 "ImagePropertiesFilter"),
        ({}, {"img_hv_type": "kvm"}, 0, "t1")],
    "image properties equal as values but read differently are kept apart": [
        ({}, {"hw_architecture": True}, 0, "ImagePropertiesFilter"),
        ({}, {"hw_architecture": 1}, 0, "ImagePropertiesFilter")],
    "a device answer kept for one request is not reused for another": [
        ({}, {}, 1, "t1"), ({}, {}, 2, "PciPassthroughFilter"), ({}, {}, 1, "t1")],
}


@pytest.mark.parametrize("steps", CASES.values(), ids=list(CASES))
def test_fast_path_table(steps: list) -> None:
    states = _twins(3, hypervisor_type="kvm", memory_mb_used=4096)
    for n, (flavor, image, vfs, expected) in enumerate(steps):
        pci = (PciRequest(count=vfs, vendor_id="8086", physnet="physnet1"),) if vfs else ()
        spec = RequestSpec.build("u%d" % n, _flavor(**flavor), ImageMeta(properties=image),
                                 pci_requests=pci)
        fast = _decide(spec, states, ["u%d" % n], True)
        assert fast == _decide(spec, states, ["u%d" % n], False)
        if fast[0] == "placed":
            assert fast[1][0][0].service_host == expected
        else:
            assert {(r.host, r.filter) for r in fast[2]} >= {("t1", expected)}
