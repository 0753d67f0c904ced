"""A fake hypervisor that behaves like a real one, without guests.

Its host comes from a host description (the compact form of `etc/hosts.yaml` or the
codec form); usage starts empty (the resource tracker owns usage). Guests have a power
state, operations take `delay` seconds (asynchronous completion as seen by the caller)
and failures can be injected, per operation, for tests:

- `inject_failure("spawn", times=1)` fails the next spawn(s) on this host;
- an instance whose metadata has `fake_fail_spawn` set to this host's name, or to
  `*`, fails to build here every time (a way to inject failures through the API);
- an instance whose metadata has `fake_fail_quiesce` set has a guest agent that
  never answers a freeze;
- `inject_failure("attach_volume")`, or `fake_fail_attach` in the metadata set to
  this host's name or `*`, fails volume attaches (`volumes_of` shows what a guest
  holds).

A snapshot writes a small raw file that says what it is (a fake guest has no disk):
the guest, its image, when, and whether it was quiesced. A freeze needs a running
guest whose image enables the agent (`hw_qemu_guest_agent=yes`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tessera.compute.virt.driver import (BuildFailed, GuestNotFound, NodeResources,
                                         Quiesce, QuiesceFailed, SnapshotImage)
from tessera.compute.virt.driver import VirtError
from tessera.numa.codec import host_from_dict
from tessera.numa.demo import expand_host
from tessera.numa.host import Host
from tessera.numa.placement import Placement
from tessera.objects import BlockDevice, Instance, PowerState

FAIL_KEY = "fake_fail_spawn"
ATTACH_FAIL_KEY = "fake_fail_attach"
QUIESCE_FAIL_KEY = "fake_fail_quiesce"


def blank(host: Host) -> Host:
    """The host with every usage counter at zero."""
    cells = tuple(replace(c, pinned=frozenset(), shared_vcpus_used=0, memory_used_mb=0,
                          pages=tuple(replace(p, used=0) for p in c.pages))
                  for c in host.cells)
    return replace(host, cells=cells, generation=0,
                   pci=tuple(replace(d, claimed=False) for d in host.pci))


class FakeDriver:
    def __init__(self, description: Mapping[str, Any], *, delay: float = 0.0,
                 local_gb: int = 1000, hypervisor_type: str = "fake") -> None:
        data = expand_host(description)
        self._host = blank(host_from_dict(data, str(description["name"])))
        self.delay = delay
        self._local_gb = int(description.get("local_gb", local_gb))
        self._hv_type = str(description.get("hypervisor_type", hypervisor_type))
        self._guests: dict[str, PowerState] = {}
        self._failures: dict[str, int] = {}
        self._volumes: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._host.name

    def host_topology(self) -> Host:
        return self._host

    def node_resources(self) -> NodeResources:
        cells = self._host.cells
        return NodeResources(
            hypervisor_hostname=self._host.name, hypervisor_type=self._hv_type,
            hypervisor_version=1, vcpus=sum(len(c.shared) for c in cells),
            memory_mb=sum(c.memory_mb for c in cells), local_gb=self._local_gb)

    def inject_failure(self, operation: str, times: int = 1) -> None:
        with self._lock:
            self._failures[operation] = self._failures.get(operation, 0) + times

    def _maybe_fail(self, operation: str, instance: Instance) -> None:
        with self._lock:
            left = self._failures.get(operation, 0)
            if left:
                self._failures[operation] = left - 1
                raise BuildFailed("injected %s failure on %s" % (operation, self.name))
        target = instance.metadata.get(FAIL_KEY)
        if operation == "spawn" and target in (self.name, "*"):
            raise BuildFailed("%s asks to fail on %s" % (FAIL_KEY, self.name))

    def _work(self) -> None:
        if self.delay:
            time.sleep(self.delay)

    def spawn(self, instance: Instance, placement: Placement | None) -> None:
        self._work()
        self._maybe_fail("spawn", instance)
        with self._lock:
            self._guests[instance.uuid] = PowerState.RUNNING

    def rebuild(self, instance: Instance, placement: Placement | None) -> None:
        """A new guest from the instance's image; attached volumes stay attached."""
        self._work()
        self._maybe_fail("spawn", instance)
        with self._lock:
            self._guests[instance.uuid] = PowerState.RUNNING

    def destroy(self, instance: Instance) -> None:
        self._work()
        with self._lock:
            self._guests.pop(instance.uuid, None)
            self._volumes.pop(instance.uuid, None)

    def _set(self, instance: Instance, state: PowerState) -> None:
        self._work()
        with self._lock:
            if instance.uuid not in self._guests:
                raise GuestNotFound("no guest %s on %s" % (instance.uuid, self.name))
            self._guests[instance.uuid] = state

    def power_off(self, instance: Instance) -> None:
        self._set(instance, PowerState.SHUTDOWN)

    def power_on(self, instance: Instance) -> None:
        self._set(instance, PowerState.RUNNING)

    def reboot(self, instance: Instance, hard: bool = False) -> None:
        self._set(instance, PowerState.RUNNING)

    def power_state(self, instance: Instance) -> PowerState:
        with self._lock:
            return self._guests.get(instance.uuid, PowerState.NOSTATE)

    def list_instances(self) -> list[str]:
        with self._lock:
            return sorted(self._guests)

    def snapshot(self, instance: Instance, workdir: Path, *,
                 quiesce: Quiesce) -> SnapshotImage:
        self._work()
        with self._lock:
            state = self._guests.get(instance.uuid)
        if state is None:
            raise GuestNotFound("no guest %s on %s" % (instance.uuid, self.name))
        self._maybe_fail("snapshot", instance)
        quiesced = False
        if quiesce is not Quiesce.NO and state is PowerState.RUNNING:
            agent = str(instance.image.properties.get("hw_qemu_guest_agent", "")).lower()
            if agent not in ("yes", "true", "1", "on"):
                why = "the image does not enable the QEMU guest agent"
            elif QUIESCE_FAIL_KEY in instance.metadata:
                why = "the guest agent did not answer the freeze"
            else:
                why = ""
            if why and quiesce is Quiesce.REQUIRE:
                raise QuiesceFailed("cannot quiesce %s for a snapshot the image requires "
                                    "to be quiesced (os_require_quiesce): %s"
                                    % (instance.uuid, why))
            quiesced = not why
        path = Path(workdir) / ("%s.raw" % instance.uuid)
        path.write_text("tessera fake snapshot\ninstance %s on %s\nimage %s\n"
                        "taken %s\nquiesced %s\n" % (
                            instance.uuid, self.name, instance.image.id,
                            datetime.now(timezone.utc).isoformat(), quiesced))
        return SnapshotImage(path=path, disk_format="raw", quiesced=quiesced)

    def attach_volume(self, instance: Instance, bdm: BlockDevice) -> None:
        """Record the volume as the guest's disk (`fake_fail_attach` in the
        instance's metadata, set to this host or `*`, makes it fail)."""
        self._work()
        self._maybe_fail("attach_volume", instance)
        if instance.metadata.get(ATTACH_FAIL_KEY) in (self.name, "*"):
            raise VirtError("%s asks to fail on %s" % (ATTACH_FAIL_KEY, self.name))
        with self._lock:
            if instance.uuid not in self._guests:
                raise GuestNotFound("no guest %s on %s" % (instance.uuid, self.name))
            self._volumes.setdefault(instance.uuid, {})[bdm.attachment_id or ""] = \
                bdm.volume_id

    def detach_volume(self, instance: Instance, bdm: BlockDevice) -> None:
        self._work()
        self._maybe_fail("detach_volume", instance)
        with self._lock:
            self._volumes.get(instance.uuid, {}).pop(bdm.attachment_id or "", None)

    def volumes_of(self, instance_uuid: str) -> dict[str, str]:
        """The guest's volumes: attachment id -> volume id."""
        with self._lock:
            return dict(self._volumes.get(instance_uuid, {}))
