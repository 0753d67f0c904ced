"""The conductor's RPC API.

1.0: schedule_and_build_instances, reschedule_build, migrate_server
"""

from __future__ import annotations

from typing import Any

from tessera.rpc import RPCClientBase

TOPIC = "tessera-conductor"


class ConductorAPI(RPCClientBase):
    TOPIC = TOPIC
    VERSION = "1.0"

    def schedule_and_build_instances(self, ctxt: Any, instance_uuids: list[str]) -> None:
        self.cast(ctxt, "schedule_and_build_instances", instance_uuids=instance_uuids)

    def reschedule_build(self, ctxt: Any, instance_uuid: str, host: str, node: str | None,
                         reason: str) -> None:
        """A compute host could not build the instance: try another or give up."""
        self.cast(ctxt, "reschedule_build", instance_uuid=instance_uuid, host=host,
                  node=node, reason=reason)

    def migrate_server(self, ctxt: Any, instance_uuid: str, flavor: Any | None) -> None:
        """Resize (with `flavor`) or cold-migrate (without) an instance."""
        self.cast(ctxt, "migrate_server", instance_uuid=instance_uuid, flavor=flavor)
