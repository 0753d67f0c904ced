"""API database queries on every backend: flavors, request specs, cell, host and
instance mappings, build requests; their errors and pagination."""

from __future__ import annotations

import pytest

from tessera import objects as o
from tessera.db import errors
from tessera.db.api import queries as q
from tessera.db.engine import get_engine, session_scope

from . import samples


def _session(url: str):  # type: ignore[no-untyped-def]
    return session_scope(get_engine(url))


def test_flavor_create_get_and_duplicates(api_url: str) -> None:
    with _session(api_url) as s:
        created = q.create_flavor(s, samples.PINNED)
    assert created == samples.PINNED
    with _session(api_url) as s:
        assert q.get_flavor(s, "p1") == samples.PINNED
        assert q.get_flavor_by_name(s, "pinned.medium") == samples.PINNED
        with pytest.raises(errors.FlavorExists):
            q.create_flavor(s, samples.PINNED)
        with pytest.raises(errors.FlavorExists):  # same name, other id
            q.create_flavor(s, samples.PINNED.model_copy(update={"flavorid": "p2"}))
        q.create_flavor(s, samples.flavor("other"))  # the session is still usable
    with _session(api_url) as s:
        with pytest.raises(errors.FlavorNotFound):
            q.get_flavor(s, "nope")
        with pytest.raises(errors.FlavorNotFound):
            q.get_flavor_by_name(s, "nope")
        assert len(q.list_flavors(s)) == 2


def test_flavor_list_filters_and_pages(api_url: str) -> None:
    with _session(api_url) as s:
        for i in range(7):
            q.create_flavor(s, samples.flavor("f%d" % i, memory_mb=1024 * (i + 1),
                                              root_gb=10 * i, is_public=i != 3,
                                              disabled=i == 6))
    with _session(api_url) as s:
        ids = [f.flavorid for f in q.list_flavors(s)]
        assert ids == ["f0", "f1", "f2", "f4", "f5"]
        assert len(q.list_flavors(s, is_public=None)) == 6
        assert [f.flavorid for f in q.list_flavors(s, is_public=False)] == ["f3"]
        assert len(q.list_flavors(s, is_public=None, include_disabled=True)) == 7
        assert [f.flavorid for f in q.list_flavors(s, min_memory_mb=4096)] == ["f4", "f5"]
        assert [f.flavorid for f in q.list_flavors(s, min_root_gb=20)] == ["f2", "f4", "f5"]
        pages, marker = [], None
        while True:
            page = q.list_flavors(s, marker=marker, limit=2)
            if not page:
                break
            pages.append([f.flavorid for f in page])
            marker = page[-1].flavorid
        assert pages == [["f0", "f1"], ["f2", "f4"], ["f5"]]
        with pytest.raises(errors.MarkerNotFound):
            q.list_flavors(s, marker="nope")


def test_flavor_extra_specs_and_delete(api_url: str) -> None:
    with _session(api_url) as s:
        q.create_flavor(s, samples.PINNED)
    with _session(api_url) as s:
        flavor = q.set_flavor_extra_specs(s, "p1", {"hw:mem_page_size": "2MB",
                                                    "hw:numa_nodes": "2"})
    assert flavor.extra_specs == {"hw:cpu_policy": "dedicated",
                                  "hw:mem_page_size": "2MB", "hw:numa_nodes": "2"}
    with _session(api_url) as s:
        assert q.get_flavor(s, "p1").extra_specs == flavor.extra_specs
        flavor = q.unset_flavor_extra_spec(s, "p1", "hw:numa_nodes")
        with pytest.raises(errors.FlavorExtraSpecNotFound):
            q.unset_flavor_extra_spec(s, "p1", "hw:numa_nodes")
        with pytest.raises(errors.FlavorNotFound):
            q.set_flavor_extra_specs(s, "nope", {"a": "b"})
    with _session(api_url) as s:
        assert "hw:numa_nodes" not in q.get_flavor(s, "p1").extra_specs
        q.delete_flavor(s, "p1")
    with _session(api_url) as s:
        with pytest.raises(errors.FlavorNotFound):
            q.delete_flavor(s, "p1")
        q.create_flavor(s, samples.PINNED)  # its extra specs went with it


def test_request_spec_round_trip(api_url: str) -> None:
    spec = samples.spec("i1").for_move(ignore_hosts=["c1"],
                                       destination=o.Destination(host="c2"))
    with _session(api_url) as s:
        stored = q.create_request_spec(s, spec)
        with pytest.raises(errors.RequestSpecExists):
            q.create_request_spec(s, spec)
    assert stored.ignore_hosts == [] and stored.requested_destination is None
    with _session(api_url) as s:
        assert q.get_request_spec(s, "i1") == stored
        bigger = samples.PINNED.model_copy(update={"flavorid": "p2", "vcpus": 6})
        q.save_request_spec(s, stored.with_flavor(bigger).with_retry("c1", "c1", "x"))
    with _session(api_url) as s:
        again = q.get_request_spec(s, "i1")
        assert again.flavor.vcpus == 6 and again.retry.num_attempts == 1
        q.delete_request_spec(s, "i1")
        for call in (q.get_request_spec, q.delete_request_spec):
            with pytest.raises(errors.RequestSpecNotFound):
                call(s, "i1")
        with pytest.raises(errors.RequestSpecNotFound):
            q.save_request_spec(s, spec)


def _cell(uuid: str, name: str) -> o.CellMapping:
    return o.CellMapping(uuid=uuid, name=name, transport_url="rabbit://h/" + name,
                         database_connection="sqlite:///" + name)


def test_cell_and_host_mappings(api_url: str) -> None:
    with _session(api_url) as s:
        with pytest.raises(errors.CellMappingNotFound):
            q.get_cell0_mapping(s)
        q.create_cell_mapping(s, _cell("c-2", "cell2"))
        q.create_cell_mapping(s, _cell(o.CELL0_UUID, "cell0"))
        with pytest.raises(errors.CellMappingExists):
            q.create_cell_mapping(s, _cell("c-2", "again"))
    with _session(api_url) as s:
        assert q.get_cell0_mapping(s).is_cell0
        assert q.get_cell_mapping(s, "c-2") == _cell("c-2", "cell2")
        assert [c.uuid for c in q.list_cell_mappings(s)] == [o.CELL0_UUID, "c-2"]
        with pytest.raises(errors.CellMappingNotFound):
            q.get_cell_mapping(s, "nope")
        for host in ("h2", "h1"):
            q.create_host_mapping(s, o.HostMapping(host=host, cell_uuid="c-2"))
        with pytest.raises(errors.HostMappingExists):
            q.create_host_mapping(s, o.HostMapping(host="h1", cell_uuid=o.CELL0_UUID))
        with pytest.raises(errors.CellMappingNotFound):
            q.create_host_mapping(s, o.HostMapping(host="h3", cell_uuid="nope"))
    with _session(api_url) as s:
        assert q.get_host_mapping(s, "h1") == o.HostMapping(host="h1", cell_uuid="c-2")
        assert [m.host for m in q.list_host_mappings(s, "c-2")] == ["h1", "h2"]
        assert q.list_host_mappings(s, o.CELL0_UUID) == []
        assert len(q.list_host_mappings(s)) == 2
        q.delete_host_mapping(s, "h1")
        with pytest.raises(errors.HostMappingNotFound):
            q.get_host_mapping(s, "h1")
        with pytest.raises(errors.HostMappingNotFound):
            q.delete_host_mapping(s, "h1")


def test_instance_mappings_and_pages(api_url: str) -> None:
    with _session(api_url) as s:
        q.create_cell_mapping(s, _cell("c-1", "cell1"))
        for i in range(5):
            q.create_instance_mapping(s, o.InstanceMapping(
                instance_uuid="i%d" % i, project_id="p1" if i != 2 else "p2"))
        with pytest.raises(errors.InstanceMappingExists):
            q.create_instance_mapping(s, o.InstanceMapping(instance_uuid="i0",
                                                           project_id="p1"))
    with _session(api_url) as s:
        assert q.get_instance_mapping(s, "i0").cell_uuid is None
        mapped = q.set_instance_mapping_cell(s, "i0", "c-1")
        assert mapped.cell_uuid == "c-1"
        with pytest.raises(errors.InstanceMappingNotFound):
            q.get_instance_mapping(s, "nope")
        with pytest.raises(errors.CellMappingNotFound):
            q.set_instance_mapping_cell(s, "i1", "nope")
    with _session(api_url) as s:
        assert q.get_instance_mapping(s, "i0") == mapped
        first = q.list_instance_mappings(s, "p1", limit=2)
        rest = q.list_instance_mappings(s, "p1", marker=first[-1].instance_uuid)
        assert [m.instance_uuid for m in first + rest] == ["i0", "i1", "i3", "i4"]
        assert [m.instance_uuid for m in q.list_instance_mappings(s, "p2")] == ["i2"]
        with pytest.raises(errors.MarkerNotFound):
            q.list_instance_mappings(s, "p1", marker="nope")


def test_build_requests(api_url: str) -> None:
    inst = samples.instance()
    with _session(api_url) as s:
        created = q.create_build_request(s, o.BuildRequest(
            instance_uuid=inst.uuid, project_id="p1", instance=inst))
        q.create_build_request(s, o.BuildRequest(
            instance_uuid="other", project_id="p2", instance=samples.instance("p2")))
        with pytest.raises(errors.BuildRequestExists):
            q.create_build_request(s, created)
    assert created.created_at is not None
    with _session(api_url) as s:
        assert q.get_build_request(s, inst.uuid) == created
        assert [b.instance_uuid for b in q.list_build_requests(s, "p1")] == [inst.uuid]
        q.delete_build_request(s, inst.uuid)
        with pytest.raises(errors.BuildRequestNotFound):
            q.get_build_request(s, inst.uuid)
        with pytest.raises(errors.BuildRequestNotFound):
            q.delete_build_request(s, inst.uuid)
        assert q.list_build_requests(s, "p1") == []


def test_a_failed_unit_of_work_leaves_nothing(api_url: str) -> None:
    with pytest.raises(RuntimeError):
        with _session(api_url) as s:
            q.create_flavor(s, samples.PINNED)
            raise RuntimeError("boom")
    with _session(api_url) as s:
        assert q.list_flavors(s, is_public=None) == []
