"""Cell database queries on every backend: services, compute nodes (with the
generation compare-and-swap), instances (with the task-state compare-and-swap),
faults, migrations; their errors and pagination."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tessera import objects as o
from tessera.db import errors
from tessera.db.cell import queries as q
from tessera.db.engine import get_engine, session_scope

from . import samples


def _session(url: str):  # type: ignore[no-untyped-def]
    return session_scope(get_engine(url))


def test_services(cell_url: str) -> None:
    with _session(cell_url) as s:
        first = q.create_or_get_service(s, o.Service(host="c1", binary="tessera-compute",
                                                     topic="compute"))
        again = q.create_or_get_service(s, o.Service(host="c1", binary="tessera-compute",
                                                     topic="other"))
        q.create_or_get_service(s, o.Service(host="c1", binary="tessera-scheduler"))
        q.create_or_get_service(s, o.Service(host="c2", binary="tessera-compute"))
    assert again == first and first.topic == "compute"
    with _session(cell_url) as s:
        beat = q.heartbeat(s, "c1", "tessera-compute")
        beat = q.heartbeat(s, "c1", "tessera-compute")
    assert beat.report_count == 2 and beat.last_seen_up is not None
    assert datetime.now(UTC) - beat.last_seen_up < timedelta(minutes=1)
    with _session(cell_url) as s:
        off = q.set_service_disabled(s, "c1", "tessera-compute", True, "maintenance")
        assert (off.disabled, off.disabled_reason) == (True, "maintenance")
        on = q.set_service_disabled(s, "c1", "tessera-compute", False)
        assert (on.disabled, on.disabled_reason) == (False, None)
        assert q.get_service(s, "c1", "tessera-compute") == on
        assert [x.host for x in q.list_services(s, binary="tessera-compute")] == ["c1", "c2"]
        assert len(q.list_services(s, host="c1")) == 2
        for call in (q.get_service, q.heartbeat):
            with pytest.raises(errors.ServiceNotFound):
                call(s, "nope", "tessera-compute")


def test_compute_nodes(cell_url: str) -> None:
    node = samples.node("c1")
    with _session(cell_url) as s:
        created = q.create_or_update_compute_node(s, node)
        q.create_or_update_compute_node(s, samples.node("c2"))
        with pytest.raises(errors.ComputeNodeExists):  # same hostname, other uuid
            q.create_or_update_compute_node(s, samples.node("c1"))
    assert created.generation == 0
    with _session(cell_url) as s:
        got = q.get_compute_node(s, "c1")
        assert got.numa == node.numa and got.generation == 0
        assert got == q.get_compute_node_by_uuid(s, node.uuid)
        bigger = q.create_or_update_compute_node(s, got.model_copy(update={"vcpus": 16}))
    assert bigger.generation == 1
    with _session(cell_url) as s:
        assert q.get_compute_node(s, "c1").vcpus == 16
        assert [n.hypervisor_hostname for n in q.list_compute_nodes(s)] == ["c1", "c2"]
        assert [n.hypervisor_hostname for n in q.list_compute_nodes(s, host="c2")] == ["c2"]
        assert q.mark_compute_nodes_mapped(s, [node.uuid]) == 1
        assert q.mark_compute_nodes_mapped(s, [node.uuid]) == 0
        assert [n.host for n in q.list_compute_nodes(s, mapped=False)] == ["c2"]
        assert [n.host for n in q.list_compute_nodes(s, mapped=True)] == ["c1"]
        with pytest.raises(errors.ComputeNodeNotFound):
            q.get_compute_node(s, "nope")
        with pytest.raises(errors.ComputeNodeNotFound):
            q.get_compute_node_by_uuid(s, "nope")


def test_save_usage_is_a_compare_and_swap(cell_url: str) -> None:
    with _session(cell_url) as s:
        node = q.create_or_update_compute_node(s, samples.node("c1"))
    used = node.model_copy(update={"vcpus_used": 4, "memory_mb_used": 4096,
                                   "running_vms": 1})
    other = node.model_copy(update={"vcpus_used": 2})
    with _session(cell_url) as s:
        won = q.save_usage(s, used, expected_generation=node.generation)
    assert won.generation == node.generation + 1
    with _session(cell_url) as s:
        with pytest.raises(errors.GenerationConflict) as lost:
            q.save_usage(s, other, expected_generation=node.generation)
    assert (lost.value.expected, lost.value.actual) == (node.generation, won.generation)
    with _session(cell_url) as s:
        stored = q.get_compute_node(s, "c1")
        assert stored == won and stored.vcpus_used == 4 and stored.running_vms == 1
        with pytest.raises(errors.ComputeNodeNotFound):
            q.save_usage(s, samples.node("c9"), expected_generation=0)


def test_instances_create_get_save_delete(cell_url: str) -> None:
    inst = samples.instance(display_name="vm1")
    with _session(cell_url) as s:
        created = q.create_instance(s, inst)
        with pytest.raises(errors.InstanceExists):
            q.create_instance(s, inst)
    assert created.created_at is not None
    with _session(cell_url) as s:
        assert q.get_instance(s, inst.uuid) == created
        active = created.model_copy(update={
            "host": "c1", "node": "c1", "vm_state": o.VmState.ACTIVE, "task_state": None,
            "power_state": o.PowerState.RUNNING, "launched_at": datetime.now(UTC)})
        saved = q.save_instance(s, active, expected_task_state=o.TaskState.SCHEDULING)
    assert saved.updated_at is not None
    with _session(cell_url) as s:
        assert q.get_instance(s, inst.uuid) == saved
        assert [i.uuid for i in q.list_instances_by_host(s, "c1")] == [inst.uuid]
        gone = q.soft_delete_instance(s, inst.uuid)
    assert gone.deleted and gone.terminated_at is not None
    with _session(cell_url) as s:
        with pytest.raises(errors.InstanceNotFound):
            q.get_instance(s, inst.uuid)
        assert q.get_instance(s, inst.uuid, read_deleted=True) == gone
        assert q.list_instances_by_host(s, "c1") == []
        assert [i.uuid for i in q.list_instances(s, deleted=True)] == [inst.uuid]
        with pytest.raises(errors.InstanceNotFound):
            q.save_instance(s, samples.instance())
        with pytest.raises(errors.InstanceNotFound):
            q.soft_delete_instance(s, inst.uuid)


def test_save_instance_expected_task_state(cell_url: str) -> None:
    with _session(cell_url) as s:
        inst = q.create_instance(s, samples.instance())
    spawning = inst.model_copy(update={"task_state": o.TaskState.SPAWNING})
    deleting = inst.model_copy(update={"task_state": o.TaskState.DELETING})
    with _session(cell_url) as s:
        q.save_instance(s, deleting, expected_task_state=[o.TaskState.SCHEDULING,
                                                          o.TaskState.SPAWNING])
    with _session(cell_url) as s:
        with pytest.raises(errors.UnexpectedTaskState) as lost:
            q.save_instance(s, spawning, expected_task_state=o.TaskState.SCHEDULING)
    assert lost.value.actual == "deleting"
    with _session(cell_url) as s:
        assert q.get_instance(s, inst.uuid).task_state == o.TaskState.DELETING
        with pytest.raises(errors.UnexpectedTaskState):
            q.save_instance(s, spawning, expected_task_state=None)
        idle = q.save_instance(s, inst.model_copy(update={"task_state": None}))
        q.save_instance(s, idle, expected_task_state=None)  # None means "no task"


def test_instance_list_filters_and_pages(cell_url: str) -> None:
    base = datetime(2024, 1, 1, tzinfo=UTC)
    made = []
    with _session(cell_url) as s:
        for i in range(7):
            # Two instances per timestamp: the uuid breaks the tie.
            inst = samples.instance("p1" if i < 6 else "p2", created_at=base + timedelta(
                seconds=i // 2), host="c%d" % (i % 2), vm_state=o.VmState.ACTIVE
                if i % 3 else o.VmState.ERROR)
            made.append(q.create_instance(s, inst))
    expected = sorted((m for m in made if m.project_id == "p1"),
                      key=lambda m: (m.created_at, m.uuid))
    with _session(cell_url) as s:
        pages, marker = [], None
        while True:
            page = q.list_instances(s, project_id="p1", marker=marker, limit=4)
            if not page:
                break
            pages.append(page)
            marker = page[-1].uuid
        assert [len(p) for p in pages] == [4, 2]
        assert [i.uuid for p in pages for i in p] == [m.uuid for m in expected]
        assert {i.host for i in q.list_instances(s, host="c1")} == {"c1"}
        assert len(q.list_instances(s, host="c1")) == 3
        errored = q.list_instances(s, vm_state=o.VmState.ERROR)
        assert sorted(i.uuid for i in errored) == sorted(made[i].uuid for i in (0, 3, 6))
        assert len(q.list_instances(s)) == 7
        with pytest.raises(errors.MarkerNotFound):
            q.list_instances(s, marker="nope")


def test_instance_faults(cell_url: str) -> None:
    with _session(cell_url) as s:
        inst = q.create_instance(s, samples.instance())
        assert q.get_latest_fault(s, inst.uuid) is None
        q.add_instance_fault(s, o.InstanceFault(instance_uuid=inst.uuid, code=500,
                                                message="claim failed", host="c1"))
        last = q.add_instance_fault(s, o.InstanceFault(
            instance_uuid=inst.uuid, code=500, message="No valid host " + "x" * 300,
            details="Traceback ..."))
        with pytest.raises(errors.InstanceNotFound):
            q.add_instance_fault(s, o.InstanceFault(instance_uuid="nope", code=1,
                                                    message="m"))
    assert len(last.message) == 255
    with _session(cell_url) as s:
        assert q.get_latest_fault(s, inst.uuid) == last


def test_migrations(cell_url: str) -> None:
    with _session(cell_url) as s:
        first = q.create_migration(s, samples.migration("i1", "c1", "c2"))
        second = q.create_migration(s, samples.migration("i1", "c2", "c3"))
        other = q.create_migration(s, samples.migration("i2", "c4", None,
                                                        migration_type="migration"))
        with pytest.raises(errors.MigrationExists):
            q.create_migration(s, first)
    with _session(cell_url) as s:
        assert q.get_migration(s, first.uuid) == first
        done = q.save_migration(s, first.model_copy(update={
            "status": o.MigrationStatus.FINISHED, "dest_node": "c2"}))
        with pytest.raises(errors.MigrationNotFound):
            q.get_migration(s, "nope")
        with pytest.raises(errors.MigrationNotFound):
            q.save_migration(s, samples.migration("i9"))
    with _session(cell_url) as s:
        assert q.get_migration(s, first.uuid) == done
        assert q.list_migrations_for_instance(s, "i1") == [done, second]
        assert q.list_migrations(s, status=o.MigrationStatus.FINISHED) == [done]
        assert q.list_migrations(s, host="c2") == [done, second]
        assert q.list_migrations(s, status=[o.MigrationStatus.PRE_MIGRATING],
                                 host="c4") == [other]
        assert len(q.list_migrations(s)) == 3
