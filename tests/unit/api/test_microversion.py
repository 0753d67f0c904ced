"""Microversion negotiation, response headers, route gating and versioned bodies."""

from __future__ import annotations

import pytest
from pydantic import BaseModel
from starlette.requests import Request

from tessera.api import errors
from tessera.api.microversion import (
    MAX_VERSION,
    MIN_VERSION,
    VARY,
    VERSIONS,
    APIVersion,
    APIVersionNotSupported,
    InvalidAPIVersionString,
    VersionedBody,
    api_version,
    negotiate,
)

from .conftest import ALICE

NEW = "OpenStack-API-Version"
OLD = "X-OpenStack-Nova-API-Version"
LOW, HIGH = APIVersion(2, 1), APIVersion(2, 60)

# name, headers, expected version or exception type; negotiated over [2.1, 2.60].
NEGOTIATION = [
    ("absent", {}, (2, 1)),
    ("new 2.1", {NEW: "compute 2.1"}, (2, 1)),
    ("new middle", {NEW: "compute 2.47"}, (2, 47)),
    ("new max", {NEW: "compute 2.60"}, (2, 60)),
    ("new latest", {NEW: "compute latest"}, (2, 60)),
    ("legacy middle", {OLD: "2.26"}, (2, 26)),
    ("legacy latest", {OLD: "latest"}, (2, 60)),
    ("new wins over legacy", {NEW: "compute 2.30", OLD: "2.10"}, (2, 30)),
    ("new without compute falls back", {NEW: "volume 3.44", OLD: "2.10"}, (2, 10)),
    ("several services, last compute wins", {NEW: "compute 2.3, volume 3.4, compute 2.5"},
     (2, 5)),
    ("header names are case-insensitive", {"openstack-api-version": "COMPUTE 2.7"}, (2, 7)),
    ("below min", {NEW: "compute 2.0"}, APIVersionNotSupported),
    ("above max", {NEW: "compute 2.61"}, APIVersionNotSupported),
    ("legacy above max", {OLD: "2.999"}, APIVersionNotSupported),
    ("major 3", {OLD: "3.1"}, APIVersionNotSupported),
    ("leading zero", {NEW: "compute 2.05"}, InvalidAPIVersionString),
    ("major only", {OLD: "2"}, InvalidAPIVersionString),
    ("v prefix", {OLD: "v2.1"}, InvalidAPIVersionString),
    ("Latest is not latest", {OLD: "Latest"}, InvalidAPIVersionString),
    ("garbage", {NEW: "compute two"}, InvalidAPIVersionString),
]


@pytest.mark.parametrize("headers, expected", [c[1:] for c in NEGOTIATION],
                         ids=[c[0] for c in NEGOTIATION])
def test_negotiate(headers, expected):
    if isinstance(expected, type):
        with pytest.raises(expected):
            negotiate(headers, LOW, HIGH)
    else:
        assert negotiate(headers, LOW, HIGH) == expected


def test_repeated_headers_fold():
    headers = [(NEW, "compute 2.3"), (NEW, "compute 2.9")]
    assert negotiate(headers, LOW, HIGH) == (2, 9)


def test_version_compares_with_tuples():
    version = APIVersion.parse("2.47")
    assert version >= (2, 47) and version < (2, 48) and version > (2, 9)
    assert str(version) == "2.47"


# HTTP level, over the range Tessera claims.
HTTP_CASES = [
    ("absent", {}, 200, str(MIN_VERSION)),
    ("new min", {NEW: "compute %s" % (MIN_VERSION,)}, 200, str(MIN_VERSION)),
    ("legacy min", {OLD: str(MIN_VERSION)}, 200, str(MIN_VERSION)),
    ("new latest", {NEW: "compute latest"}, 200, str(MAX_VERSION)),
    ("legacy latest", {OLD: "latest"}, 200, str(MAX_VERSION)),
    ("above max", {OLD: "2.999"}, 406, "2.999"),
    ("below min", {NEW: "compute 2.0"}, 406, "2.0"),
]


@pytest.mark.parametrize("headers, status, echoed", [c[1:] for c in HTTP_CASES],
                         ids=[c[0] for c in HTTP_CASES])
def test_http_negotiation_echoes_both_headers(client, headers, status, echoed):
    response = client.get("/v2.1/whoami", headers={**ALICE, **headers})
    assert response.status_code == status
    assert response.headers["openstack-api-version"] == "compute " + echoed
    assert response.headers["x-openstack-nova-api-version"] == echoed
    assert response.headers["vary"] == VARY
    if status == 200:
        assert response.json()["version"] == echoed


def test_out_of_range_is_406_with_nova_body(client):
    response = client.get("/v2.1/whoami", headers={**ALICE, OLD: "2.999"})
    assert response.json() == {"computeFault": {
        "code": 406, "message": "Version 2.999 is not supported by the API. Minimum is "
        "%s and maximum is %s." % (MIN_VERSION, MAX_VERSION)}}


def test_malformed_is_400_without_version_headers(client):
    response = client.get("/v2.1/whoami", headers={**ALICE, NEW: "compute 2.05"})
    assert response.status_code == 400
    assert response.json() == {"badRequest": {
        "code": 400, "message": "API Version String 2.05 is of invalid format. Must be "
        "of format MajorNum.MinorNum."}}
    assert "x-openstack-nova-api-version" not in response.headers


def test_errors_carry_the_version_headers(client):
    for path in ("/v2.1/things/x", "/v2.1/no-such-route", "/v2.1/boom"):
        response = client.get(path, headers={**ALICE, OLD: "2.1"})
        assert response.status_code in (404, 500), path
        assert response.headers["x-openstack-nova-api-version"] == "2.1", path
        assert response.headers["vary"] == VARY, path


def test_legacy_v2_ignores_microversions(client):
    response = client.get("/v2/whoami", headers={**ALICE, OLD: "2.999"})
    assert response.status_code == 200
    assert response.json()["version"] == "2.1"
    assert "x-openstack-nova-api-version" not in response.headers


# Route gating: [min, max] of the route, version of the request, status.
GATES = [
    ("inside", ("2.1", None), (2, 1), None),
    ("above an open range", ("2.1", None), (2, 99), None),
    ("below min", ("2.26", None), (2, 25), errors.NotFound),
    ("at min", ("2.26", None), (2, 26), None),
    ("at max", ("2.1", "2.47"), (2, 47), None),
    ("above max", ("2.1", "2.47"), (2, 48), errors.NotFound),
]


def _request(version: tuple[int, int]) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "headers": [],
                    "state": {"api_version": APIVersion(*version)}})


@pytest.mark.parametrize("bounds, version, raises", [c[1:] for c in GATES],
                         ids=[c[0] for c in GATES])
def test_version_gate(bounds, version, raises):
    gate = api_version(*bounds).dependency
    if raises:
        with pytest.raises(raises):
            gate(_request(version))
    else:
        gate(_request(version))


def test_empty_range_is_refused():
    with pytest.raises(ValueError):
        api_version("2.50", "2.10")


def test_gated_routes_over_http(client):
    assert client.get("/v2.1/only-2.1", headers=ALICE).status_code == 200
    response = client.get("/v2.1/from-2.2", headers={**ALICE, OLD: "latest"})
    if MAX_VERSION < (2, 2):
        assert response.status_code == 404
        assert response.json()["itemNotFound"]["code"] == 404
    else:
        assert response.status_code == 200


class A(BaseModel):
    a: int


class B(BaseModel):
    b: int


@pytest.mark.parametrize("version, model", [((2, 1), None), ((2, 10), A), ((2, 36), A),
                                            ((2, 37), B), ((2, 99), B)])
def test_versioned_body_picks_the_model(version, model):
    body = VersionedBody({"2.37": B, "2.10": A})
    assert body.model_for(APIVersion(*version)) is model


def test_versioned_body_over_http(client):
    ok = client.put("/v2.1/things", headers=ALICE, json={"thing": {"name": "a", "size": 1}})
    assert ok.status_code == 200
    bad = client.put("/v2.1/things", headers=ALICE, json={"thing": {"name": "a"}})
    assert bad.status_code == 400
    assert "thing.size" in bad.json()["badRequest"]["message"]
    junk = client.put("/v2.1/things", headers={**ALICE, "Content-Type": "application/json"},
                      content=b"{not json")
    assert junk.json() == {"badRequest": {"code": 400, "message": "Malformed request body"}}


# One entry per claimed microversion: the list is the contract.
@pytest.mark.parametrize("text, note", VERSIONS, ids=[v for v, _ in VERSIONS])
def test_claimed_version_negotiates_and_is_documented(client, text, note):
    assert note.strip(), "every claimed microversion says what it changes"
    response = client.get("/v2.1/whoami", headers={**ALICE, OLD: text})
    assert response.status_code == 200
    assert response.json()["version"] == text


def test_claimed_versions_are_contiguous():
    parsed = [APIVersion.parse(v) for v, _ in VERSIONS]
    assert parsed[0] == MIN_VERSION == (2, 1)
    assert parsed[-1] == MAX_VERSION
    for before, after in zip(parsed, parsed[1:]):
        assert after == (before.major, before.minor + 1), "microversions are cumulative"


def test_vary_already_set_is_extended():
    from tessera.api.microversion import _merge_headers, version_headers

    merged = dict(_merge_headers([(b"vary", b"Origin"), (b"content-type", b"x")],
                                 version_headers(APIVersion(2, 1))))
    assert merged[b"vary"] == ("Origin, " + VARY).encode()
    assert merged[b"content-type"] == b"x"
