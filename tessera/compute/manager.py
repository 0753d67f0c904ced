"""The compute service of one host: builds, deletes, moves and powers guests.

It owns the host's `ResourceTracker`: every guest's resources are claimed here, under
the tracker's lock, before the driver builds it, and released when the guest goes. A
build that fails (the claim or the driver) gives everything back and asks the conductor
to reschedule it elsewhere. Instance state is written with compare-and-swap on the task
state, so a delete that arrives mid-build wins cleanly.
"""

from __future__ import annotations

import logging
import traceback
import uuid as uuidlib
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Iterator

import oslo_messaging
from sqlalchemy.orm import Session

from tessera.compute.claims import claims_for_host, move_claim_id
from tessera.compute.node_store import DbNodeStore
from tessera.compute.resource_tracker import ClaimFailed, Ratios, ResourceTracker
from tessera.compute.rpcapi import ComputeAPI
from tessera.compute.volume_attach import VolumeAttacher
from tessera.compute.snapshot import ImageGone, ImageSink, quiesce_for
from tessera.compute.virt.driver import ComputeDriver, GuestNotFound, VirtError
from tessera.conductor.rpcapi import ConductorAPI
from tessera.db import errors as db_errors
from tessera.db.cell import block_devices as bdm_q
from tessera.db.cell import hosts as host_q
from tessera.db.cell import instances as inst_q
from tessera.db.cell import queries as mig_q
from tessera.db.engine import get_engine, read_scope, session_scope
from tessera.numa.fit import Strategy
from tessera.objects import (Instance, InstanceFault, MigrationContext, MigrationStatus,
                             PowerState, RequestSpec, Selection, Service, TaskState,
                             VmState)

LOG = logging.getLogger(__name__)
BINARY = "tessera-compute"
SNAPSHOT_TASKS = (TaskState.IMAGE_SNAPSHOT, TaskState.IMAGE_PENDING_UPLOAD,
                  TaskState.IMAGE_UPLOADING)


def now() -> datetime:
    return datetime.now(timezone.utc)


class ComputeManager:
    target = oslo_messaging.Target(version="1.4")

    def __init__(self, host: str, driver: ComputeDriver, db_url: str,
                 transport: oslo_messaging.Transport, ratios: Ratios = Ratios(),
                 strategy: Strategy = Strategy.SPREAD,
                 images: ImageSink | None = None) -> None:
        self.host = host
        self.driver = driver
        self.db_url = db_url
        self.images = images
        self.conductor = ConductorAPI(transport)
        self.compute_rpc = ComputeAPI(transport)
        self.tracker = ResourceTracker(driver, DbNodeStore(db_url), ratios, strategy)

    @contextmanager
    def db(self, readonly: bool = False) -> Iterator[Session]:
        scope = read_scope if readonly else session_scope
        with scope(get_engine(self.db_url)) as s:
            yield s

    # -- start and periodic work ---------------------------------------------------

    def init_host(self) -> None:
        """Register the service, settle builds a previous run left half done, and
        rebuild the host's usage from the guests it holds."""
        with self.db() as s:
            host_q.create_or_get_service(s, Service(host=self.host, binary=BINARY,
                                                    topic="tessera-compute"))
            instances = inst_q.list_instances_by_host(s, self.host)
            moves = mig_q.list_migrations(s, host=self.host)
            involved = {m.instance_uuid for m in moves} - {i.uuid for i in instances}
            for uuid in involved:
                try:
                    instances.append(inst_q.get_instance(s, uuid))
                except db_errors.InstanceNotFound:
                    pass
        for inst in list(instances):
            if inst.host == self.host and inst.vm_state is VmState.BUILDING:
                self._fail(inst, "the build was interrupted when %s stopped" % self.host)
                instances.remove(inst)
            elif inst.host == self.host and inst.task_state in SNAPSHOT_TASKS:
                self._snapshot_failed(None, inst, None, VirtError(
                    "the snapshot was interrupted when %s stopped" % self.host))
        node = self.driver.node_resources()
        stored = self.tracker.store.load(node.hypervisor_hostname)
        self.tracker.start(claims_for_host(self.host, instances, moves),
                           stored.uuid if stored else str(uuidlib.uuid4()))
        self.report()

    def report(self) -> None:
        """Heartbeat (the service is up) and the host's topology and usage (written
        again only when they changed; every claim writes its own)."""
        with self.db() as s:
            host_q.heartbeat(s, self.host, BINARY)
        self.tracker.report()

    def sync_power_states(self) -> None:
        """Record guests whose power state changed outside Tessera (shut down from
        inside, killed, started by hand): an ACTIVE server whose guest is off becomes
        STOPPED, as Nova's power-state sync does. Servers with a task under way and
        guests the hypervisor does not hold are left alone."""
        with self.db(readonly=True) as s:
            instances = inst_q.list_instances_by_host(s, self.host)
        for inst in instances:
            if inst.task_state is not None or inst.host != self.host:
                continue
            state = self.driver.power_state(inst)
            if state is PowerState.NOSTATE or state == inst.power_state:
                continue
            fresh = self._get(inst.uuid)       # the latest copy: it is written whole
            if fresh is None or fresh.task_state is not None:
                continue
            inst = fresh
            update: dict[str, Any] = {"power_state": state}
            if inst.vm_state is VmState.ACTIVE and state in (PowerState.SHUTDOWN,
                                                             PowerState.CRASHED):
                update["vm_state"] = VmState.STOPPED
            LOG.info("%s: power state %s on the hypervisor, was %s", inst.uuid,
                     state.name, inst.power_state.name)
            try:
                self._save(inst.model_copy(update=update), None)
            except (db_errors.UnexpectedTaskState, db_errors.InstanceNotFound):
                pass  # an action started meanwhile (it sets the state) or it went

    # -- builds and deletes ----------------------------------------------------------

    def build_and_run_instance(self, ctxt: Any, instance_uuid: str,
                               request_spec: RequestSpec, selection: Selection) -> None:
        inst = self._get(instance_uuid)
        if inst is None or inst.deleted or inst.task_state is TaskState.DELETING:
            return
        try:
            placement = self.tracker.claim(instance_uuid, request_spec.numa_topology,
                                           request_spec.flavor, selection.placement)
        except ClaimFailed as e:
            return self._reschedule(ctxt, inst, str(e))
        try:
            inst = self._save(inst.model_copy(update={
                "host": self.host, "node": selection.nodename, "placement": placement,
                "task_state": TaskState.SPAWNING}), TaskState.SCHEDULING)
        except db_errors.UnexpectedTaskState:
            self.tracker.release(instance_uuid)  # deleted while we were claiming
            return
        try:
            self.driver.spawn(inst, placement)
        except VirtError as e:
            self.tracker.release(instance_uuid)
            self._quietly_destroy(inst)
            return self._reschedule(ctxt, inst, str(e))
        try:
            self._save(inst.model_copy(update={
                "vm_state": VmState.ACTIVE, "task_state": None,
                "power_state": PowerState.RUNNING, "launched_at": now()}),
                TaskState.SPAWNING)
        except db_errors.UnexpectedTaskState:
            LOG.info("instance %s was deleted while it was being built", instance_uuid)

    def terminate_instance(self, ctxt: Any, instance_uuid: str) -> None:
        inst = self._get(instance_uuid)
        if inst is None:
            return
        self._quietly_destroy(inst)
        self._volume_ops().release_all(inst)
        self.tracker.release(instance_uuid)
        if inst.migration_context is not None:
            self.tracker.release(move_claim_id(inst.migration_context.migration_uuid))
        with self.db() as s:
            inst_q.save_instance(s, inst.model_copy(update={
                "vm_state": VmState.DELETED, "task_state": None,
                "power_state": PowerState.NOSTATE, "migration_context": None}))
            inst_q.soft_delete_instance(s, instance_uuid)

    # -- power -----------------------------------------------------------------------

    def stop_instance(self, ctxt: Any, instance_uuid: str) -> None:
        self._power(instance_uuid, self.driver.power_off, VmState.STOPPED,
                    PowerState.SHUTDOWN, TaskState.POWERING_OFF)

    def start_instance(self, ctxt: Any, instance_uuid: str) -> None:
        self._power(instance_uuid, self.driver.power_on, VmState.ACTIVE,
                    PowerState.RUNNING, TaskState.POWERING_ON)

    def reboot_instance(self, ctxt: Any, instance_uuid: str, hard: bool = False) -> None:
        self._power(instance_uuid, lambda i: self.driver.reboot(i, hard), VmState.ACTIVE,
                    PowerState.RUNNING, TaskState.REBOOTING)

    def rebuild_instance(self, ctxt: Any, instance_uuid: str) -> None:
        """Re-create the guest from the instance's image in the placement it holds
        (its claims stay); a driver without `rebuild` destroys and spawns it. A
        failure leaves the server in ERROR with a fault."""
        inst = self._get(instance_uuid)
        if inst is None:
            return
        rebuild = getattr(self.driver, "rebuild", None)
        try:
            if rebuild is not None:
                rebuild(inst, inst.placement)
            else:
                self.driver.destroy(inst)
                self.driver.spawn(inst, inst.placement)
        except Exception as e:  # any driver failure: the guest is gone or broken
            self._fault(inst, 500, "Rebuild failed: %s" % e)
            self._save(inst.model_copy(update={"vm_state": VmState.ERROR,
                                               "task_state": None}),
                       TaskState.REBUILDING)
            return
        self._save(inst.model_copy(update={
            "vm_state": VmState.ACTIVE, "task_state": None,
            "power_state": PowerState.RUNNING, "launched_at": now()}),
            TaskState.REBUILDING)

    def _power(self, instance_uuid: str, action: Any, vm_state: VmState,
               power_state: PowerState, task: TaskState) -> None:
        inst = self._get(instance_uuid)
        if inst is None:
            return
        try:
            action(inst)
        except VirtError as e:
            self._fault(inst, 500, str(e))
            self._save(inst.model_copy(update={"task_state": None}), task)
            return
        self._save(inst.model_copy(update={"vm_state": vm_state, "task_state": None,
                                           "power_state": power_state}), task)

    # -- inspection ------------------------------------------------------------------

    def get_domain_xml(self, ctxt: Any, instance_uuid: str) -> str:
        """The XML the hypervisor holds for the guest; VirtError (GuestNotFound when
        the domain is not defined) when there is none to show."""
        read = getattr(self.driver, "domain_xml_of", None)
        if read is None:
            raise VirtError("host %s runs the %s driver, which keeps no domain XML"
                            % (self.host, type(self.driver).__name__))
        inst = self._get(instance_uuid)
        if inst is None:
            raise GuestNotFound("no instance %s" % instance_uuid)
        return str(read(inst))

    # -- snapshots -------------------------------------------------------------------

    def snapshot_instance(self, ctxt: Any, instance_uuid: str, image_id: str) -> None:
        """Write the guest's root disk into the queued image `image_id` (quiesced as
        its image asks, `quiesce_for`). On any failure the image is deleted, a fault
        and the createImage action record why, and the guest keeps its vm_state."""
        inst = self._get(instance_uuid)
        try:
            if inst is None or self.images is None:
                raise VirtError("no guest %s" % instance_uuid if inst is None
                                else "host %s has no image store" % self.host)
            inst = self._save(inst.model_copy(update={
                "task_state": TaskState.IMAGE_PENDING_UPLOAD}), TaskState.IMAGE_SNAPSHOT)
            with self.images.workdir() as workdir:
                taken = self.driver.snapshot(inst, workdir, quiesce=quiesce_for(inst.image))
                inst = self._save(inst.model_copy(update={
                    "task_state": TaskState.IMAGE_UPLOADING}),
                    TaskState.IMAGE_PENDING_UPLOAD)
                self.images.upload(image_id, taken)
        except Exception as e:  # the guest stays as it was; the image goes
            LOG.warning("snapshot of %s into image %s failed on %s: %s", instance_uuid,
                        image_id, self.host, e, exc_info=not isinstance(e, VirtError))
            self._snapshot_failed(ctxt, inst, image_id, e)
            return
        self._save(inst.model_copy(update={"task_state": None}), TaskState.IMAGE_UPLOADING)

    def _snapshot_failed(self, ctxt: Any, inst: Instance | None, image_id: str | None,
                         error: Exception) -> None:
        """Delete the image (`None`: any unfinished snapshot image of the guest),
        record why, and clear the guest's snapshot task."""
        message = "snapshot failed: %s" % (error if isinstance(error, (VirtError, ImageGone))
                                           else "%s: %s" % (type(error).__name__, error))
        if self.images is not None and image_id is not None:
            self.images.discard(image_id)
        elif self.images is not None and inst is not None:
            self.images.discard_unfinished(inst.uuid)
        if inst is None:
            return
        self._fault(inst, 500, message)
        if self.images is not None:
            self.images.record_failure(inst.uuid, getattr(ctxt, "request_id", None),
                                       self.host, message)
        try:
            self._save(inst.model_copy(update={"task_state": None}), list(SNAPSHOT_TASKS))
        except db_errors.UnexpectedTaskState:
            pass  # deleted (or reset) meanwhile

    # -- volumes -----------------------------------------------------------------------

    volumes: Any = None
    """The block storage service (`tessera.volume.client.VolumeClient`), set by
    whoever builds the service; without it every attach fails (and is rolled back)."""

    def _volume_ops(self) -> VolumeAttacher:
        return VolumeAttacher(self.host, self.driver, self.volumes, self.db,
                              lambda inst, message: self._fault(inst, 500, message))

    def attach_volume(self, ctxt: Any, instance_uuid: str, attachment_id: str) -> None:
        """Connect, attach and complete the reserved attachment (rolled back on
        failure: no attachment left, a fault says why)."""
        inst = self._get(instance_uuid)
        if inst is None:
            return self._volume_ops().forget(attachment_id)
        self._volume_ops().attach(inst, attachment_id)

    def detach_volume(self, ctxt: Any, instance_uuid: str, attachment_id: str) -> None:
        """Take the disk away from the guest and delete exactly this attachment."""
        inst = self._get(instance_uuid)
        if inst is None:
            return self._volume_ops().forget(attachment_id)
        self._volume_ops().detach(inst, attachment_id)

    # -- moves (resize and cold migration) -------------------------------------------

    def prep_resize(self, ctxt: Any, instance_uuid: str, migration_uuid: str,
                    request_spec: RequestSpec, selection: Selection) -> None:
        """On the destination: claim the new placement, then ask the source to go."""
        inst, mig = self._get(instance_uuid), self._migration(migration_uuid)
        if inst is None or mig is None:
            return
        try:
            placement = self.tracker.claim(move_claim_id(migration_uuid),
                                           request_spec.numa_topology, mig.new_flavor,
                                           selection.placement)
        except ClaimFailed as e:
            return self._move_failed(inst, mig, str(e))
        ctx = MigrationContext(migration_uuid=migration_uuid, source_host=mig.source_compute,
                               dest_host=self.host, new_placement=placement,
                               old_placement=inst.placement)
        self._save(inst.model_copy(update={
            "migration_context": ctx, "old_flavor": inst.flavor, "new_flavor": mig.new_flavor,
            "task_state": TaskState.RESIZE_MIGRATING}), TaskState.RESIZE_PREP)
        self._save_migration(mig.model_copy(update={
            "status": MigrationStatus.MIGRATING, "dest_compute": self.host,
            "dest_node": selection.nodename}))
        self.compute_rpc.move_step(ctxt, mig.source_compute, "resize_instance",
                                   instance_uuid, migration_uuid)

    def resize_instance(self, ctxt: Any, instance_uuid: str, migration_uuid: str) -> None:
        """On the source: stop the guest here; the destination starts it."""
        inst, mig = self._get(instance_uuid), self._migration(migration_uuid)
        if inst is None or mig is None:
            return
        try:
            self.driver.power_off(inst)
        except VirtError as e:
            self._abort_on_destination(ctxt, mig)
            return self._move_failed(inst, mig, str(e))
        self._save(inst.model_copy(update={"task_state": TaskState.RESIZE_MIGRATED,
                                           "power_state": PowerState.SHUTDOWN}),
                   TaskState.RESIZE_MIGRATING)
        self._save_migration(mig.model_copy(update={"status": MigrationStatus.POST_MIGRATING}))
        self.compute_rpc.move_step(ctxt, mig.dest_compute or self.host, "finish_resize",
                                   instance_uuid, migration_uuid)

    def _abort_on_destination(self, ctxt: Any, mig: Any) -> None:
        """Tell the destination to let go of what it claimed for a move that failed."""
        if mig.dest_compute:
            self.compute_rpc.move_step(ctxt, mig.dest_compute, "abort_move",
                                       mig.instance_uuid, mig.uuid)

    def abort_move(self, ctxt: Any, instance_uuid: str, migration_uuid: str) -> None:
        """On the destination: a move failed on the source; free its claim here."""
        self.tracker.release(move_claim_id(migration_uuid))

    def finish_resize(self, ctxt: Any, instance_uuid: str, migration_uuid: str) -> None:
        """On the destination: start the guest with its new placement."""
        inst, mig = self._get(instance_uuid), self._migration(migration_uuid)
        if inst is None or mig is None or inst.migration_context is None:
            return
        ctx = inst.migration_context
        moved = inst.model_copy(update={
            "host": self.host, "node": mig.dest_node, "flavor": mig.new_flavor,
            "placement": ctx.new_placement})
        try:
            self.driver.spawn(moved, ctx.new_placement)
        except VirtError as e:
            self.tracker.release(move_claim_id(migration_uuid))
            self.compute_rpc.power_action(ctxt, mig.source_compute, "start_instance",
                                          instance_uuid)
            return self._move_failed(inst, mig, str(e))
        # the migration first: a user who sees the instance resized may confirm at once
        self._save_migration(mig.model_copy(update={"status": MigrationStatus.FINISHED}))
        self._save(moved.model_copy(update={
            "vm_state": VmState.RESIZED, "task_state": None,
            "power_state": PowerState.RUNNING}), TaskState.RESIZE_MIGRATED)

    def confirm_resize(self, ctxt: Any, instance_uuid: str, migration_uuid: str) -> None:
        """On the source: the move is kept; free the old placement."""
        inst, mig = self._get(instance_uuid), self._migration(migration_uuid)
        if inst is None or mig is None:
            return
        if mig.source_compute != (mig.dest_compute or ""):
            self._quietly_destroy(inst)
        self.tracker.release(instance_uuid)
        self._save_migration(mig.model_copy(update={"status": MigrationStatus.CONFIRMED}))
        self.compute_rpc.move_step(ctxt, mig.dest_compute or self.host,
                                   "finish_confirm_resize", instance_uuid, migration_uuid)

    def finish_confirm_resize(self, ctxt: Any, instance_uuid: str,
                              migration_uuid: str) -> None:
        """On the destination: the move's claim becomes the guest's own."""
        inst = self._get(instance_uuid)
        self.tracker.rename(move_claim_id(migration_uuid), instance_uuid)
        if inst is not None:
            self._save(inst.model_copy(update={
                "vm_state": VmState.ACTIVE, "task_state": None, "migration_context": None,
                "old_flavor": None, "new_flavor": None}), TaskState.RESIZE_CONFIRMING)

    def revert_resize(self, ctxt: Any, instance_uuid: str, migration_uuid: str) -> None:
        """On the destination: undo the move here, then restart on the source."""
        inst, mig = self._get(instance_uuid), self._migration(migration_uuid)
        if inst is None or mig is None:
            return
        if mig.source_compute != self.host:
            self._quietly_destroy(inst)
        self.tracker.release(move_claim_id(migration_uuid))
        self._save_migration(mig.model_copy(update={"status": MigrationStatus.REVERTING}))
        self.compute_rpc.move_step(ctxt, mig.source_compute, "finish_revert_resize",
                                   instance_uuid, migration_uuid)

    def finish_revert_resize(self, ctxt: Any, instance_uuid: str,
                             migration_uuid: str) -> None:
        """On the source: the guest runs here again, with its old flavor and pins."""
        inst, mig = self._get(instance_uuid), self._migration(migration_uuid)
        if inst is None or mig is None or inst.migration_context is None:
            return
        back = inst.model_copy(update={
            "host": self.host, "node": mig.source_node or inst.node, "flavor": mig.old_flavor,
            "placement": inst.migration_context.old_placement, "migration_context": None,
            "old_flavor": None, "new_flavor": None, "vm_state": VmState.ACTIVE,
            "task_state": None, "power_state": PowerState.RUNNING})
        try:
            if inst.uuid in self.driver.list_instances():
                self.driver.power_on(back)
            else:
                self.driver.spawn(back, back.placement)
        except VirtError as e:
            self._fault(inst, 500, "revert could not restart the guest: %s" % e)
        self._save_migration(mig.model_copy(update={"status": MigrationStatus.REVERTED}))
        self._save(back, TaskState.RESIZE_REVERTING)

    # -- helpers ---------------------------------------------------------------------

    def _get(self, instance_uuid: str) -> Instance | None:
        with self.db(readonly=True) as s:
            try:
                return bdm_q.with_block_devices(s, inst_q.get_instance(s, instance_uuid))
            except db_errors.InstanceNotFound:
                return None

    def _migration(self, migration_uuid: str):
        with self.db(readonly=True) as s:
            try:
                return mig_q.get_migration(s, migration_uuid)
            except db_errors.MigrationNotFound:
                return None

    def _save(self, inst: Instance, expected: Any) -> Instance:
        with self.db() as s:
            return inst_q.save_instance(s, inst, expected_task_state=expected)

    def _save_migration(self, mig: Any) -> None:
        with self.db() as s:
            mig_q.save_migration(s, mig)

    def _fault(self, inst: Instance, code: int, message: str, details: str = "") -> None:
        with self.db() as s:
            inst_q.add_instance_fault(s, InstanceFault(
                instance_uuid=inst.uuid, code=code, message=message, details=details,
                host=self.host, created_at=now()))

    def _fail(self, inst: Instance, message: str) -> None:
        self._fault(inst, 500, message)
        with self.db() as s:
            inst_q.save_instance(s, inst.model_copy(update={
                "vm_state": VmState.ERROR, "task_state": None}))

    def _quietly_destroy(self, inst: Instance) -> None:
        try:
            self.driver.destroy(inst)
        except VirtError:
            LOG.warning("could not destroy %s on %s:\n%s", inst.uuid, self.host,
                        traceback.format_exc())

    def _reschedule(self, ctxt: Any, inst: Instance, reason: str) -> None:
        LOG.info("build of %s failed on %s: %s", inst.uuid, self.host, reason)
        try:
            self._save(inst.model_copy(update={
                "host": None, "node": None, "placement": None,
                "task_state": TaskState.SCHEDULING}),
                [TaskState.SCHEDULING, TaskState.SPAWNING])
        except db_errors.UnexpectedTaskState:
            return  # deleted meanwhile
        self.conductor.reschedule_build(ctxt, inst.uuid, self.host, inst.node, reason)

    def _move_failed(self, inst: Instance, mig: Any, reason: str) -> None:
        self._fault(inst, 500, "move failed: %s" % reason)
        self._save_migration(mig.model_copy(update={"status": MigrationStatus.ERROR}))
        with self.db() as s:
            inst_q.save_instance(s, inst.model_copy(update={
                "task_state": None, "migration_context": None, "new_flavor": None,
                "old_flavor": None}))
