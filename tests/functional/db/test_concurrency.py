"""Optimistic concurrency under real concurrency: threads racing on one compute node's
generation or one instance's task state, on every backend."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from tessera import objects as o
from tessera.db import errors
from tessera.db.cell import queries as q
from tessera.db.engine import get_engine, session_scope

from . import samples


def _race(workers: list[Callable[[], Any]]) -> list[Any]:
    """Run the workers in threads at once; each result or raised exception."""
    results: list[Any] = [None] * len(workers)

    def run(i: int) -> None:
        try:
            results[i] = workers[i]()
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(workers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_writers_from_one_generation_one_wins(cell_url: str) -> None:
    """Both read generation g, then write at the same moment: exactly one lands."""
    engine = get_engine(cell_url)
    with session_scope(engine) as s:
        node = q.create_or_update_compute_node(s, samples.node("c1"))
    barrier = threading.Barrier(2, timeout=30)

    def writer(vcpus_used: int) -> Callable[[], o.ComputeNode]:
        def write() -> o.ComputeNode:
            with session_scope(engine) as s:
                read = q.get_compute_node(s, "c1")
            barrier.wait()
            with session_scope(engine) as s:
                return q.save_usage(s, read.model_copy(update={"vcpus_used": vcpus_used}),
                                    expected_generation=read.generation)
        return write

    results = _race([writer(2), writer(3)])
    won = [r for r in results if isinstance(r, o.ComputeNode)]
    lost = [r for r in results if isinstance(r, errors.GenerationConflict)]
    assert len(won) == 1 and len(lost) == 1, results
    with session_scope(engine) as s:
        stored = q.get_compute_node(s, "c1")
    assert stored.generation == node.generation + 1
    assert stored.vcpus_used == won[0].vcpus_used


def test_open_transactions_race_on_the_row(cell_url: str, backend: str) -> None:
    """Both transactions are open, have read the row and then update it: the second
    UPDATE waits for the first's row lock and then matches nothing."""
    if backend == "sqlite":
        pytest.skip("SQLite serialises whole transactions (BEGIN IMMEDIATE)")
    engine = get_engine(cell_url)
    with session_scope(engine) as s:
        q.create_or_update_compute_node(s, samples.node("c1"))
    barrier = threading.Barrier(2, timeout=30)

    def write() -> o.ComputeNode:
        with session_scope(engine) as s:
            read = q.get_compute_node(s, "c1")
            barrier.wait()
            return q.save_usage(s, read.model_copy(update={"vcpus_used": 1}),
                                expected_generation=read.generation)

    results = _race([write, write])
    assert sorted(type(r).__name__ for r in results) == ["ComputeNode",
                                                         "GenerationConflict"], results


def test_retrying_writers_lose_no_update(cell_url: str) -> None:
    """Writers that re-read and retry on conflict: every increment is counted."""
    engine = get_engine(cell_url)
    with session_scope(engine) as s:
        start = q.create_or_update_compute_node(s, samples.node("c1"))
    threads, increments = 4, 8

    def claim_many() -> int:
        conflicts = 0
        for _ in range(increments):
            while True:
                with session_scope(engine) as s:
                    node = q.get_compute_node(s, "c1")
                try:
                    with session_scope(engine) as s:
                        q.save_usage(s, node.model_copy(update={
                            "vcpus_used": node.vcpus_used + 1}), node.generation)
                    break
                except errors.GenerationConflict:
                    conflicts += 1
        return conflicts

    results = _race([claim_many] * threads)
    assert all(isinstance(r, int) for r in results), results
    with session_scope(engine) as s:
        final = q.get_compute_node(s, "c1")
    assert final.vcpus_used == threads * increments
    assert final.generation == start.generation + threads * increments


def test_task_state_race_one_wins(cell_url: str) -> None:
    """A build finishing and a delete starting, both from SPAWNING: one wins."""
    engine = get_engine(cell_url)
    with session_scope(engine) as s:
        inst = q.create_instance(s, samples.instance(task_state=o.TaskState.SPAWNING))
    barrier = threading.Barrier(2, timeout=30)

    def to(task_state: o.TaskState | None) -> Callable[[], o.Instance]:
        def save() -> o.Instance:
            barrier.wait()
            with session_scope(engine) as s:
                return q.save_instance(s, inst.model_copy(update={"task_state": task_state}),
                                       expected_task_state=o.TaskState.SPAWNING)
        return save

    results = _race([to(None), to(o.TaskState.DELETING)])
    won = [r for r in results if isinstance(r, o.Instance)]
    lost = [r for r in results if isinstance(r, errors.UnexpectedTaskState)]
    assert len(won) == 1 and len(lost) == 1, results
    with session_scope(engine) as s:
        assert q.get_instance(s, inst.uuid).task_state == won[0].task_state
