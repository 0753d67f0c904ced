"""Every error becomes Nova's fault body, once, at the edge."""

from __future__ import annotations

import pytest

from tessera.api import errors

from .conftest import ALICE

# name, method, path, json body, status, fault name, message (None: not checked)
CASES = [
    ("not found from a handler", "GET", "/v2.1/things/x", None, 404, "itemNotFound",
     "Thing x could not be found."),
    ("unknown route", "GET", "/v2.1/nothing-here", None, 404, "itemNotFound",
     "The resource could not be found."),
    ("unknown route outside the API", "GET", "/nothing-here", None, 404, "itemNotFound",
     "The resource could not be found."),
    ("wrong method", "DELETE", "/v2.1/whoami", None, 405, "badMethod",
     "The method DELETE is not allowed for this resource."),
    ("missing field", "POST", "/v2.1/things", {"thing": {"name": "a"}}, 400, "badRequest",
     "Invalid input for field/attribute thing.size. Value: {'name': 'a'}. Field required"),
    ("field too long", "POST", "/v2.1/things", {"thing": {"name": "x" * 11, "size": 1}},
     400, "badRequest", None),
    ("wrong type", "POST", "/v2.1/things", {"thing": {"name": "a", "size": "big"}}, 400,
     "badRequest", None),
    ("no body", "POST", "/v2.1/things", None, 400, "badRequest", None),
    ("conflict", "GET", "/v2.1/conflict", None, 409, "conflictingRequest",
     "Cannot 'resize' instance while it is in vm_state building"),
    ("numa InvalidRequest", "GET", "/v2.1/numa", None, 400, "badRequest",
     "Invalid hw:cpu_policy 'bogus': must be one of shared, dedicated, mixed"),
    ("policy", "GET", "/v2.1/admin-only", None, 403, "forbidden",
     "Policy doesn't allow os_compute_api:os-services:list to be performed."),
]


@pytest.mark.parametrize("method, path, body, status, name, message",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_fault_body(client, method, path, body, status, name, message):
    response = client.request(method, path, headers=ALICE, json=body)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    fault = response.json()
    assert list(fault) == [name]
    assert fault[name]["code"] == status
    assert fault[name]["message"]
    if message is not None:
        assert fault[name]["message"] == message


def test_405_lists_the_allowed_methods(client):
    response = client.delete("/v2.1/whoami", headers=ALICE)
    assert response.headers["allow"] == "GET"


def test_500_hides_internals(client):
    response = client.get("/v2.1/boom", headers=ALICE)
    assert response.status_code == 500
    message = response.json()["computeFault"]["message"]
    assert "hunter2" not in message and "RuntimeError" not in message
    assert response.headers["x-compute-request-id"] in message


def test_overlimit_has_retry_after(client):
    response = client.get("/v2.1/overlimit", headers=ALICE)
    assert response.status_code == 413
    assert response.headers["retry-after"] == "30"
    assert response.json() == {"overLimit": {"code": 413, "retryAfter": "30",
                                             "message": "Quota exceeded for instances."}}


@pytest.mark.parametrize("exc, status, name", [
    (errors.BadRequest(), 400, "badRequest"),
    (errors.Unauthorized(), 401, "unauthorized"),
    (errors.Forbidden(), 403, "forbidden"),
    (errors.NotFound(), 404, "itemNotFound"),
    (errors.MethodNotAllowed(), 405, "badMethod"),
    (errors.NotAcceptable(), 406, "computeFault"),
    (errors.Conflict(), 409, "conflictingRequest"),
    (errors.OverLimit(), 413, "overLimit"),
    (errors.UnsupportedMediaType(), 415, "badMediaType"),
    (errors.NotImplementedByAPI(), 501, "notImplemented"),
    (errors.ServiceUnavailable(), 503, "serviceUnavailable"),
])
def test_each_error_type_maps_to_nova_fault_name(exc, status, name):
    body = errors.fault_body(exc.code, exc.message)
    assert exc.code == status
    assert list(body) == [name] and body[name]["message"]
