"""Versioned, typed objects that cross process boundaries (RPC) and rest in databases.

Every object is an immutable pydantic model with a name and a `major.minor` schema
version. Its primitive form wraps the JSON data with both, so a reader can refuse data
from a newer major version or one it does not know:

    {"tessera_object.name": "RequestSpec", "tessera_object.version": "1.0",
     "tessera_object.data": {...}}

Changes make new objects (`model_copy(update=...)` or the objects' own `with_*`
helpers): a filter cannot mutate the request it reads.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

REGISTRY: dict[str, type["TesseraObject"]] = {}

T = TypeVar("T", bound="TesseraObject")


class IncompatibleObjectVersion(ValueError):
    """The data was written by a schema this code cannot read."""


class TesseraObject(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    OBJ_NAME: ClassVar[str] = ""
    VERSION: ClassVar[str] = "1.0"

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        name = cls.__dict__.get("OBJ_NAME") or cls.__name__
        cls.OBJ_NAME = name
        REGISTRY[name] = cls

    def to_primitive(self) -> dict[str, Any]:
        return {"tessera_object.name": self.OBJ_NAME,
                "tessera_object.version": self.VERSION,
                "tessera_object.data": self.model_dump(mode="json")}

    @classmethod
    def from_primitive(cls: type[T], primitive: dict[str, Any]) -> T:
        name = primitive.get("tessera_object.name")
        target = REGISTRY.get(name or "")
        if target is None or not issubclass(target, cls):
            raise IncompatibleObjectVersion("not a %s: %r" % (cls.OBJ_NAME or "Tessera "
                                                                "object", name))
        _check_version(target, str(primitive.get("tessera_object.version", "")))
        return target.model_validate(primitive["tessera_object.data"])  # type: ignore

    def to_json(self) -> str:
        return json.dumps(self.to_primitive(), separators=(",", ":"))

    @classmethod
    def from_json(cls: type[T], text: str) -> T:
        return cls.from_primitive(json.loads(text))


def _check_version(cls: type[TesseraObject], version: str) -> None:
    """Same major and a minor no newer than ours: newer minors may carry fields we
    would silently drop, older ones only lack optional fields."""
    try:
        major, minor = (int(x) for x in version.split("."))
        our_major, our_minor = (int(x) for x in cls.VERSION.split("."))
    except ValueError:
        raise IncompatibleObjectVersion("%s: bad version %r" % (cls.OBJ_NAME, version))
    if major != our_major or minor > our_minor:
        raise IncompatibleObjectVersion("%s %s cannot be read by %s %s" % (
            cls.OBJ_NAME, version, cls.OBJ_NAME, cls.VERSION))
