"""tessera.context: the request context and its wire form."""

from __future__ import annotations

import json

import pytest

from tessera.context import InvalidReadDeleted, RequestContext, get_admin_context


def test_round_trip_through_json() -> None:
    ctxt = RequestContext(
        user_id="u1",
        project_id="p1",
        roles=["member", "reader"],
        read_deleted="yes",
        user_name="alice",
        project_name="demo",
    )
    back = RequestContext.from_dict(json.loads(json.dumps(ctxt.to_dict())))
    assert isinstance(back, RequestContext)
    assert (back.user_id, back.project_id, back.roles) == ("u1", "p1", ["member", "reader"])
    assert (back.user_name, back.project_name) == ("alice", "demo")
    assert back.is_admin is False
    assert back.read_deleted == "yes"
    assert back.request_id == ctxt.request_id


def test_request_id_is_generated() -> None:
    assert RequestContext().request_id.startswith("req-")
    assert RequestContext().request_id != RequestContext().request_id


def test_from_dict_without_tessera_fields() -> None:
    back = RequestContext.from_dict({"user": "u", "project_id": "p"})
    assert back.read_deleted == "no"
    assert back.roles == []


def test_admin_context() -> None:
    ctxt = get_admin_context()
    assert ctxt.is_admin
    assert ctxt.user_id is None and ctxt.project_id is None
    assert get_admin_context(read_deleted="only").read_deleted == "only"


def test_elevated_copy() -> None:
    ctxt = RequestContext(user_id="u1", project_id="p1", roles=["member"])
    admin = ctxt.elevated(read_deleted="yes")
    assert admin.is_admin and "admin" in admin.roles and admin.read_deleted == "yes"
    assert not ctxt.is_admin and ctxt.roles == ["member"]
    assert admin.request_id == ctxt.request_id


@pytest.mark.parametrize("value", ["maybe", "", "NO"])
def test_read_deleted_is_validated(value: str) -> None:
    ctxt = RequestContext()
    with pytest.raises(InvalidReadDeleted):
        ctxt.read_deleted = value


def test_policy_values() -> None:
    values = RequestContext(user_id="u1", project_id="p1", roles=["admin"]).to_policy_values()
    assert values["project_id"] == "p1" and values["roles"] == ["admin"]
