"""Turns Tessera objects and contexts into JSON-able primitives for RPC, and back.

An object crosses the wire as its `to_primitive()` form:

    {"tessera_object.name": "RequestSpec", "tessera_object.version": "1.0",
     "tessera_object.data": {...}}

and is rebuilt on the other side by the class registered under that name
(`tessera.objects.base.REGISTRY`, name -> class with `from_primitive(dict)`). Lists,
tuples and dict values are walked, so a list of objects or a dict of them works too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import oslo_messaging

from tessera.context import RequestContext

NAME_KEY = "tessera_object.name"


class _ObjectClass(Protocol):
    @classmethod
    def from_primitive(cls, primitive: dict[str, Any]) -> Any: ...


ObjectRegistry = Mapping[str, _ObjectClass]


class UnknownObjectType(ValueError):
    """A primitive names an object class this process has not registered."""


class ObjectSerializer(oslo_messaging.Serializer):
    """oslo.messaging serializer for Tessera objects and `RequestContext`.

    `registry` maps object names to classes; None means `tessera.objects.base.REGISTRY`,
    imported on first use so this module does not depend on every object module.
    """

    def __init__(self, registry: ObjectRegistry | None = None) -> None:
        self._registry = registry

    @property
    def registry(self) -> ObjectRegistry:
        if self._registry is None:
            from tessera.objects.base import REGISTRY

            self._registry = REGISTRY
        return self._registry

    def serialize_entity(self, ctxt: Any, entity: Any) -> Any:
        if _is_object(entity):
            return entity.to_primitive()
        if isinstance(entity, Mapping):
            return {key: self.serialize_entity(ctxt, value) for key, value in entity.items()}
        if isinstance(entity, (list, tuple, set, frozenset)):
            return [self.serialize_entity(ctxt, item) for item in entity]
        return entity

    def deserialize_entity(self, ctxt: Any, entity: Any) -> Any:
        if isinstance(entity, Mapping):
            if NAME_KEY in entity:
                return self._rebuild(entity)
            return {key: self.deserialize_entity(ctxt, value) for key, value in entity.items()}
        if isinstance(entity, (list, tuple)):
            return [self.deserialize_entity(ctxt, item) for item in entity]
        return entity

    def serialize_context(self, ctxt: Any) -> dict[str, Any]:
        if isinstance(ctxt, RequestContext):
            return ctxt.to_dict()
        if isinstance(ctxt, Mapping):
            return dict(ctxt)
        raise TypeError("RPC context must be a RequestContext, not %s" % type(ctxt).__name__)

    def deserialize_context(self, ctxt: Mapping[str, Any]) -> RequestContext:
        return RequestContext.from_dict(dict(ctxt))

    def _rebuild(self, primitive: Mapping[str, Any]) -> Any:
        name = primitive[NAME_KEY]
        cls = self.registry.get(name)
        if cls is None:
            raise UnknownObjectType("no Tessera object class is registered as %r" % name)
        return cls.from_primitive(dict(primitive))


def _is_object(entity: Any) -> bool:
    return not isinstance(entity, type) and callable(getattr(entity, "to_primitive", None))
