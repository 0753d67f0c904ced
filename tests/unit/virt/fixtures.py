"""Paths and loaders for the libvirt fixtures (capabilities, node devices)."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "libvirt"
SCHEMAS = Path("/usr/share/libvirt/schemas")


def caps(name: str) -> str:
    return (FIXTURES / ("caps-%s.xml" % name)).read_text()


def nodedevs(name: str) -> list[str]:
    return [p.read_text() for p in sorted((FIXTURES / ("nodedev-%s" % name)).glob("*.xml"))]
