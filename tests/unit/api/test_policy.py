"""Policy defaults like Nova's, the override file and the 403 message."""

from __future__ import annotations

import pytest

from tessera.api import errors, policy
from tessera.api.app import Settings
from tessera.context import RequestContext

from .conftest import make_client


def _member(project: str = "p1") -> RequestContext:
    return RequestContext(user_id="alice", project_id=project, roles=["member", "reader"])


def _reader(project: str = "p1") -> RequestContext:
    return RequestContext(user_id="rita", project_id=project, roles=["reader"])


def _admin() -> RequestContext:
    return RequestContext(user_id="admin", project_id="admin",
                          roles=["admin", "member", "reader"], is_admin=True)


S = "os_compute_api:servers:"
# name, context, rule, target, allowed
CASES = [
    ("member shows own server", _member(), S + "show", {"project_id": "p1"}, True),
    ("member deletes own server", _member(), S + "delete", {"project_id": "p1"}, True),
    ("member refused another project's server", _member(), S + "show",
     {"project_id": "p2"}, False),
    ("member refused deleting another's", _member(), S + "delete", {"project_id": "p2"},
     False),
    ("reader reads own", _reader(), S + "show", {"project_id": "p1"}, True),
    ("reader cannot delete", _reader(), S + "delete", {"project_id": "p1"}, False),
    ("admin on any project", _admin(), S + "delete", {"project_id": "p2"}, True),
    ("member refused admin API", _member(), "os_compute_api:os-hypervisors:list",
     {"project_id": "p1"}, False),
    ("admin allowed admin API", _admin(), "os_compute_api:os-services:list", None, True),
    ("member refused all tenants", _member(), S + "index:get_all_tenants", None, False),
    ("member refused flavor create", _member(), "os_compute_api:os-flavor-manage:create",
     None, False),
    ("member reads extra specs", _member(), "os_compute_api:os-flavor-extra-specs:index",
     None, True),
    ("anyone lists AZs", _reader(), "os_compute_api:os-availability-zone:list", None, True),
    ("own keypair", _member(), "os_compute_api:os-keypairs:show", {"user_id": "alice"},
     True),
    ("someone else's keypair", _member(), "os_compute_api:os-keypairs:show",
     {"user_id": "bob"}, False),
    ("default target is own project", _member(), S + "create", None, True),
]


@pytest.mark.parametrize("context, rule, target, allowed", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_authorize(context, rule, target, allowed):
    if allowed:
        policy.authorize(context, rule, target)
    else:
        with pytest.raises(errors.PolicyNotAuthorized) as caught:
            policy.authorize(context, rule, target)
        assert caught.value.code == 403
        assert caught.value.message == "Policy doesn't allow %s to be performed." % rule


def test_unregistered_rule_is_a_programming_error():
    from oslo_policy.policy import PolicyNotRegistered

    with pytest.raises(PolicyNotRegistered):
        policy.authorize(_admin(), "os_compute_api:no-such-rule")


def test_admin_only_over_http():
    client = make_client()
    refused = client.get("/v2.1/admin-only", headers={"X-Auth-Token": "alice:p1"})
    assert refused.status_code == 403
    assert refused.json() == {"forbidden": {"code": 403, "message":
        "Policy doesn't allow os_compute_api:os-services:list to be performed."}}
    allowed = client.get("/v2.1/admin-only", headers={"X-Auth-Token": "admin:admin"})
    assert allowed.status_code == 200


def test_policy_file_overrides_a_rule(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text('"os_compute_api:os-services:list": "role:member"\n')
    client = make_client(Settings(policy_file=str(path)))
    response = client.get("/v2.1/admin-only", headers={"X-Auth-Token": "alice:p1"})
    assert response.status_code == 200


def test_every_rule_has_a_known_default():
    names = [r.name for r in policy.list_rules()]
    assert len(names) == len(set(names))
    assert {"context_is_admin", "admin_api", "project_member_or_admin",
            "project_reader_or_admin"} <= set(names)
