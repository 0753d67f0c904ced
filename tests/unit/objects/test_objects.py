"""The objects' wire and storage form: round trips, versions, immutability."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from tessera import objects as o
from tessera.numa.codec import host_from_dict
from tessera.numa.errors import InvalidRequest

PINNED = o.Flavor(flavorid="p1", name="pinned.medium", vcpus=4, memory_mb=4096, root_gb=10,
                  extra_specs={"hw:cpu_policy": "dedicated", "hw:mem_page_size": "1GB"})
HOST = host_from_dict({"name": "c1", "cells": [{
    "id": 0, "siblings": [[0, 4], [1, 5], [2, 6], [3, 7]], "shared": [0, 4],
    "dedicated": [1, 2, 3, 5, 6, 7], "memory_mb": 8192,
    "pages": [{"size_kb": 4, "total": 1048576}, {"size_kb": 1048576, "total": 4}]}]})


def _samples() -> list[o.TesseraObject]:
    spec = o.RequestSpec.build("u1", PINNED, o.ImageMeta(name="cirros"), project_id="p")
    node = o.ComputeNode(uuid="n1", host="c1", hypervisor_hostname="c1", vcpus=8,
                         memory_mb=8192, local_gb=100, numa=HOST)
    inst = o.Instance(uuid="u1", project_id="p", user_id="u", flavor=PINNED)
    return [spec, spec.with_retry("c1", "c1", "claim failed"), node,
            o.HostState(compute_node=node, cell_uuid="cell1"), inst,
            o.InstanceFault(instance_uuid="u1", code=500, message="No valid host"),
            o.Migration(uuid="m1", instance_uuid="u1", migration_type="resize",
                        source_compute="c1", old_flavor=PINNED, new_flavor=PINNED),
            o.CellMapping(uuid=o.CELL0_UUID, name="cell0", transport_url="none:///",
                          database_connection="sqlite://"),
            o.BuildRequest(instance_uuid="u1", project_id="p", instance=inst)]


@pytest.mark.parametrize("obj", _samples(), ids=lambda x: type(x).__name__)
def test_json_round_trip(obj: o.TesseraObject) -> None:
    assert type(obj).from_json(obj.to_json()) == obj
    assert o.TesseraObject.from_primitive(json.loads(obj.to_json())) == obj


def test_a_newer_minor_or_another_major_is_refused() -> None:
    prim = PINNED.to_primitive()
    for version in ("1.1", "2.0", "x"):
        with pytest.raises(o.IncompatibleObjectVersion):
            o.Flavor.from_primitive(dict(prim, **{"tessera_object.version": version}))
    with pytest.raises(o.IncompatibleObjectVersion):
        o.Instance.from_primitive(prim)


def test_objects_cannot_be_changed_in_place() -> None:
    spec = _samples()[0]
    with pytest.raises(ValidationError):
        spec.flavor = PINNED  # type: ignore[misc]


def test_spec_is_built_with_the_placement_rules() -> None:
    spec = _samples()[0]
    assert spec.numa_topology.cells and spec.numa_topology.page_size == 1048576
    bigger = spec.with_flavor(PINNED.model_copy(update={"vcpus": 8, "memory_mb": 8192}))
    assert bigger.flavor.vcpus == 8 and len(bigger.numa_topology.cells[0].pinned) == 8
    assert spec.flavor.vcpus == 4
    bad = PINNED.model_copy(update={"extra_specs": {"hw:cpu_policy": "sometimes"}})
    with pytest.raises(InvalidRequest, match="hw:cpu_policy"):
        o.RequestSpec.build("u2", bad)


def test_persisted_form_drops_per_request_fields() -> None:
    spec = _samples()[0].for_move(ignore_hosts=["c1"], destination=o.Destination(host="c2"))
    stored = spec.to_persisted()
    assert stored.ignore_hosts == [] and stored.requested_destination is None
    assert stored.flavor == spec.flavor
