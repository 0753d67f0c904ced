"""The version documents, exactly as clients and Tempest read them."""

from __future__ import annotations

from typing import Any

import pytest

from tessera.api.microversion import MAX_VERSION

V20_SUMMARY = {"id": "v2.0", "status": "SUPPORTED", "version": "", "min_version": "",
               "updated": "2011-01-21T11:33:21Z",
               "links": [{"rel": "self", "href": "http://testserver/v2/"}]}
V21_SUMMARY = {"id": "v2.1", "status": "CURRENT", "version": str(MAX_VERSION),
               "min_version": "2.1", "updated": "2013-07-23T11:33:21Z",
               "links": [{"rel": "self", "href": "http://testserver/v2.1/"}]}
DESCRIBED_BY = {"rel": "describedby", "type": "text/html",
                "href": "http://docs.openstack.org/"}


def _document(summary: dict[str, Any], media_type: str) -> dict[str, Any]:
    return {"version": {**summary, "links": [*summary["links"], DESCRIBED_BY],
                        "media-types": [{"base": "application/json", "type": media_type}]}}


V21 = _document(V21_SUMMARY, "application/vnd.openstack.compute+json;version=2.1")
V20 = _document(V20_SUMMARY, "application/vnd.openstack.compute+json;version=2")

CASES = [
    ("root", "/", {"versions": [V20_SUMMARY, V21_SUMMARY]}),
    ("v2.1 without slash", "/v2.1", V21),
    ("v2.1 with slash", "/v2.1/", V21),
    ("v2 without slash", "/v2", V20),
    ("v2 with slash", "/v2/", V20),
]


@pytest.mark.parametrize("path, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_document_shape_without_token(client, path, expected):
    response = client.get(path)
    assert response.status_code == 200
    assert response.json() == expected


def test_root_is_not_versioned(client):
    response = client.get("/", headers={"X-OpenStack-Nova-API-Version": "2.1"})
    assert "openstack-api-version" not in response.headers
    assert "x-openstack-nova-api-version" not in response.headers


def test_v21_document_is_versioned(client):
    response = client.get("/v2.1", headers={"X-OpenStack-Nova-API-Version": "2.1"})
    assert response.headers["x-openstack-nova-api-version"] == "2.1"


PROXY_CASES = [
    ("proto and host", {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "cloud.example"},
     "https://cloud.example/v2.1/"),
    ("first of a list", {"X-Forwarded-Proto": "https, http",
                         "X-Forwarded-Host": "a.example:8443, b"},
     "https://a.example:8443/v2.1/"),
    ("prefix", {"X-Forwarded-Host": "cloud.example", "X-Forwarded-Prefix": "/compute/"},
     "http://cloud.example/compute/v2.1/"),
    ("host header only", {"Host": "10.0.0.5:8774"}, "http://10.0.0.5:8774/v2.1/"),
]


@pytest.mark.parametrize("headers, href", [c[1:] for c in PROXY_CASES],
                         ids=[c[0] for c in PROXY_CASES])
def test_links_follow_the_request_host(client, headers, href):
    doc = client.get("/v2.1/", headers=headers).json()
    assert doc["version"]["links"][0] == {"rel": "self", "href": href}
    root = client.get("/", headers=headers).json()
    assert root["versions"][1]["links"][0]["href"] == href
