"""The compute API inside Tessera: what the HTTP API (and tests) ask of the cloud.

It checks requests (a flavor and image that ask for something invalid are refused here,
before anything is stored), keeps the API database's records (build requests, request
specs, instance mappings), reads instances from their cells, and hands the work to the
conductor or to the instance's compute host. It never waits for a build.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from tessera.cells.listing import gather, mark_queued_for_delete
from tessera.compute.rpcapi import ComputeAPI
from tessera.conductor.rpcapi import ConductorAPI
from tessera.db import errors as db_errors
from tessera.db.api import flavors as flavor_q
from tessera.db.api import queries as api_q
from tessera.db.cell import instances as inst_q
from tessera.db.cell import queries as mig_q
from tessera.network import allocate as ports
from tessera.numa.request import PciRequest
from tessera.objects import (BuildRequest, CellMapping, Flavor, ImageMeta, Instance, InstanceFault,
                             InstanceMapping, Migration, MigrationStatus, RequestSpec,
                             TaskState, VmState)
from tessera.routing import CellRouter


class InstanceNotFound(LookupError):
    pass


class InstanceInvalidState(Exception):
    """The instance is not in a state that allows the action (409 at the API)."""


def now() -> datetime:
    return datetime.now(timezone.utc)


class CloudAPI:
    def __init__(self, router: CellRouter, conductor: ConductorAPI) -> None:
        self.router = router
        self.conductor = conductor

    # -- flavors ---------------------------------------------------------------------

    def create_flavor(self, flavor: Flavor) -> Flavor:
        """Store a flavor whose extra specs make a valid request on their own."""
        RequestSpec.build("flavor-check", flavor)
        with self.router.api() as s:
            return flavor_q.create_flavor(s, flavor)

    def get_flavor(self, flavor_ref: str) -> Flavor:
        with self.router.api() as s:
            return flavor_q.get_flavor(s, flavor_ref)

    # -- servers ---------------------------------------------------------------------

    def create(self, ctxt: Any, flavor: Flavor, image: ImageMeta | None = None, *,
               name: str = "", count: int = 1, availability_zone: str | None = None,
               metadata: dict[str, str] | None = None,
               scheduler_hints: dict[str, list[str]] | None = None,
               pci_requests: Iterable[PciRequest] = (),
               networks: Sequence[ports.RequestedNetwork] = (),
               key_name: str | None = None,
               trusted_certs: tuple[str, ...] | None = None,
               access_ip_v4: str | None = None,
               access_ip_v6: str | None = None) -> list[Instance]:
        """Accept `count` servers; raises `tessera.numa.errors.InvalidRequest` when the
        flavor and image are invalid together. Scheduling happens asynchronously."""
        image = image or ImageMeta()
        template = RequestSpec.build("", flavor, image, pci_requests,
                                     project_id=ctxt.project_id, user_id=ctxt.user_id,
                                     availability_zone=availability_zone,
                                     scheduler_hints=dict(scheduler_hints or {}))
        made: list[Instance] = []
        with self.router.api() as s:
            for i in range(count):
                uuid = str(uuidlib.uuid4())
                vifs = ports.allocate(s, ctxt.project_id, uuid, networks)
                display = name if count == 1 else "%s-%d" % (name, i + 1)
                inst = Instance(uuid=uuid, display_name=display, project_id=ctxt.project_id,
                                user_id=ctxt.user_id, flavor=flavor, image=image,
                                availability_zone=availability_zone,
                                metadata=dict(metadata or {}), key_name=key_name, vifs=vifs,
                                trusted_certs=trusted_certs, access_ip_v4=access_ip_v4,
                                access_ip_v6=access_ip_v6, created_at=now())
                spec = template.model_copy(update={"instance_uuid": uuid})
                api_q.create_build_request(s, BuildRequest(
                    instance_uuid=uuid, project_id=ctxt.project_id, instance=inst,
                    created_at=inst.created_at))
                api_q.create_request_spec(s, spec)
                api_q.create_instance_mapping(s, InstanceMapping(
                    instance_uuid=uuid, project_id=ctxt.project_id, user_id=ctxt.user_id))
                made.append(inst)
        self.conductor.schedule_and_build_instances(ctxt, [i.uuid for i in made])
        return made

    def get(self, instance_uuid: str) -> Instance:
        """The instance from its cell, or from its build request while unscheduled.

        The conductor maps an instance and drops its build request in one transaction;
        a reader that saw it unmapped and then finds no build request looks again."""
        for _ in range(2):
            try:
                cell = self.router.cell_of_instance(instance_uuid)
                if cell is None:
                    with self.router.api(readonly=True) as s:
                        return api_q.get_build_request(s, instance_uuid).instance
                with self.router.cell_db(cell, readonly=True) as s:
                    return inst_q.get_instance(s, instance_uuid)
            except db_errors.BuildRequestNotFound:
                continue
            except (db_errors.InstanceMappingNotFound, db_errors.InstanceNotFound):
                break
        raise InstanceNotFound(instance_uuid)

    def fault(self, instance_uuid: str) -> InstanceFault | None:
        cell = self.router.cell_of_instance(instance_uuid)
        if cell is None:
            return None
        with self.router.cell_db(cell) as s:
            return inst_q.get_latest_fault(s, instance_uuid)

    def request_spec(self, instance_uuid: str) -> RequestSpec:
        with self.router.api() as s:
            return api_q.get_request_spec(s, instance_uuid)

    def list(self, project_id: str | None = None) -> list[Instance]:
        """Live instances of every cell that answers (and the project's build
        requests), oldest first; a cell that does not answer is skipped
        (`tessera.cells.gather` also says which servers it holds)."""
        out = gather(self.router, project_id).instances
        return sorted(out, key=lambda i: (i.created_at or now(), i.uuid))

    def delete(self, ctxt: Any, instance_uuid: str) -> None:
        """Delete in the instance's cell (through that cell's transport), and flag
        its mapping so it is not listed as UNKNOWN should the cell go down."""
        mark_queued_for_delete(self.router, instance_uuid)
        self.release_ports(instance_uuid)
        cell = self.router.cell_of_instance(instance_uuid)
        if cell is None:
            with self.router.api() as s:
                try:
                    api_q.delete_build_request(s, instance_uuid)
                except db_errors.BuildRequestNotFound:
                    pass
            cell = self.router.cell_of_instance(instance_uuid)
            if cell is None:
                return
        with self.router.cell_db(cell) as s:
            inst = inst_q.get_instance(s, instance_uuid)
            if inst.host is None or cell.is_cell0:
                inst_q.save_instance(s, inst.model_copy(update={
                    "vm_state": VmState.DELETED, "task_state": None}))
                inst_q.soft_delete_instance(s, instance_uuid)
                return
            inst_q.save_instance(s, inst.model_copy(update={
                "task_state": TaskState.DELETING}))
        ComputeAPI(self.router.transport(cell)).terminate_instance(ctxt, inst.host,
                                                                   instance_uuid)

    def release_ports(self, instance_uuid: str) -> None:
        """Delete the ports made for the instance, unbind the ones it was given."""
        try:
            vifs = self.get(instance_uuid).vifs
        except InstanceNotFound:
            return
        if vifs:
            with self.router.api() as s:
                ports.release(s, instance_uuid, vifs)

    # -- moves -----------------------------------------------------------------------

    def resize(self, ctxt: Any, instance_uuid: str, flavor: Flavor) -> None:
        spec = self.request_spec(instance_uuid)
        spec.with_flavor(flavor)  # refuses an invalid new flavor before any change
        self._start_move(ctxt, instance_uuid, flavor)

    def migrate(self, ctxt: Any, instance_uuid: str) -> None:
        self._start_move(ctxt, instance_uuid, None)

    def _start_move(self, ctxt: Any, instance_uuid: str, flavor: Flavor | None) -> None:
        cell = self._cell(instance_uuid)
        with self.router.cell_db(cell) as s:
            inst = inst_q.get_instance(s, instance_uuid)
            if inst.vm_state not in (VmState.ACTIVE, VmState.STOPPED) or inst.task_state:
                raise InstanceInvalidState("instance %s is %s/%s; a move needs it active "
                                           "or stopped with no task" % (
                                               instance_uuid, inst.vm_state.value,
                                               inst.task_state and inst.task_state.value))
            try:
                inst_q.save_instance(s, inst.model_copy(update={
                    "task_state": TaskState.RESIZE_PREP}), expected_task_state=None)
            except db_errors.UnexpectedTaskState as e:
                raise InstanceInvalidState(str(e)) from e
        self.conductor.migrate_server(ctxt, instance_uuid, flavor)

    def confirm_resize(self, ctxt: Any, instance_uuid: str) -> None:
        self._finish_move(ctxt, instance_uuid, TaskState.RESIZE_CONFIRMING, "confirm_resize")

    def revert_resize(self, ctxt: Any, instance_uuid: str) -> None:
        mig = self._open_migration(instance_uuid)
        with self.router.api() as s:
            spec = api_q.get_request_spec(s, instance_uuid)
            api_q.save_request_spec(s, spec.with_flavor(mig.old_flavor).to_persisted())
        self._finish_move(ctxt, instance_uuid, TaskState.RESIZE_REVERTING, "revert_resize")

    def _finish_move(self, ctxt: Any, instance_uuid: str, task: TaskState, step: str) -> None:
        cell = self._cell(instance_uuid)
        mig = self._open_migration(instance_uuid)
        with self.router.cell_db(cell) as s:
            inst = inst_q.get_instance(s, instance_uuid)
            if inst.vm_state is not VmState.RESIZED:
                raise InstanceInvalidState("instance %s is not resized" % instance_uuid)
            try:
                inst_q.save_instance(s, inst.model_copy(update={"task_state": task}),
                                     expected_task_state=None)
            except db_errors.UnexpectedTaskState as e:
                raise InstanceInvalidState(str(e)) from e
        host = mig.source_compute if step == "confirm_resize" else mig.dest_compute
        ComputeAPI(self.router.transport(cell)).move_step(ctxt, host or "", step,
                                                          instance_uuid, mig.uuid)

    def _open_migration(self, instance_uuid: str) -> Migration:
        cell = self._cell(instance_uuid)
        with self.router.cell_db(cell) as s:
            moves = [m for m in mig_q.list_migrations_for_instance(s, instance_uuid)
                     if m.status is MigrationStatus.FINISHED]
        if not moves:
            raise InstanceInvalidState("instance %s has no finished move" % instance_uuid)
        return moves[-1]

    def migrations(self, instance_uuid: str) -> list[Migration]:
        with self.router.cell_db(self._cell(instance_uuid)) as s:
            return mig_q.list_migrations_for_instance(s, instance_uuid)

    # -- power -----------------------------------------------------------------------

    def power(self, ctxt: Any, instance_uuid: str, action: str, **kwargs: Any) -> None:
        """`stop_instance`, `start_instance` or `reboot_instance`."""
        task = {"stop_instance": TaskState.POWERING_OFF,
                "start_instance": TaskState.POWERING_ON,
                "reboot_instance": TaskState.REBOOTING}[action]
        cell = self._cell(instance_uuid)
        with self.router.cell_db(cell) as s:
            inst = inst_q.get_instance(s, instance_uuid)
            try:
                inst_q.save_instance(s, inst.model_copy(update={"task_state": task}),
                                     expected_task_state=None)
            except db_errors.UnexpectedTaskState as e:
                raise InstanceInvalidState(str(e)) from e
        ComputeAPI(self.router.transport(cell)).power_action(ctxt, inst.host or "", action,
                                                             instance_uuid, **kwargs)

    def rebuild(self, ctxt: Any, instance_uuid: str, updates: dict[str, Any]) -> Instance:
        """Re-image a server on its host: `updates` (image, display_name, metadata,
        access IPs, key_name, user_data) are saved with task `rebuilding` (the server
        must have no task: InstanceInvalidState), then its host rebuilds the guest."""
        cell = self._cell(instance_uuid)
        with self.router.cell_db(cell) as s:
            inst = inst_q.get_instance(s, instance_uuid)
            try:
                inst = inst_q.save_instance(s, inst.model_copy(update={
                    **updates, "task_state": TaskState.REBUILDING}),
                    expected_task_state=None)
            except db_errors.UnexpectedTaskState as e:
                raise InstanceInvalidState(str(e)) from e
        ComputeAPI(self.router.transport(cell)).rebuild_instance(ctxt, inst.host or "",
                                                                 instance_uuid)
        return inst

    def _cell(self, instance_uuid: str):
        try:
            cell = self.router.cell_of_instance(instance_uuid)
        except db_errors.InstanceMappingNotFound:
            raise InstanceNotFound(instance_uuid) from None
        if cell is None:
            raise InstanceInvalidState("instance %s is not scheduled yet" % instance_uuid)
        return cell

    # -- added for the HTTP API (issue 4): reads and admin writes it needs -------------

    def list_flavors(self, *, is_public: bool | None = True, marker: str | None = None,
                     limit: int | None = None, min_memory_mb: int | None = None,
                     min_root_gb: int | None = None) -> list[Flavor]:
        with self.router.api() as s:
            return flavor_q.list_flavors(s, is_public=is_public, marker=marker, limit=limit,
                                         min_memory_mb=min_memory_mb,
                                         min_root_gb=min_root_gb)

    def find_flavor(self, ref: str) -> Flavor:
        """A flavor by flavorid, else by name (`FlavorNotFound`)."""
        with self.router.api() as s:
            try:
                return flavor_q.get_flavor(s, ref)
            except db_errors.FlavorNotFound:
                return flavor_q.get_flavor_by_name(s, ref)

    def delete_flavor(self, flavorid: str) -> None:
        with self.router.api() as s:
            flavor_q.delete_flavor(s, flavorid)

    def set_flavor_extra_specs(self, flavorid: str, specs: dict[str, str],
                               also_known: Iterable[str] = ()) -> Flavor:
        """Validate each spec on its own (Nova 2.86's rules), then store; raises
        InvalidRequest (nothing stored) if one is invalid. As in Nova, specs that
        only conflict with each other or with the flavor's size (`hw:numa_nodes`
        above its vCPUs, ...) are stored: booting the flavor is what fails (400)."""
        from tessera.numa.constraints import validate_extra_specs
        validate_extra_specs(specs, also_known=frozenset(also_known))
        with self.router.api() as s:
            return flavor_q.set_flavor_extra_specs(s, flavorid, specs)

    def unset_flavor_extra_spec(self, flavorid: str, key: str) -> Flavor:
        with self.router.api() as s:
            return flavor_q.unset_flavor_extra_spec(s, flavorid, key)

    def update_flavor_description(self, flavorid: str, description: str | None) -> Flavor:
        from tessera.db.api import server_queries as sq
        with self.router.api() as s:
            return sq.update_flavor_description(s, flavorid, description)

    def get_any(self, instance_uuid: str) -> Instance:
        """An instance, deleted ones included (instance actions of deleted servers)."""
        try:
            return self.get(instance_uuid)
        except InstanceNotFound:
            pass
        try:
            cell = self.router.cell_of_instance(instance_uuid)
        except db_errors.InstanceMappingNotFound:
            raise InstanceNotFound(instance_uuid) from None
        if cell is None:
            raise InstanceNotFound(instance_uuid)
        with self.router.cell_db(cell) as s:
            try:
                return inst_q.get_instance(s, instance_uuid, read_deleted=True)
            except db_errors.InstanceNotFound:
                raise InstanceNotFound(instance_uuid) from None

    def rename(self, instance_uuid: str, name: str) -> Instance:
        """Change a scheduled instance's display name (InstanceInvalidState while it
        is still a build request)."""
        cell = self._cell(instance_uuid)
        with self.router.cell_db(cell) as s:
            inst = inst_q.get_instance(s, instance_uuid)
            return inst_q.save_instance(s, inst.model_copy(update={"display_name": name}))

    def set_metadata(self, instance_uuid: str, metadata: dict[str, str]) -> Instance:
        """Replace a scheduled instance's metadata (InstanceInvalidState while it is
        still a build request)."""
        cell = self._cell(instance_uuid)
        with self.router.cell_db(cell) as s:
            inst = inst_q.get_instance(s, instance_uuid)
            return inst_q.save_instance(s, inst.model_copy(
                update={"metadata": dict(metadata)}))

    def set_access_ips(self, instance_uuid: str, values: dict[str, str | None]
                       ) -> Instance:
        """Change a scheduled instance's `access_ip_v4` / `access_ip_v6` (the keys
        of `values`); InstanceInvalidState while it is still a build request."""
        unknown = set(values) - {"access_ip_v4", "access_ip_v6"}
        if unknown:
            raise ValueError("not access IP fields: %s" % sorted(unknown))
        cell = self._cell(instance_uuid)
        with self.router.cell_db(cell) as s:
            inst = inst_q.get_instance(s, instance_uuid)
            return inst_q.save_instance(s, inst.model_copy(update=values))

    def list_deleted(self, project_id: str | None = None) -> list[Instance]:
        """Soft-deleted instances of every cell (`changes-since` lists them)."""
        out: list[Instance] = []
        for cell in self.router.cells():
            with self.router.cell_db(cell) as s:
                out.extend(inst_q.list_instances(s, project_id=project_id, deleted=True))
        return out

    def list_services(self) -> list[tuple[CellMapping, Any]]:
        """Every service record of every compute cell, with its cell."""
        from tessera.db.cell import api_views
        out: list[tuple[CellMapping, Any]] = []
        for cell in self.router.compute_cells():
            with self.router.cell_db(cell) as s:
                out.extend((cell, r) for r in api_views.list_service_records(s))
        return out

    def update_service(self, key: str | int, **values: Any) -> Any:
        """Set `disabled`, `disabled_reason` or `forced_down` of the service with this
        uuid (or integer id), in whichever cell holds it (`ServiceNotFound`)."""
        from tessera.db.cell import api_views
        for cell in self.router.compute_cells():
            with self.router.cell_db(cell) as s:
                try:
                    return api_views.update_service_record(s, key, **values)
                except db_errors.ServiceNotFound:
                    continue
        raise db_errors.ServiceNotFound(key)

    def list_compute_nodes(self) -> list[Any]:
        """Every compute node of every compute cell (with its integer id)."""
        from tessera.db.cell import api_views
        out: list[Any] = []
        for cell in self.router.compute_cells():
            with self.router.cell_db(cell) as s:
                out.extend(api_views.list_node_records(s))
        return out

    def migrate_to_host(self, ctxt: Any, instance_uuid: str, host: str | None) -> None:
        """Cold-migrate to `host` (the scheduler still checks it fits; ignore_hosts
        keeps the source out) or, with None, wherever the scheduler picks. The choice
        is written to the persisted RequestSpec's `force_hosts` before the move, so a
        host asked for once never sticks to a later move."""
        self.set_forced_host(instance_uuid, host)
        self.migrate(ctxt, instance_uuid)

    def set_forced_host(self, instance_uuid: str, host: str | None) -> None:
        """Set (or with None clear) the persisted RequestSpec's forced host."""
        with self.router.api() as s:
            spec = api_q.get_request_spec(s, instance_uuid)
            wanted = [host] if host else []
            if spec.force_hosts != wanted:
                api_q.save_request_spec(s, spec.model_copy(update={"force_hosts": wanted}))
