"""The resource tracker: claims, releases, races and restarts on a fake host."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import yaml

from tessera.compute.resource_tracker import (Claim, ClaimFailed, GenerationConflict,
                                              ResourceTracker)
from tessera.compute.virt.fake import FakeDriver
from tessera.numa.constraints import build_request
from tessera.numa.fit import fit
from tessera.objects import ComputeNode, Flavor

ROOT = Path(__file__).resolve().parents[3]
HOSTS = {h["name"]: h for h in yaml.safe_load((ROOT / "etc/hosts.yaml").read_text())["hosts"]}


class MemoryStore:
    """Compute nodes kept in a dict, with the generation check a database makes."""

    def __init__(self) -> None:
        self.nodes: dict[str, ComputeNode] = {}
        self.lock = threading.Lock()

    def load(self, nodename: str) -> ComputeNode | None:
        return self.nodes.get(nodename)

    def generation(self, nodename: str) -> int | None:
        node = self.nodes.get(nodename)
        return node.generation if node else None

    def save(self, node: ComputeNode, expected_generation: int | None) -> ComputeNode:
        with self.lock:
            stored = self.nodes.get(node.hypervisor_hostname)
            if (stored.generation if stored else None) != expected_generation:
                raise GenerationConflict(node.hypervisor_hostname)
            saved = node.model_copy(update={"generation": (expected_generation or 0) + 1})
            self.nodes[node.hypervisor_hostname] = saved
            return saved


def flavor(vcpus: int, memory_mb: int = 2048, **specs: str) -> Flavor:
    return Flavor(flavorid="f%d" % vcpus, name="f%d" % vcpus, vcpus=vcpus,
                  memory_mb=memory_mb, root_gb=1, extra_specs=specs)


def request(f: Flavor):
    return build_request(f.as_numa_flavor())


@pytest.fixture
def tracker() -> ResourceTracker:
    rt = ResourceTracker(FakeDriver(HOSTS["edge-2n-busy"]), MemoryStore())
    rt.start([], "node-1")
    return rt


PINNED = flavor(4, **{"hw:cpu_policy": "dedicated"})


def test_claim_uses_the_proposed_placement_and_saves_usage(tracker):
    proposal = fit(tracker.node.numa, request(PINNED))
    placement = tracker.claim("i1", request(PINNED), PINNED, proposal)
    assert placement == proposal
    stored = tracker.store.load(tracker.node.hypervisor_hostname)
    pinned = set().union(*(c.pinned for c in stored.numa.cells))
    assert pinned == set(proposal.cells[0].pins.values())
    assert stored.vcpus_used == 0 and stored.running_vms == 1  # pinned: not floating


def test_a_stale_proposal_is_fitted_again_never_double_booked(tracker):
    proposal = fit(tracker.node.numa, request(PINNED))
    first = tracker.claim("i1", request(PINNED), PINNED, proposal)
    second = tracker.claim("i2", request(PINNED), PINNED, proposal)
    a = set(first.cells[0].pins.values())
    b = set(second.cells[0].pins.values())
    assert a and b and not a & b


def test_claims_fail_with_the_reason_once_the_host_is_full(tracker):
    done = 0
    with pytest.raises(ClaimFailed, match="free dedicated pCPUs"):
        for i in range(100):
            tracker.claim("i%d" % i, request(PINNED), PINNED)
            done += 1
    assert done > 0


def test_release_gives_everything_back(tracker):
    before = tracker.node.numa
    tracker.claim("i1", request(PINNED), PINNED)
    tracker.release("i1")
    tracker.release("i1")  # idempotent
    assert tracker.node.numa.cells == before.cells
    assert tracker.node.vcpus_used == 0


def test_concurrent_claims_never_share_a_pcpu(tracker):
    got: list = []
    errors: list = []

    def boot(i: int) -> None:
        try:
            got.append(tracker.claim("i%d" % i, request(PINNED), PINNED,
                                     fit(tracker.node.numa, request(PINNED))))
        except ClaimFailed as e:
            errors.append(e)

    threads = [threading.Thread(target=boot, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pins = [p for placement in got for c in placement.cells for p in c.pins.values()]
    assert len(pins) == len(set(pins)) and got and errors


def test_restart_rebuilds_usage_from_the_claims(tracker):
    tracker.claim("i1", request(PINNED), PINNED)
    tracker.claim("i2", request(flavor(2)), flavor(2))
    kept = tracker.claims()
    usage = tracker.node.numa
    again = ResourceTracker(tracker.driver, tracker.store)
    node = again.start([Claim(c.claim_id, c.placement, c.flavor) for c in kept], "node-1")
    assert node.numa.cells == usage.cells
    assert node.generation > tracker.node.generation - 1


def test_report_rebuilds_usage_when_the_hypervisor_changes(tracker):
    tracker.claim("i1", request(PINNED), PINNED)
    generation = tracker.node.generation
    assert tracker.report().generation == generation  # nothing changed: nothing written
    more_pages = dict(HOSTS["edge-2n-busy"])
    more_pages["cells"] = [dict(c, hugepages={"2M": 8192, "1G": 4})
                           for c in more_pages["cells"]]
    tracker.driver = FakeDriver(more_pages)
    node = tracker.report()
    assert node.generation > generation
    assert [p.total for p in node.numa.cells[0].pages if p.size_kb == 2048] == [8192]
    pinned = set().union(*(c.pinned for c in node.numa.cells))
    assert pinned == set(tracker.holds("i1").placement.cells[0].pins.values())


def test_report_writes_back_a_node_that_was_lost(tracker):
    tracker.claim("i1", request(PINNED), PINNED)
    tracker.store.nodes.clear()
    tracker.report()
    stored = tracker.store.load(tracker.node.hypervisor_hostname)
    assert stored is not None and stored.numa.cells == tracker.node.numa.cells
