"""Volume types: names with extra specs, stored whole as JSON (revision api005).
`multiattach="<is> True"` makes a type's volumes attachable to several servers; the
`__DEFAULT__` type is what a volume created without one gets."""

from __future__ import annotations

import json
import uuid as uuidlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tessera.db._util import add_row, utcnow
from tessera.db.api.volume_models import VolumeRow, VolumeTypeRow
from tessera.db.errors import DuplicateEntry
from tessera.volume.errors import Conflict, InvalidInput, NotFound

DEFAULT_TYPE_ID = "2f4b4c5e-7d1a-4e0b-9a3c-000000000001"
DEFAULT_TYPE_NAME = "__DEFAULT__"
MULTIATTACH_KEY = "multiattach"


@dataclass(frozen=True)
class VolumeType:
    id: str
    name: str
    description: str | None = None
    is_public: bool = True
    extra_specs: dict[str, str] = field(default_factory=dict)

    @property
    def multiattach(self) -> bool:
        return is_true_spec(self.extra_specs.get(MULTIATTACH_KEY))


def is_true_spec(value: str | None) -> bool:
    """An extra spec that says yes: `<is> True`, `True`, `true` (Cinder's forms)."""
    if value is None:
        return False
    text = value.strip()
    if text.lower().startswith("<is>"):
        text = text[4:].strip()
    return text.lower() in ("true", "1", "yes")


def _to_type(row: VolumeTypeRow) -> VolumeType:
    return VolumeType(id=row.uuid, name=row.name, description=row.description,
                      is_public=row.is_public, extra_specs=json.loads(row.extra_specs))


def _type_row(session: Session, ref: str) -> VolumeTypeRow:
    row = session.scalars(select(VolumeTypeRow).where(VolumeTypeRow.uuid == ref)).first()
    if row is None:
        row = session.scalars(select(VolumeTypeRow).where(VolumeTypeRow.name == ref)).first()
    if row is None:
        raise NotFound("Volume type with name %s could not be found." % ref)
    return row


def check_extra_specs(specs: Any) -> dict[str, str]:
    if not isinstance(specs, dict):
        raise InvalidInput("extra_specs must be an object")
    out = {}
    for key, value in specs.items():
        if not isinstance(key, str) or not 0 < len(key) <= 255:
            raise InvalidInput("Invalid extra spec key %r" % (key,))
        if isinstance(value, bool):
            value = str(value)
        if not isinstance(value, (str, int, float)) or len(str(value)) > 255:
            raise InvalidInput("Invalid extra spec value for %s" % key)
        out[key] = str(value)
    return out


def create_type(session: Session, name: str, description: str | None = None,
                is_public: bool = True, extra_specs: dict[str, str] | None = None
                ) -> VolumeType:
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise InvalidInput("Volume type name can not be empty and must be at most 255 "
                           "characters.")
    specs = check_extra_specs(extra_specs or {})
    now = utcnow()
    row = VolumeTypeRow(uuid=str(uuidlib.uuid4()), name=name, description=description,
                        is_public=is_public, extra_specs=json.dumps(specs),
                        created_at=now, updated_at=now)
    try:
        add_row(session, row, lambda: DuplicateEntry("volume type %s" % name))
    except DuplicateEntry:
        raise Conflict("Volume Type %s already exists." % name) from None
    return _to_type(row)


def get_type(session: Session, ref: str) -> VolumeType:
    """A type by id, else by name."""
    return _to_type(_type_row(session, ref))


def default_type(session: Session) -> VolumeType:
    """Cinder's `__DEFAULT__` type (seeded by api005; made again if it went)."""
    try:
        return get_type(session, DEFAULT_TYPE_ID)
    except NotFound:
        now = utcnow()
        row = VolumeTypeRow(uuid=DEFAULT_TYPE_ID, name=DEFAULT_TYPE_NAME,
                            description="Default Volume Type", is_public=True,
                            extra_specs="{}", created_at=now, updated_at=now)
        try:
            add_row(session, row, lambda: DuplicateEntry("volume type __DEFAULT__"))
        except DuplicateEntry:   # made meanwhile by another request
            pass
        return get_type(session, DEFAULT_TYPE_ID)


def list_types(session: Session, include_private: bool = True) -> list[VolumeType]:
    query = select(VolumeTypeRow).order_by(VolumeTypeRow.name)
    if not include_private:
        query = query.where(VolumeTypeRow.is_public.is_(True))
    return [_to_type(r) for r in session.scalars(query)]


def update_type(session: Session, ref: str, **fields: Any) -> VolumeType:
    row = _type_row(session, ref)
    for key in ("name", "description", "is_public"):
        if key in fields and fields[key] is not None:
            setattr(row, key, fields[key])
    row.updated_at = utcnow()
    session.flush()
    return _to_type(row)


def set_extra_specs(session: Session, ref: str, specs: dict[str, Any]) -> VolumeType:
    row = _type_row(session, ref)
    merged = {**json.loads(row.extra_specs), **check_extra_specs(specs)}
    row.extra_specs = json.dumps(merged)
    row.updated_at = utcnow()
    session.flush()
    return _to_type(row)


def unset_extra_spec(session: Session, ref: str, key: str) -> VolumeType:
    row = _type_row(session, ref)
    specs = json.loads(row.extra_specs)
    if key not in specs:
        raise NotFound("Volume Type %s has no extra specs with key %s." % (row.uuid, key))
    del specs[key]
    row.extra_specs = json.dumps(specs)
    row.updated_at = utcnow()
    session.flush()
    return _to_type(row)


def delete_type(session: Session, ref: str) -> None:
    row = _type_row(session, ref)
    if row.uuid == DEFAULT_TYPE_ID:
        raise InvalidInput("Default volume type can not be deleted.")
    used = session.scalars(select(VolumeRow.id).where(
        VolumeRow.volume_type_id == row.uuid).limit(1)).first()
    if used is not None:
        raise InvalidInput("Target volume type is still in use.")
    session.delete(row)
    session.flush()
