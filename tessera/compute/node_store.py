"""The compute node's row in the cell database, as the resource tracker's store."""

from __future__ import annotations

from tessera.compute.resource_tracker import GenerationConflict
from tessera.db import errors as db_errors
from tessera.db.cell import hosts
from tessera.db.engine import get_engine, read_scope, session_scope
from tessera.objects import ComputeNode


class DbNodeStore:
    def __init__(self, db_url: str) -> None:
        self.db_url = db_url

    def load(self, nodename: str) -> ComputeNode | None:
        with session_scope(get_engine(self.db_url)) as s:
            try:
                return hosts.get_compute_node(s, nodename)
            except db_errors.ComputeNodeNotFound:
                return None

    def generation(self, nodename: str) -> int | None:
        with read_scope(get_engine(self.db_url)) as s:
            return hosts.get_compute_node_generation(s, nodename)

    def save(self, node: ComputeNode, expected_generation: int | None) -> ComputeNode:
        with session_scope(get_engine(self.db_url)) as s:
            if expected_generation is None:
                return hosts.create_or_update_compute_node(s, node)
            try:
                return hosts.save_usage(s, node, expected_generation)
            except db_errors.GenerationConflict as e:
                raise GenerationConflict(str(e)) from e
