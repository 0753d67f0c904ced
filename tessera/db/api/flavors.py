"""Flavor queries of the API database (re-exported by `tessera.db.api.queries`).

Flavors are addressed by `flavorid` (the id users see); extra specs are rows of
`flavor_extra_specs`, returned as the flavor's `extra_specs` dict.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from tessera.db import errors
from tessera.db._util import add_row, utcnow
from tessera.db.api.models import FlavorExtraSpecRow, FlavorRow
from tessera.objects import Flavor

_SCALARS = ("flavorid", "name", "vcpus", "memory_mb", "root_gb", "ephemeral_gb", "swap",
            "rxtx_factor", "is_public", "disabled", "description")


def _to_flavor(row: FlavorRow) -> Flavor:
    return Flavor(**{f: getattr(row, f) for f in _SCALARS},
                  extra_specs={s.key: s.value or "" for s in row.extra_specs})


def _row(session: Session, flavorid: str) -> FlavorRow:
    row = session.scalars(select(FlavorRow).where(FlavorRow.flavorid == flavorid)).first()
    if row is None:
        raise errors.FlavorNotFound(flavorid)
    return row


def create_flavor(session: Session, flavor: Flavor) -> Flavor:
    """Store a new flavor with its extra specs; `FlavorExists` when its flavorid or
    its name is taken."""
    now = utcnow()
    row = FlavorRow(**{f: getattr(flavor, f) for f in _SCALARS}, created_at=now,
                    extra_specs=[FlavorExtraSpecRow(key=k, value=v, created_at=now)
                                 for k, v in flavor.extra_specs.items()])
    add_row(session, row, lambda: errors.FlavorExists(
        flavor.flavorid, "Flavor with ID %s or name %s already exists."
        % (flavor.flavorid, flavor.name)))
    return _to_flavor(row)


def get_flavor(session: Session, flavorid: str) -> Flavor:
    return _to_flavor(_row(session, flavorid))


def get_flavor_by_name(session: Session, name: str) -> Flavor:
    row = session.scalars(select(FlavorRow).where(FlavorRow.name == name)).first()
    if row is None:
        raise errors.FlavorNotFound(name, "Flavor with name %s could not be found." % name)
    return _to_flavor(row)


def list_flavors(session: Session, *, is_public: bool | None = True,
                 min_memory_mb: int | None = None, min_root_gb: int | None = None,
                 include_disabled: bool = False, marker: str | None = None,
                 limit: int | None = None) -> list[Flavor]:
    """Flavors sorted by flavorid, as the compute API pages them: `is_public=None`
    lists private ones too; `marker` is the flavorid after which to start."""
    query = select(FlavorRow).order_by(FlavorRow.flavorid)
    if is_public is not None:
        query = query.where(FlavorRow.is_public == is_public)
    if min_memory_mb is not None:
        query = query.where(FlavorRow.memory_mb >= min_memory_mb)
    if min_root_gb is not None:
        query = query.where(FlavorRow.root_gb >= min_root_gb)
    if not include_disabled:
        query = query.where(FlavorRow.disabled.is_(False))
    if marker is not None:
        if session.scalar(select(FlavorRow.id).where(FlavorRow.flavorid == marker)) is None:
            raise errors.MarkerNotFound(marker)
        query = query.where(FlavorRow.flavorid > marker)
    if limit is not None:
        query = query.limit(limit)
    return [_to_flavor(row) for row in session.scalars(query)]


def delete_flavor(session: Session, flavorid: str) -> None:
    """Delete a flavor and its extra specs; `FlavorNotFound` if there is none."""
    session.delete(_row(session, flavorid))
    session.flush()


def set_flavor_extra_specs(session: Session, flavorid: str,
                           specs: Mapping[str, str]) -> Flavor:
    """Add or overwrite extra specs; the others stay."""
    row = _row(session, flavorid)
    now = utcnow()
    existing = {s.key: s for s in row.extra_specs}
    for key, value in specs.items():
        if key in existing:
            existing[key].value, existing[key].updated_at = value, now
        else:
            row.extra_specs.append(FlavorExtraSpecRow(key=key, value=value,
                                                      created_at=now))
    row.updated_at = now
    session.flush()
    return _to_flavor(row)


def unset_flavor_extra_spec(session: Session, flavorid: str, key: str) -> Flavor:
    """Remove one extra spec; `FlavorExtraSpecNotFound` if the flavor lacks it."""
    row = _row(session, flavorid)
    spec = next((s for s in row.extra_specs if s.key == key), None)
    if spec is None:
        raise errors.FlavorExtraSpecNotFound(
            key, "Flavor %s has no extra specs with key %s." % (flavorid, key))
    row.extra_specs.remove(spec)
    row.updated_at = utcnow()
    session.flush()
    return _to_flavor(row)
