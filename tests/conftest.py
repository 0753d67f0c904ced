"""Shared test helpers.

`require_service(name, available)`: tests that need a real service (PostgreSQL,
RabbitMQ, libvirt, ...) call it. Where the service is missing the test is skipped with
the service named, or fails when TESSERA_REQUIRE_SERVICES=1 (CI has every service).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable

import pytest


def services_required() -> bool:
    return os.environ.get("TESSERA_REQUIRE_SERVICES") == "1"


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _require_service(name: str, available: bool, detail: str = "") -> None:
    if available:
        return
    msg = "%s is not available%s" % (name, ": " + detail if detail else "")
    if services_required():
        pytest.fail(msg + " (TESSERA_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(msg)


@pytest.fixture
def require_service() -> Callable[..., None]:
    return _require_service
