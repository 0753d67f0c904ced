"""The scheduler's RPC API.

1.0: select_destinations
"""

from __future__ import annotations

from typing import Any

from tessera.objects import RequestSpec, SchedulingOutcome
from tessera.rpc import RPCClientBase

TOPIC = "tessera-scheduler"


class SchedulerAPI(RPCClientBase):
    TOPIC = TOPIC
    VERSION = "1.0"

    def select_destinations(self, ctxt: Any, spec: RequestSpec,
                            instance_uuids: list[str]) -> SchedulingOutcome:
        return self.call(ctxt, "select_destinations", spec=spec,
                         instance_uuids=instance_uuids)
