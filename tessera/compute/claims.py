"""What a host holds, worked out from the cell database alone.

A compute service that restarts rebuilds its usage from this, never from the usage it
last wrote. The naming matches the online operations:
- a guest on the host holds its placement under its own uuid;
- during a move, the destination holds the new placement under `move:<migration>`,
  and the source keeps the old one under the guest's uuid until confirm or revert.
"""

from __future__ import annotations

from collections.abc import Iterable

from tessera.compute.resource_tracker import Claim
from tessera.objects import Instance, Migration, MigrationStatus

OPEN_MOVES = (MigrationStatus.PRE_MIGRATING, MigrationStatus.MIGRATING,
              MigrationStatus.POST_MIGRATING, MigrationStatus.FINISHED,
              MigrationStatus.CONFIRMING, MigrationStatus.REVERTING)


def move_claim_id(migration_uuid: str) -> str:
    return "move:%s" % migration_uuid


def claims_for_host(host: str, instances: Iterable[Instance],
                    migrations: Iterable[Migration]) -> list[Claim]:
    """The claims `host` holds: live guests placed here, and both sides of open moves.

    `instances` should include every live instance that is on the host or involved in
    one of `migrations`.
    """
    by_uuid = {i.uuid: i for i in instances if not i.deleted}
    out: dict[str, Claim] = {}
    moving: dict[str, Migration] = {}
    for m in migrations:
        if m.status in OPEN_MOVES and m.instance_uuid in by_uuid:
            moving[m.instance_uuid] = m
    for inst in by_uuid.values():
        ctx = inst.migration_context
        move = moving.get(inst.uuid)
        if move is None or ctx is None:
            if inst.host == host and inst.placement is not None:
                out[inst.uuid] = Claim(inst.uuid, inst.placement, inst.flavor)
            continue
        old_flavor = inst.old_flavor or move.old_flavor
        new_flavor = inst.new_flavor or move.new_flavor
        if ctx.source_host == host and ctx.old_placement is not None:
            out[inst.uuid] = Claim(inst.uuid, ctx.old_placement, old_flavor)
        if ctx.dest_host == host and ctx.new_placement is not None:
            cid = move_claim_id(move.uuid)
            out[cid] = Claim(cid, ctx.new_placement, new_flavor)
    return list(out.values())
