"""Shared pieces of the control-plane functional tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml

from tessera.context import RequestContext
from tessera.objects import Flavor, Instance, VmState

ROOT = Path(__file__).resolve().parents[3]
HOSTS = {h["name"]: h for h in yaml.safe_load((ROOT / "etc/hosts.yaml").read_text())["hosts"]}
CTX = RequestContext(user_id="alice", project_id="demo")
T = TypeVar("T")


def wait_for(probe: Callable[[], T | None], timeout: float = 20.0, what: str = "") -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for %s" % (what or probe))
        time.sleep(0.02)


def settled(api: Any, uuid: str, states=(VmState.ACTIVE, VmState.ERROR, VmState.RESIZED),
            timeout: float = 20.0) -> Instance:
    def probe() -> Instance | None:
        inst = api.get(uuid)
        return inst if inst.vm_state in states and inst.task_state is None else None
    return wait_for(probe, timeout, "instance %s to settle" % uuid)


def flavor(flavorid: str, vcpus: int, memory_mb: int, **specs: str) -> Flavor:
    return Flavor(flavorid=flavorid, name=flavorid, vcpus=vcpus, memory_mb=memory_mb,
                  root_gb=1, extra_specs=specs)


PINNED_1G = flavor("pinned.4.1g", 4, 4096, **{"hw:cpu_policy": "dedicated",
                                            "hw:mem_page_size": "1GB"})
PINNED_8_1G = flavor("pinned.8.1g", 8, 8192, **{"hw:cpu_policy": "dedicated",
                                              "hw:mem_page_size": "1GB"})


def pins_of(inst: Instance) -> set[int]:
    assert inst.placement is not None
    return {p for c in inst.placement.cells for p in c.pins.values()}
