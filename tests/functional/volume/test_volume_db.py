"""The block storage service's queries and the block device mappings on SQLite,
PostgreSQL and MariaDB: status derived from attachments, a detach that removes one
attachment of a multi-attach volume only, and two servers racing for a volume that
is not multi-attach (exactly one gets it, on every backend)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tessera.db.cell import block_devices as bdm_q
from tessera.db.cell import instances as inst_q
from tessera.db.engine import get_engine, session_scope
from tessera.objects import BlockDeviceStatus
from tessera.volume import service as svc
from tessera.volume import types as vtypes
from tests.functional.db import samples
from tests.functional.db.conftest import (api_url, backend, cell_url,  # noqa: F401
                                          db_server)


def _volume(url: str, multiattach: bool = False) -> str:
    with session_scope(get_engine(url)) as s:
        vtype = None
        if multiattach:
            vtype = vtypes.create_type(s, "multi-%d" % threading.get_ident(),
                                    extra_specs={"multiattach": "<is> True"}).id
        vol = svc.create_volume(s, project_id="p1", user_id="u", size=1, name="v",
                                volume_type=vtype)
        svc.set_status(s, vol.id, "available", ("creating",))
        return vol.id


def _status(url: str, volume_id: str) -> str:
    with session_scope(get_engine(url)) as s:
        return svc.get_volume(s, volume_id).status


def test_status_follows_the_attachments(api_url: str) -> None:  # noqa: F811
    vol = _volume(api_url, multiattach=True)
    engine = get_engine(api_url)
    with session_scope(engine) as s:
        a1 = svc.create_attachment(s, vol, "i-1")
        a2 = svc.create_attachment(s, vol, "i-2")
    assert _status(api_url, vol) == "reserved"
    with session_scope(engine) as s:
        svc.update_attachment(s, a1.id, {"host": "h1"}, "/srv/v")
    assert _status(api_url, vol) == "attaching"
    with session_scope(engine) as s:
        svc.complete_attachment(s, a1.id)
        svc.update_attachment(s, a2.id, {"host": "h2"}, "/srv/v")
        svc.complete_attachment(s, a2.id)
    assert _status(api_url, vol) == "in-use"
    with session_scope(engine) as s:
        svc.begin_detaching(s, a1.id)
    assert _status(api_url, vol) == "in-use"           # i-2 still uses it
    with session_scope(engine) as s:
        after = svc.delete_attachment(s, a1.id)
    assert after.status == "in-use" and [a.id for a in after.attachments] == [a2.id]
    with session_scope(engine) as s:
        svc.begin_detaching(s, a2.id)
    assert _status(api_url, vol) == "detaching"
    with session_scope(engine) as s:
        svc.abort_detaching(s, a2.id)
    assert _status(api_url, vol) == "in-use"
    with session_scope(engine) as s:
        with pytest.raises(svc.InvalidVolume):
            svc.begin_delete(s, vol)
        svc.delete_attachment(s, a2.id)
        svc.begin_delete(s, vol)
        svc.destroy_volume(s, vol)
        with pytest.raises(svc.NotFound):
            svc.get_volume(s, vol)


def test_a_single_volume_goes_to_one_of_two_racing_servers(api_url: str,  # noqa: F811
                                                           backend: str) -> None:  # noqa: F811
    if backend == "sqlite":
        pytest.skip("SQLite serialises whole transactions (BEGIN IMMEDIATE)")
    vol = _volume(api_url)
    engine = get_engine(api_url)
    barrier = threading.Barrier(2, timeout=30)
    results: list[Any] = []

    def reserve(server: str) -> None:
        try:
            with session_scope(engine) as s:
                svc.get_volume(s, vol)      # both have read it available
                barrier.wait()
                results.append(svc.create_attachment(s, vol, server))
        except Exception as exc:  # noqa: BLE001 - the loser's error is the result
            results.append(exc)

    threads = [threading.Thread(target=reserve, args=(name,)) for name in ("i-a", "i-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(type(r).__name__ for r in results) == ["Attachment", "InvalidVolume"], \
        results
    with session_scope(engine) as s:
        assert len(svc.get_volume(s, vol).attachments) == 1
    assert _status(api_url, vol) == "reserved"


def test_block_device_mappings(cell_url: str) -> None:  # noqa: F811
    engine = get_engine(cell_url)
    inst = samples.instance()
    with session_scope(engine) as s:
        inst_q.create_instance(s, inst)
        bdm_q.create_bdm(s, inst.uuid, "vol-1", "att-1", "/dev/vdb", multiattach=True,
                         volume_size=1)
        bdm_q.create_bdm(s, inst.uuid, "vol-2", "att-2", "/dev/vdc")
    with session_scope(engine) as s:
        bdm_q.update_bdm(s, "att-1", status=BlockDeviceStatus.ATTACHED,
                         connection_info={"data": {"device_path": "/srv/v1"}})
        loaded = bdm_q.with_block_devices(s, inst_q.get_instance(s, inst.uuid))
    assert [(b.volume_id, b.status, b.path) for b in loaded.block_devices] == [
        ("vol-1", BlockDeviceStatus.ATTACHED, "/srv/v1"),
        ("vol-2", BlockDeviceStatus.ATTACHING, None)]
    assert loaded.block_devices[0].multiattach is True
    # never in the stored body: a save of a stale copy cannot drop a mapping
    with session_scope(engine) as s:
        inst_q.save_instance(s, loaded.model_copy(update={"block_devices": []}))
        assert len(bdm_q.list_bdms(s, inst.uuid)) == 2
        assert bdm_q.swap_status(s, "att-1", BlockDeviceStatus.ATTACHED,
                                 BlockDeviceStatus.DETACHING)
        assert not bdm_q.swap_status(s, "att-1", BlockDeviceStatus.ATTACHED,
                                     BlockDeviceStatus.DETACHING)
        assert bdm_q.delete_bdm(s, "att-1") and not bdm_q.delete_bdm(s, "att-1")
        assert [b.volume_id for b in bdm_q.list_bdms(s, inst.uuid)] == ["vol-2"]
        with pytest.raises(bdm_q.BlockDeviceNotFound):
            bdm_q.get_bdm_by_attachment(s, "att-1")
