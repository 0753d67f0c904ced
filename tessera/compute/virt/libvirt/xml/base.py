"""Small helpers shared by the builders."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

from tessera.numa.cpuspec import format_cpu_spec


def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: object
        ) -> ET.Element:
    """A child element; attributes whose value is None are left out."""
    elem = ET.SubElement(parent, tag, {k: str(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        elem.text = text
    return elem


def cpuset(cpus: Iterable[int]) -> str:
    return format_cpu_spec(cpus)


def to_string(elem: ET.Element) -> str:
    ET.indent(elem, "  ")
    return ET.tostring(elem, encoding="unicode") + "\n"
