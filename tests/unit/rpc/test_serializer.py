"""tessera.rpc.serializer: objects and contexts to primitives and back."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import pytest

from tessera.context import RequestContext, get_admin_context
from tessera.rpc.serializer import ObjectSerializer, UnknownObjectType

REGISTRY: dict[str, Any] = {}


@dataclass(frozen=True)
class Gadget:
    """A minimal object following the tessera.objects primitive contract."""

    OBJ_NAME: ClassVar[str] = "TestGadget"
    name: str
    size: int

    def to_primitive(self) -> dict[str, Any]:
        return {
            "tessera_object.name": self.OBJ_NAME,
            "tessera_object.version": "1.0",
            "tessera_object.data": asdict(self),
        }

    @classmethod
    def from_primitive(cls, primitive: dict[str, Any]) -> Gadget:
        return cls(**primitive["tessera_object.data"])


REGISTRY[Gadget.OBJ_NAME] = Gadget
CTXT = get_admin_context()

ENTITIES = [
    ("scalar", 42),
    ("none", None),
    ("object", Gadget("a", 1)),
    ("list of objects", [Gadget("a", 1), Gadget("b", 2)]),
    ("dict of objects", {"first": Gadget("a", 1), "rest": [Gadget("b", 2)], "n": 3}),
    ("plain dict", {"hw:cpu_policy": "dedicated"}),
]


@pytest.mark.parametrize(("label", "entity"), ENTITIES, ids=[e[0] for e in ENTITIES])
def test_round_trip_through_json(label: str, entity: Any) -> None:
    serializer = ObjectSerializer(registry=REGISTRY)
    wire = json.loads(json.dumps(serializer.serialize_entity(CTXT, entity)))
    assert serializer.deserialize_entity(CTXT, wire) == entity


def test_primitive_form() -> None:
    primitive = ObjectSerializer(registry=REGISTRY).serialize_entity(CTXT, Gadget("a", 1))
    assert primitive == {
        "tessera_object.name": "TestGadget",
        "tessera_object.version": "1.0",
        "tessera_object.data": {"name": "a", "size": 1},
    }


def test_tuples_become_lists() -> None:
    serializer = ObjectSerializer(registry=REGISTRY)
    assert serializer.deserialize_entity(CTXT, serializer.serialize_entity(CTXT, (1, 2))) == [1, 2]


def test_unknown_object_name_is_an_error() -> None:
    primitive = {"tessera_object.name": "Nope", "tessera_object.version": "1.0",
                 "tessera_object.data": {}}
    with pytest.raises(UnknownObjectType, match="Nope"):
        ObjectSerializer(registry=REGISTRY).deserialize_entity(CTXT, primitive)


def test_default_registry_is_tessera_objects() -> None:
    base = pytest.importorskip("tessera.objects.base")
    assert ObjectSerializer().registry is base.REGISTRY


def test_context_round_trip() -> None:
    serializer = ObjectSerializer(registry=REGISTRY)
    ctxt = RequestContext(user_id="u", project_id="p", roles=["member"], read_deleted="only")
    back = serializer.deserialize_context(json.loads(json.dumps(serializer.serialize_context(ctxt))))
    assert isinstance(back, RequestContext)
    assert (back.user_id, back.project_id, back.roles, back.read_deleted) == (
        "u", "p", ["member"], "only")
    assert back.request_id == ctxt.request_id


def test_context_must_be_a_request_context() -> None:
    with pytest.raises(TypeError):
        ObjectSerializer(registry=REGISTRY).serialize_context(object())
