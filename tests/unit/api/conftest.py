"""Fixtures for the API tests: the app with a dummy resource router whose routes raise
each kind of error, report the context and version, and validate a body."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from tessera.api import Context, RequestVersion, VersionedBody, api_version, authorize
from tessera.api import errors, policy
from tessera.api.app import Settings, create_app
from tessera.numa.errors import InvalidRequest

with warnings.catch_warnings():
    # Starlette 1.x nudges towards httpx2; httpx is what the project uses.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ADMIN = {"X-Auth-Token": "admin:admin"}
ALICE = {"X-Auth-Token": "alice:p1"}


class Thing(BaseModel):
    name: str = Field(min_length=1, max_length=10)
    size: int = Field(ge=0)


class ThingBody(BaseModel):
    thing: Thing


class ThingV2(Thing):
    colour: str


class ThingBodyV2(BaseModel):
    thing: ThingV2


router = APIRouter()


@router.get("/whoami")
def whoami(context: Context, version: RequestVersion) -> dict[str, Any]:
    return {"user_id": context.user_id, "project_id": context.project_id,
            "is_admin": context.is_admin, "roles": sorted(context.roles),
            "version": str(version)}


@router.post("/things", status_code=201)
def create_thing(body: ThingBody) -> dict[str, Any]:
    return body.model_dump()


@router.put("/things", status_code=200)
def put_thing(body: Annotated[BaseModel, Depends(VersionedBody(
        {"2.1": ThingBody, "2.2": ThingBodyV2}))]) -> dict[str, Any]:
    return body.model_dump()


@router.get("/things/{name}")
def show_thing(name: str) -> dict[str, Any]:
    raise errors.NotFound("Thing %s could not be found." % name)


@router.get("/boom")
def boom() -> None:
    raise RuntimeError("database password is hunter2")


@router.get("/conflict")
def conflict() -> None:
    raise errors.Conflict("Cannot 'resize' instance while it is in vm_state building")


@router.get("/overlimit")
def overlimit() -> None:
    raise errors.OverLimit("Quota exceeded for instances.", retry_after=30)


@router.get("/numa")
def numa() -> None:
    raise InvalidRequest("hw:cpu_policy", "bogus", "one of shared, dedicated, mixed")


@router.get("/admin-only")
def admin_only(context: Context) -> dict[str, str]:
    authorize(context, "os_compute_api:os-services:list")
    return {"ok": "yes"}


@router.get("/only-2.1", dependencies=[api_version("2.1", "2.1")])
def only_21() -> dict[str, str]:
    return {"ok": "yes"}


@router.get("/from-2.2", dependencies=[api_version("2.2")])
def from_22() -> dict[str, str]:
    return {"ok": "yes"}


@pytest.fixture(autouse=True)
def _fresh_policy() -> Iterator[None]:
    policy.reset()
    yield
    policy.reset()


def make_client(settings: Settings | None = None) -> TestClient:
    return TestClient(create_app(settings, routers=[router]),
                      raise_server_exceptions=False)


@pytest.fixture
def client() -> TestClient:
    return make_client()
