"""Fixtures for tests on real libvirt: libvirt-python with its `test:///` driver, and
libvirt's RNG schemas. Missing pieces skip the test (fail under
TESSERA_REQUIRE_SERVICES=1); `scripts/install-libvirt.sh` installs them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCHEMAS = Path("/usr/share/libvirt/schemas")
NODE_XML = "<node>\n</node>\n"


@pytest.fixture
def libvirt(require_service: Callable[..., None]) -> ModuleType:
    try:
        import libvirt as mod
    except ImportError as exc:
        require_service("libvirt-python", False, "%s (scripts/install-libvirt.sh)" % exc)
    return mod


@pytest.fixture
def test_uri(tmp_path: Path) -> str:
    """A `test:///` URI of a node file of this test's own: a fresh, private driver
    state (test:///default is shared by every connection in the process)."""
    node = tmp_path / "node.xml"
    node.write_text(NODE_XML)
    return "test://" + str(node)


@pytest.fixture
def conn(libvirt: ModuleType, test_uri: str) -> Iterator[Any]:
    c = libvirt.open(test_uri)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture(scope="session")
def domain_rng() -> Any:
    """libvirt's domain RNG schema compiled by lxml (compiled once per session)."""
    return _rng("domain.rng")


def _rng(name: str) -> Any:
    from tests.conftest import _require_service

    try:
        from lxml import etree
    except ImportError as exc:
        _require_service("lxml", False, str(exc))
    path = SCHEMAS / name
    _require_service("libvirt RNG schemas", path.exists(), "no %s" % path)
    return etree.RelaxNG(etree.parse(str(path)))


@pytest.fixture(scope="session")
def rng_of() -> Callable[[str], Any]:
    cache: dict[str, Any] = {}

    def get(name: str) -> Any:
        if name not in cache:
            cache[name] = _rng(name)
        return cache[name]
    return get
