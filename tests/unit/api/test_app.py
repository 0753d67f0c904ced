"""The app factory: registration of resource routers and the OpenAPI document."""

from __future__ import annotations

from fastapi import APIRouter

from tessera.api import app as app_module
from tessera.api.app import Settings, create_app, register

from .conftest import ADMIN, TestClient, make_client, router


def test_registered_router_is_served_under_both_prefixes(monkeypatch):
    monkeypatch.setattr(app_module, "_REGISTERED", [])
    extra = APIRouter()

    @extra.get("/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    register(extra)
    register(extra)
    assert app_module.registered_routers() == [extra]
    client = TestClient(create_app(Settings()))
    assert client.get("/v2.1/ping", headers=ADMIN).json() == {"pong": "yes"}
    assert client.get("/v2/ping", headers=ADMIN).json() == {"pong": "yes"}


def test_register_accepts_a_module_with_router(monkeypatch):
    import types

    monkeypatch.setattr(app_module, "_REGISTERED", [])
    module = types.ModuleType("fake_resource")
    module.router = router
    assert register(module) is module
    assert app_module.registered_routers() == [router]


def test_settings_from_conf():
    from tessera.conf import make_conf

    conf = make_conf()
    settings = Settings.from_conf(conf)
    assert settings.auth_strategy == "noauth2" and settings.conf is conf


def test_openapi_document():
    doc = make_client().get("/openapi.json").json()
    assert doc["components"]["securitySchemes"]["XAuthToken"]["name"] == "X-Auth-Token"
    whoami = doc["paths"]["/v2.1/whoami"]["get"]
    headers = {p["name"] for p in whoami["parameters"] if p["in"] == "header"}
    assert {"OpenStack-API-Version", "X-OpenStack-Nova-API-Version"} <= headers
    assert whoami["security"] == [{"XAuthToken": []}]
    assert whoami["responses"]["default"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Fault"}
    assert doc["paths"]["/v2.1/from-2.2"]["get"]["x-openstack-microversions"] == {
        "min": "2.2", "max": None}
    body = doc["paths"]["/v2.1/things"]["put"]["requestBody"]["content"][
        "application/json"]["schema"]
    assert len(body["oneOf"]) == 2
    assert not any(p.startswith("/v2/") for p in doc["paths"]), "legacy alias is hidden"
    assert "security" not in doc["paths"]["/v2.1"]["get"]
