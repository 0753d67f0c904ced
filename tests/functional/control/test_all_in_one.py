"""The control plane end to end in one process: SQLite databases, `fake://` RPC,
fake hypervisors from etc/hosts.yaml."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from tessera.compute.api import InstanceInvalidState
from tessera.db.cell import instances as inst_q
from tessera.db.engine import get_engine, session_scope
from tessera.deploy import AllInOne, Settings
from tessera.numa.errors import InvalidRequest
from tessera.objects import CELL0_UUID, VmState

from .helpers import CTX, HOSTS, PINNED_1G, PINNED_8_1G, flavor, pins_of, settled, wait_for


@pytest.fixture
def cloud(tmp_path):
    settings = Settings(api_db="sqlite:///%s/api.sqlite" % tmp_path,
                        cell_db="sqlite:///%s/cell1.sqlite" % tmp_path,
                        transport_url="fake://aio-%s" % tmp_path.name,
                        hosts=[HOSTS["nfv-2s-smt"], HOSTS["nfv-4n-nosmt"]])
    with AllInOne(settings) as aio:
        aio.api.create_flavor(PINNED_1G)
        aio.api.create_flavor(PINNED_8_1G)
        yield aio


def stored(cloud, uuid):
    with session_scope(get_engine(cloud.settings.cell_db)) as s:
        return inst_q.get_instance(s, uuid)


def test_boot_resize_and_migrate_keep_the_guest_pinned(cloud):
    [inst] = cloud.api.create(CTX, PINNED_1G, name="vm1")
    inst = settled(cloud.api, inst.uuid)
    assert inst.vm_state is VmState.ACTIVE, cloud.api.fault(inst.uuid)
    row = stored(cloud, inst.uuid)
    assert row.placement == inst.placement and len(pins_of(row)) == 4
    assert all(c.page_size_kb == 1048576 for c in row.placement.cells)
    node = cloud.computes()[inst.host].tracker.node
    assert pins_of(inst) <= set().union(*(c.pinned for c in node.numa.cells))

    cloud.api.resize(CTX, inst.uuid, PINNED_8_1G)
    resized = settled(cloud.api, inst.uuid, states=(VmState.RESIZED, VmState.ERROR))
    assert resized.vm_state is VmState.RESIZED, cloud.api.fault(inst.uuid)
    assert resized.host != inst.host and len(pins_of(resized)) == 8
    assert cloud.api.request_spec(inst.uuid).flavor.name == PINNED_8_1G.name
    cloud.api.confirm_resize(CTX, inst.uuid)
    active = settled(cloud.api, inst.uuid)
    assert active.vm_state is VmState.ACTIVE and active.flavor.vcpus == 8
    old = cloud.computes()[inst.host]
    wait_for(lambda: not old.tracker.claims(), what="the source to free the old pins")
    assert not any(c.pinned for c in old.tracker.node.numa.cells)

    cloud.api.migrate(CTX, inst.uuid)
    moved = settled(cloud.api, inst.uuid, states=(VmState.RESIZED, VmState.ERROR))
    assert moved.vm_state is VmState.RESIZED and moved.host == inst.host
    assert len(pins_of(moved)) == 8 and moved.flavor.vcpus == 8
    cloud.api.confirm_resize(CTX, inst.uuid)
    final = settled(cloud.api, inst.uuid)
    assert [m.migration_type for m in cloud.api.migrations(inst.uuid)] == \
        ["resize", "migration"]
    assert final.host == inst.host


def test_revert_puts_the_guest_back_on_its_old_pins(cloud):
    [inst] = cloud.api.create(CTX, PINNED_1G, name="vm1")
    inst = settled(cloud.api, inst.uuid)
    cloud.api.resize(CTX, inst.uuid, PINNED_8_1G)
    settled(cloud.api, inst.uuid, states=(VmState.RESIZED,))
    cloud.api.revert_resize(CTX, inst.uuid)
    back = settled(cloud.api, inst.uuid)
    assert back.host == inst.host and back.placement == inst.placement
    assert back.flavor.vcpus == 4
    assert cloud.api.request_spec(inst.uuid).flavor.vcpus == 4
    dest = [m for h, m in cloud.computes().items() if h != inst.host][0]
    wait_for(lambda: not dest.tracker.claims(), what="the destination to let go")


def test_an_unschedulable_guest_is_buried_in_cell0_with_the_reason(cloud):
    huge = flavor("huge", 64, 8192, **{"hw:cpu_policy": "dedicated",
                                       "hw:cpu_thread_policy": "isolate"})
    [inst] = cloud.api.create(CTX, huge, name="too-big")
    failed = settled(cloud.api, inst.uuid, states=(VmState.ERROR,))
    assert cloud.router.cell_of_instance(inst.uuid).uuid == CELL0_UUID
    fault = cloud.api.fault(inst.uuid)
    assert "No valid host" in fault.message
    assert "nfv-2s-smt" in fault.details and "NUMATopologyFilter" in fault.details
    assert failed.host is None


def test_invalid_flavors_are_refused_before_anything_is_stored(cloud):
    bad = flavor("bad", 2, 2048, **{"hw:cpu_policy": "dedicated",
                                    "hw:cpu_thread_policy": "sometimes"})
    with pytest.raises(InvalidRequest, match="hw:cpu_thread_policy"):
        cloud.api.create(CTX, bad)
    assert cloud.api.list("demo") == []


def test_a_failed_build_is_rescheduled_and_recorded(cloud):
    [inst] = cloud.api.create(CTX, PINNED_1G, name="flaky",
                              metadata={"fake_fail_spawn": "nfv-2s-smt"})
    done = settled(cloud.api, inst.uuid)
    assert done.vm_state is VmState.ACTIVE and done.host == "nfv-4n-nosmt"
    attempts = cloud.api.request_spec(inst.uuid).retry.attempts
    assert [a.host for a in attempts] == ["nfv-2s-smt"]
    assert not cloud.computes()["nfv-2s-smt"].tracker.claims()


def test_every_host_failing_ends_in_error_with_each_attempt(cloud):
    [inst] = cloud.api.create(CTX, PINNED_1G, name="doomed",
                              metadata={"fake_fail_spawn": "*"})
    failed = settled(cloud.api, inst.uuid, states=(VmState.ERROR,))
    fault = cloud.api.fault(failed.uuid)
    assert "nfv-2s-smt" in fault.details and "nfv-4n-nosmt" in fault.details
    assert all(not m.tracker.claims() for m in cloud.computes().values())


def test_a_hundred_concurrent_boots_never_share_a_pcpu_or_a_page(cloud):
    small = flavor("pinned.4.2m", 4, 2048, **{"hw:cpu_policy": "dedicated",
                                              "hw:mem_page_size": "2MB"})
    cloud.api.create_flavor(small)
    uuids: list[str] = []
    lock = threading.Lock()

    def boot() -> None:
        made = cloud.api.create(CTX, small, name="c")
        with lock:
            uuids.extend(i.uuid for i in made)

    threads = [threading.Thread(target=boot) for _ in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done = [settled(cloud.api, u, timeout=60) for u in uuids]
    states = Counter(i.vm_state for i in done)
    active = [i for i in done if i.vm_state is VmState.ACTIVE]
    assert active and states[VmState.ACTIVE] + states[VmState.ERROR] == 100
    print("concurrent boots:", dict(states))
    for host, manager in cloud.computes().items():
        mine = [i for i in active if i.host == host]
        pins = [p for i in mine for p in pins_of(i)]
        assert len(pins) == len(set(pins)), "a pCPU was given twice on %s" % host
        node = manager.tracker.node
        assert set(pins) == set().union(*(c.pinned for c in node.numa.cells))
        for cell in node.numa.cells:
            assert all(0 <= p.used <= p.total for p in cell.pages)
    for i in done:
        if i.vm_state is VmState.ERROR:
            assert "No valid host" in cloud.api.fault(i.uuid).message or \
                "retries" in cloud.api.fault(i.uuid).message


def test_a_move_is_refused_while_another_is_in_flight(cloud):
    [inst] = cloud.api.create(CTX, PINNED_1G, name="vm1")
    settled(cloud.api, inst.uuid)
    cloud.api.resize(CTX, inst.uuid, PINNED_8_1G)
    with pytest.raises(InstanceInvalidState):
        cloud.api.migrate(CTX, inst.uuid)
    settled(cloud.api, inst.uuid, states=(VmState.RESIZED,))
