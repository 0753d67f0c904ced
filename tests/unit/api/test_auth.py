"""noauth2 and keystone modes: the context every handler gets."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tessera.api import errors
from tessera.api.app import Settings
from tessera.api.auth import Keystone, NoAuth, context_from_headers

from .conftest import make_client

# name, token, expected (user_id, project_id, is_admin) or None for 401
NOAUTH = [
    ("user and project", "alice:p1", ("alice", "p1", False)),
    ("bare user is its own project", "alice", ("alice", "alice", False)),
    ("admin:admin", "admin:admin", ("admin", "admin", True)),
    ("bare admin", "admin", ("admin", "admin", True)),
    ("admin in another project", "admin:p2", ("admin", "p2", True)),
    ("auth_type none sends notused", "notused", ("notused", "notused", False)),
    ("missing user", ":p1", None),
    ("empty token", "", None),
]


@pytest.mark.parametrize("token, expected", [c[1:] for c in NOAUTH],
                         ids=[c[0] for c in NOAUTH])
def test_noauth_context(client, token, expected):
    response = client.get("/v2.1/whoami", headers={"X-Auth-Token": token})
    if expected is None:
        assert response.status_code == 401
        return
    assert response.status_code == 200
    body = response.json()
    assert (body["user_id"], body["project_id"], body["is_admin"]) == expected
    assert ("admin" in body["roles"]) == expected[2]
    assert {"member", "reader"} <= set(body["roles"])


def test_missing_token_is_401_with_a_challenge(client):
    response = client.get("/v2.1/whoami")
    assert response.status_code == 401
    assert response.headers["www-authenticate"]
    fault = response.json()["unauthorized"]
    assert fault["code"] == 401 and "X-Auth-Token: USER:PROJECT" in fault["message"]


@pytest.mark.parametrize("path", ["/", "/v2.1", "/v2.1/", "/v2", "/v2/", "/openapi.json"])
def test_version_documents_need_no_token(client, path):
    assert client.get(path).status_code == 200


def test_request_id_headers(client):
    response = client.get("/v2.1/whoami", headers={"X-Auth-Token": "alice:p1"})
    request_id = response.headers["x-compute-request-id"]
    assert request_id.startswith("req-")
    assert response.headers["x-openstack-request-id"] == request_id


# The /v2.1/{project_id}/... form keystone catalogs hold.
PROJECT_PATHS = [
    ("hex project id", "abc123", "/v2.1/abc123/whoami", 200),
    ("uuid with dashes", "0f9c-4a2b", "/v2.1/0f9c-4a2b/whoami", 200),
    ("noauth project name", "p1", "/v2.1/p1/whoami", 200),
    ("legacy v2", "abc123", "/v2/abc123/whoami", 200),
    ("someone else's project", "abc123", "/v2.1/def456/whoami", 400),
    ("plain path still works", "abc123", "/v2.1/whoami", 200),
]


@pytest.mark.parametrize("project, path, status", [c[1:] for c in PROJECT_PATHS],
                         ids=[c[0] for c in PROJECT_PATHS])
def test_project_id_in_url(client, project, path, status):
    response = client.get(path, headers={"X-Auth-Token": "alice:" + project})
    assert response.status_code == status
    if status == 400:
        assert response.json()["badRequest"]["message"] == (
            "Malformed request URL: URL's project_id 'def456' doesn't match Context's "
            "project_id 'abc123'")


# Keystone: the headers auth_token sets -> the context.
CONFIRMED = {"X-Identity-Status": "Confirmed", "X-User-Id": "u1", "X-Project-Id": "p1",
             "X-Roles": "member,reader", "X-User-Name": "alice",
             "X-Project-Name": "demo", "X-Auth-Token": "gAAAA"}
KEYSTONE = [
    ("member", CONFIRMED, ("u1", "p1", ["member", "reader"], False)),
    ("admin role", {**CONFIRMED, "X-Roles": "admin, member,reader"},
     ("u1", "p1", ["admin", "member", "reader"], True)),
    ("lower-case names", {k.lower(): v for k, v in CONFIRMED.items()},
     ("u1", "p1", ["member", "reader"], False)),
    ("legacy tenant header", {**{k: v for k, v in CONFIRMED.items() if k != "X-Project-Id"},
                              "X-Tenant-Id": "t9"}, ("u1", "t9", ["member", "reader"], False)),
    ("invalid token", {**CONFIRMED, "X-Identity-Status": "Invalid"}, None),
    ("no status", {k: v for k, v in CONFIRMED.items() if k != "X-Identity-Status"}, None),
]


@pytest.mark.parametrize("headers, expected", [c[1:] for c in KEYSTONE],
                         ids=[c[0] for c in KEYSTONE])
def test_context_from_auth_token_headers(headers, expected):
    if expected is None:
        with pytest.raises(errors.Unauthorized):
            context_from_headers(headers)
        return
    context = context_from_headers(headers)
    assert (context.user_id, context.project_id, sorted(context.roles),
            context.is_admin) == expected


def _scope(headers: dict[str, str]) -> dict[str, Any]:
    return {"type": "http", "method": "GET", "path": "/v2.1/servers", "query_string": b"",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "server": ("127.0.0.1", 8774), "scheme": "http"}


def _fake_auth_token(app):
    """Does what auth_token does for a token it accepts or refuses: strips the
    identity headers a client might spoof, then sets them from the 'token'."""
    def middleware(environ, start_response):
        for key in [k for k in environ if k.startswith("HTTP_X_") and k != "HTTP_X_AUTH_TOKEN"]:
            del environ[key]
        if environ.get("HTTP_X_AUTH_TOKEN") != "good":
            start_response("401 Unauthorized",
                           [("WWW-Authenticate", 'Keystone uri="http://ks/identity"')])
            return [b'{"error": {"code": 401}}']
        environ.update(HTTP_X_IDENTITY_STATUS="Confirmed", HTTP_X_USER_ID="u1",
                       HTTP_X_PROJECT_ID="p1", HTTP_X_ROLES="member,reader")
        return app(environ, start_response)
    return middleware


def test_keystone_strategy_builds_the_context_from_auth_token():
    strategy = Keystone(filter_factory=_fake_auth_token)
    context = asyncio.run(strategy.authenticate(_scope(
        {"X-Auth-Token": "good", "X-Roles": "admin"})))
    assert (context.user_id, context.project_id, context.is_admin) == ("u1", "p1", False)
    assert sorted(context.roles) == ["member", "reader"]


def test_keystone_strategy_keeps_the_challenge():
    strategy = Keystone(filter_factory=_fake_auth_token)
    with pytest.raises(errors.Unauthorized) as caught:
        asyncio.run(strategy.authenticate(_scope({"X-Auth-Token": "bad"})))
    assert caught.value.headers == {"WWW-Authenticate": 'Keystone uri="http://ks/identity"'}


def test_keystone_mode_with_real_auth_token_refuses_a_missing_token():
    client = make_client(Settings(auth_strategy="keystone", keystone_authtoken={
        "www_authenticate_uri": "http://keystone.example/identity",
        "auth_url": "http://keystone.example/identity", "auth_type": "password",
        "delay_auth_decision": False}))
    response = client.get("/v2.1/whoami")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Keystone uri="http://keystone.example/identity"'
    assert response.json()["unauthorized"]["code"] == 401
    assert client.get("/v2.1/").status_code == 200


def test_noauth_strategy_directly():
    context = asyncio.run(NoAuth().authenticate(_scope({"X-Auth-Token": "bob:p7"})))
    assert (context.user_id, context.project_id) == ("bob", "p7")


def test_unknown_strategy_is_refused():
    with pytest.raises(ValueError):
        make_client(Settings(auth_strategy="basic"))
