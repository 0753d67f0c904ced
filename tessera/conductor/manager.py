"""The conductor: turns accepted requests into scheduled work in the right cell.

Builds: the API has stored a BuildRequest, a RequestSpec and an unmapped instance
mapping; the conductor asks the scheduler where each instance goes, creates the
instance in that host's cell, maps it, and casts the build to the host. An instance
that cannot be scheduled is buried in cell0 in ERROR, with a fault that says why.
A compute host that fails a build sends it back here: the attempt is recorded in the
RequestSpec, and the build is scheduled again in the same cell, away from the hosts
that failed it, at most `max_attempts` times in all.

Moves (resize, cold migration): the persisted RequestSpec is loaded, given the new
flavor, scheduled within the instance's cell, and saved; the destination host is told
to claim and prepare.
"""

from __future__ import annotations

import logging
import uuid as uuidlib
from datetime import datetime, timezone
from typing import Any

import oslo_messaging

from tessera.compute.rpcapi import ComputeAPI
from tessera.db import errors as db_errors
from tessera.db.api import queries as api_q
from tessera.db.cell import instances as inst_q
from tessera.db.cell import queries as mig_q
from tessera.network import allocate as ports
from tessera.objects import (BuildRequest, CellMapping, Destination, Flavor,
                             InstanceFault, Migration, RequestSpec, SchedulingOutcome,
                             Selection, TaskState, VmState)
from tessera.routing import CellRouter
from tessera.scheduler.rpcapi import SchedulerAPI

LOG = logging.getLogger(__name__)


def now() -> datetime:
    return datetime.now(timezone.utc)


class ConductorManager:
    target = oslo_messaging.Target(version="1.0")

    def __init__(self, router: CellRouter, scheduler: SchedulerAPI, max_attempts: int = 3,
                 allow_resize_to_same_host: bool = False) -> None:
        self.router = router
        self.scheduler = scheduler
        self.max_attempts = max_attempts
        self.allow_resize_to_same_host = allow_resize_to_same_host

    def compute(self, cell: CellMapping) -> ComputeAPI:
        return ComputeAPI(self.router.transport(cell))

    # -- builds ----------------------------------------------------------------------

    def schedule_and_build_instances(self, ctxt: Any, instance_uuids: list[str]) -> None:
        with self.router.api() as s:
            specs = [api_q.get_request_spec(s, u) for u in instance_uuids]
        spec = specs[0].model_copy(update={"num_instances": len(specs)})
        outcome = self._schedule(ctxt, spec, instance_uuids)
        for i, (uuid, own) in enumerate(zip(instance_uuids, specs)):
            own = own.model_copy(update={"rejections": outcome.rejections})
            if outcome.error:
                self._bury_in_cell0(uuid, own, outcome.error)
            else:
                self._build_in_cell(ctxt, uuid, own, outcome.selections[i][0])

    def _schedule(self, ctxt: Any, spec: RequestSpec, uuids: list[str]) -> SchedulingOutcome:
        """The scheduler's decision; a scheduler that fails (it raised, or did not
        answer in time) is an error outcome, so the caller faults the instance and
        claims nothing."""
        try:
            return self.scheduler.select_destinations(ctxt, spec, uuids)
        except oslo_messaging.MessagingTimeout:
            LOG.warning("scheduling %s: the scheduler did not answer in time", uuids)
            return SchedulingOutcome(error="the scheduler did not answer in time")
        except oslo_messaging.MessageDeliveryFailure as exc:
            LOG.error("scheduling %s: the request did not reach the scheduler: %s",
                      uuids, exc)
            return SchedulingOutcome(error="the scheduler could not be reached")
        except Exception as exc:  # raised in the scheduler, carried back over RPC
            kind = (exc.exc_type if isinstance(exc, oslo_messaging.RemoteError)
                    else type(exc).__name__.removesuffix("_Remote"))
            LOG.error("scheduling %s: the scheduler failed: %s: %s", uuids, kind, exc)
            return SchedulingOutcome(error="the scheduler failed: %s" % kind)

    def _build_in_cell(self, ctxt: Any, uuid: str, spec: RequestSpec,
                       selection: Selection) -> None:
        cell = self.router.cell(selection.cell_uuid)
        with self.router.api() as s:
            try:
                build = api_q.get_build_request(s, uuid)
            except db_errors.BuildRequestNotFound:
                LOG.info("instance %s was deleted before it was scheduled", uuid)
                return
        vifs = build.instance.vifs
        if vifs:
            with self.router.api() as s:  # the ports go to the chosen host
                vifs = ports.bind(s, vifs, selection.service_host)
        instance = build.instance.model_copy(update={
            "availability_zone": selection.availability_zone or build.instance.availability_zone,
            "task_state": TaskState.SCHEDULING, "vifs": vifs})
        with self.router.cell_db(cell) as s:
            inst_q.create_instance(s, instance)
        with self.router.api() as s:
            api_q.set_instance_mapping_cell(s, uuid, cell.uuid)
            api_q.delete_build_request(s, uuid)
            api_q.save_request_spec(s, spec.to_persisted())
        self.compute(cell).build_and_run_instance(ctxt, selection.service_host, uuid,
                                                  spec, selection)

    def _bury_in_cell0(self, uuid: str, spec: RequestSpec, error: str) -> None:
        cell0 = self.router.cell0()
        with self.router.api() as s:
            try:
                build: BuildRequest | None = api_q.get_build_request(s, uuid)
            except db_errors.BuildRequestNotFound:
                build = None
        if build is None:
            return
        instance = build.instance.model_copy(update={"vm_state": VmState.ERROR,
                                                     "task_state": None, "vifs": []})
        with self.router.api() as s:
            ports.release(s, uuid, build.instance.vifs)
        with self.router.cell_db(cell0) as s:
            inst_q.create_instance(s, instance)
            inst_q.add_instance_fault(s, _fault(uuid, error, spec))
        with self.router.api() as s:
            api_q.set_instance_mapping_cell(s, uuid, cell0.uuid)
            api_q.delete_build_request(s, uuid)
            api_q.save_request_spec(s, spec.to_persisted())

    def reschedule_build(self, ctxt: Any, instance_uuid: str, host: str, node: str | None,
                         reason: str) -> None:
        cell = self.router.cell_of_instance(instance_uuid)
        if cell is None:
            return
        with self.router.api() as s:
            spec = api_q.get_request_spec(s, instance_uuid).with_retry(host, node, reason)
        if spec.retry.num_attempts >= self.max_attempts:
            return self._give_up(cell, instance_uuid, spec, "Exceeded maximum number of "
                                 "retries (%d)." % self.max_attempts)
        scoped = spec.model_copy(update={
            "requested_destination": Destination(cell_uuid=cell.uuid), "num_instances": 1})
        outcome = self._schedule(ctxt, scoped, [instance_uuid])
        spec = spec.model_copy(update={"rejections": outcome.rejections})
        if outcome.error:
            return self._give_up(cell, instance_uuid, spec, outcome.error)
        selection = outcome.selections[0][0]
        with self.router.api() as s:
            api_q.save_request_spec(s, spec.to_persisted())
            with self.router.cell_db(cell, readonly=True) as cs:
                ports.bind(s, inst_q.get_instance(cs, instance_uuid).vifs,
                           selection.service_host)
        self.compute(cell).build_and_run_instance(ctxt, selection.service_host,
                                                  instance_uuid, spec, selection)

    def _give_up(self, cell: CellMapping, uuid: str, spec: RequestSpec, error: str) -> None:
        with self.router.api() as s:
            api_q.save_request_spec(s, spec.to_persisted())
        with self.router.cell_db(cell) as s:
            try:
                inst = inst_q.get_instance(s, uuid)
            except db_errors.InstanceNotFound:
                return
            if inst.task_state is TaskState.DELETING or inst.deleted:
                return
            inst_q.save_instance(s, inst.model_copy(update={
                "vm_state": VmState.ERROR, "task_state": None, "host": None, "node": None,
                "vifs": []}))
            with self.router.api() as api:
                ports.release(api, uuid, inst.vifs)
            inst_q.add_instance_fault(s, _fault(uuid, error, spec))

    # -- moves -----------------------------------------------------------------------

    def migrate_server(self, ctxt: Any, instance_uuid: str, flavor: Flavor | None) -> None:
        cell = self.router.cell_of_instance(instance_uuid)
        if cell is None:
            return
        with self.router.cell_db(cell) as s:
            inst = inst_q.get_instance(s, instance_uuid)
        with self.router.api() as s:
            stored = api_q.get_request_spec(s, instance_uuid)
        new_flavor = flavor or inst.flavor
        spec = stored.with_flavor(new_flavor) if flavor else stored
        same_host_ok = flavor is not None and self.allow_resize_to_same_host
        spec = spec.for_move(ignore_hosts=[] if same_host_ok else [inst.host or ""],
                             destination=Destination(cell_uuid=cell.uuid))
        outcome = self._schedule(ctxt, spec, [instance_uuid])
        if outcome.error:
            with self.router.cell_db(cell) as s:
                inst_q.add_instance_fault(s, _fault(instance_uuid, outcome.error, spec))
                inst_q.save_instance(s, inst.model_copy(update={"task_state": None}),
                                     expected_task_state=TaskState.RESIZE_PREP)
            return
        selection = outcome.selections[0][0]
        migration = Migration(
            uuid=str(uuidlib.uuid4()), instance_uuid=instance_uuid,
            migration_type="resize" if flavor else "migration",
            source_compute=inst.host or "", source_node=inst.node,
            dest_compute=selection.service_host, dest_node=selection.nodename,
            old_flavor=inst.flavor, new_flavor=new_flavor, created_at=now())
        with self.router.cell_db(cell) as s:
            mig_q.create_migration(s, migration)
        with self.router.api() as s:
            api_q.save_request_spec(s, spec.model_copy(
                update={"rejections": outcome.rejections}).to_persisted())
        self.compute(cell).prep_resize(ctxt, selection.service_host, instance_uuid,
                                       migration.uuid, spec, selection)


def _fault(uuid: str, error: str, spec: RequestSpec) -> InstanceFault:
    details = "\n".join("%s: %s: %s" % (r.host, r.filter, r.reason)
                        for r in spec.rejections)
    tries = "\n".join("attempt %d on %s: %s" % (i + 1, a.host, a.reason)
                      for i, a in enumerate(spec.retry.attempts))
    return InstanceFault(instance_uuid=uuid, code=500, message=error,
                         details="\n".join(x for x in (tries, details) if x),
                         created_at=now())


__all__ = ["ConductorManager"]
