"""The resource tracker: one host's usage, claimed and released atomically.

The host's NUMA topology comes from the driver; its usage is the sum of the claims of
the guests on it. A claim takes the scheduler's proposed placement when it still
applies, and otherwise fits the guest again on the current usage (another guest may
have taken the proposed pCPUs in between); either way nothing is ever given twice,
because `tessera.numa.usage.apply` refuses it. Claims happen under the tracker's lock
and are saved with the compute node's generation, so a second writer that read an older
usage cannot overwrite this one. On (re)start the usage is rebuilt from the claims of
the instances the host holds, never trusted from the database.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Protocol

from tessera.compute.virt.driver import ComputeDriver
from tessera.numa.fit import Strategy, fit
from tessera.numa.host import Host
from tessera.numa.placement import Placement
from tessera.numa.request import GuestRequest
from tessera.numa.usage import UsageConflict, apply, release
from tessera.objects import ComputeNode, Flavor

LOG = logging.getLogger(__name__)


class ClaimFailed(Exception):
    """The guest does not fit on this host any more; the message says why."""


class GenerationConflict(Exception):
    """The stored compute node changed since it was read."""


class NodeStore(Protocol):
    def load(self, nodename: str) -> ComputeNode | None: ...

    def generation(self, nodename: str) -> int | None:
        """The stored node's generation (None: there is none): a cheap way to tell
        whether it is still the one this tracker wrote."""

    def save(self, node: ComputeNode, expected_generation: int | None) -> ComputeNode:
        """Write the node if the stored generation is `expected_generation` (None: the
        node is new) and return it with the generation it now has; else raise
        GenerationConflict."""


@dataclass(frozen=True)
class Claim:
    """What one guest (or one side of a move) holds on this host."""

    claim_id: str
    placement: Placement
    flavor: Flavor


@dataclass(frozen=True)
class Ratios:
    cpu: float = 4.0
    ram: float = 1.0
    disk: float = 1.0


class ResourceTracker:
    def __init__(self, driver: ComputeDriver, store: NodeStore, ratios: Ratios = Ratios(),
                 strategy: Strategy = Strategy.SPREAD) -> None:
        self.driver = driver
        self.store = store
        self.ratios = ratios
        self.strategy = strategy
        self._lock = threading.RLock()
        self._claims: dict[str, Claim] = {}
        self._node: ComputeNode | None = None
        self._base: ComputeNode | None = None
        self._uuid: str | None = None

    @property
    def node(self) -> ComputeNode:
        assert self._node is not None, "the tracker has not started"
        return self._node

    def start(self, claims: Iterable[Claim], node_uuid: str) -> ComputeNode:
        """Rebuild usage from the claims of the guests this host holds and save it."""
        with self._lock:
            self._uuid = node_uuid
            self._claims = {c.claim_id: c for c in claims}
            node = self._base = self._blank_node()
            for claim in self._claims.values():
                try:
                    node = self._add(node, claim.placement, claim.flavor)
                except UsageConflict as e:
                    LOG.error("claim %s does not apply on %s: %s", claim.claim_id,
                              node.host, e)
            self._node = self._save(node, fresh=True)
            return self._node

    def claim(self, claim_id: str, request: GuestRequest, flavor: Flavor,
              proposed: Placement | None = None) -> Placement:
        """Take the resources of `flavor`/`request` for `claim_id`; raise ClaimFailed."""
        with self._lock:
            if claim_id in self._claims:
                return self._claims[claim_id].placement
            node = self.node
            self._check_capacity(node, flavor)
            placement, taken = None, None
            if isinstance(proposed, Placement) and proposed.host == node.numa.name:
                try:
                    taken = self._add(node, proposed, flavor)
                    placement = proposed
                except UsageConflict as e:
                    LOG.info("proposed placement of %s no longer applies (%s); fitting "
                             "again", claim_id, e)
            if placement is None:
                answer = fit(node.numa, request, self.strategy)
                if not isinstance(answer, Placement):
                    raise ClaimFailed("%s: %s" % (node.host, answer.reason))
                placement, taken = answer, self._add(node, answer, flavor)
            assert taken is not None
            self._node = self._save(taken)
            self._claims[claim_id] = Claim(claim_id, placement, flavor)
            return placement

    def release(self, claim_id: str) -> None:
        """Give back what `claim_id` holds; unknown ids are ignored (idempotent)."""
        with self._lock:
            claim = self._claims.pop(claim_id, None)
            if claim is None:
                return
            node = self.node
            self._node = self._save(self._remove(node, claim.placement, claim.flavor))

    def report(self) -> ComputeNode:
        """The periodic report: when the hypervisor's topology or capacity changed
        (huge pages reconfigured, CPUs offlined), usage is rebuilt on the new one from
        the same claims; when the stored node is not the one this tracker wrote last (it
        was lost or overwritten), it is written again. Otherwise nothing is written."""
        with self._lock:
            fresh = self._blank_node()
            node = self.node
            if (fresh.numa.cells, fresh.numa.pci, fresh.vcpus, fresh.memory_mb,
                    fresh.local_gb) != (self._base.numa.cells, self._base.numa.pci,
                                        self._base.vcpus, self._base.memory_mb,
                                        self._base.local_gb):
                return self.start(list(self._claims.values()), node.uuid)
            if self.store.generation(node.hypervisor_hostname) != node.generation:
                self._node = self._save(node, fresh=True)
            return self.node

    def rename(self, old_id: str, new_id: str) -> None:
        """Keep a claim under another id (a move's claim becomes the guest's own)."""
        with self._lock:
            claim = self._claims.pop(old_id, None)
            if claim is not None:
                self._claims[new_id] = Claim(new_id, claim.placement, claim.flavor)

    def holds(self, claim_id: str) -> Claim | None:
        with self._lock:
            return self._claims.get(claim_id)

    def claims(self) -> list[Claim]:
        with self._lock:
            return list(self._claims.values())

    def _blank_node(self) -> ComputeNode:
        res = self.driver.node_resources()
        return ComputeNode(
            uuid=self._uuid or res.hypervisor_hostname, host=self.driver.host_topology().name,
            hypervisor_hostname=res.hypervisor_hostname, hypervisor_type=res.hypervisor_type,
            hypervisor_version=res.hypervisor_version, vcpus=res.vcpus,
            memory_mb=res.memory_mb, local_gb=res.local_gb,
            cpu_allocation_ratio=self.ratios.cpu, ram_allocation_ratio=self.ratios.ram,
            disk_allocation_ratio=self.ratios.disk, numa=self._with_ratios(
                self.driver.host_topology()))

    def _with_ratios(self, host: Host) -> Host:
        return replace(host, cpu_allocation_ratio=self.ratios.cpu,
                       ram_allocation_ratio=self.ratios.ram)

    def _check_capacity(self, node: ComputeNode, flavor: Flavor) -> None:
        disk = flavor.root_gb + flavor.ephemeral_gb
        if node.memory_mb_used + flavor.memory_mb > node.memory_mb * node.ram_allocation_ratio:
            raise ClaimFailed("%s: %d of %d MiB RAM used, needs %d more" % (
                node.host, node.memory_mb_used,
                node.memory_mb * node.ram_allocation_ratio, flavor.memory_mb))
        if node.local_gb_used + disk > node.local_gb * node.disk_allocation_ratio:
            raise ClaimFailed("%s: %d of %d GiB disk used, needs %d more" % (
                node.host, node.local_gb_used, node.local_gb * node.disk_allocation_ratio,
                disk))

    @staticmethod
    def _add(node: ComputeNode, placement: Placement, flavor: Flavor) -> ComputeNode:
        return node.model_copy(update={
            "numa": apply(node.numa, placement),
            "vcpus_used": node.vcpus_used + _floating(placement, flavor),
            "memory_mb_used": node.memory_mb_used + flavor.memory_mb,
            "local_gb_used": node.local_gb_used + flavor.root_gb + flavor.ephemeral_gb,
            "running_vms": node.running_vms + 1})

    @staticmethod
    def _remove(node: ComputeNode, placement: Placement, flavor: Flavor) -> ComputeNode:
        return node.model_copy(update={
            "numa": release(node.numa, placement),
            "vcpus_used": max(0, node.vcpus_used - _floating(placement, flavor)),
            "memory_mb_used": max(0, node.memory_mb_used - flavor.memory_mb),
            "local_gb_used": max(0, node.local_gb_used - flavor.root_gb - flavor.ephemeral_gb),
            "running_vms": max(0, node.running_vms - 1)})

    def _save(self, node: ComputeNode, fresh: bool = False) -> ComputeNode:
        """Persist; on start, take over whatever generation is stored."""
        if fresh:
            stored = self.store.load(node.hypervisor_hostname)
            expected = stored.generation if stored else None
            node = node.model_copy(update={"uuid": stored.uuid if stored else node.uuid})
        else:
            expected = self.node.generation
        return self.store.save(node.model_copy(update={"generation": expected or 0}),
                               expected)


def _floating(placement: Placement, flavor: Flavor) -> int:
    """vCPUs that float over shared CPUs: what `ComputeNode.vcpus_used` counts (pinned
    vCPUs are counted in the NUMA usage instead)."""
    return flavor.vcpus - sum(len(c.pins) for c in placement.cells)
