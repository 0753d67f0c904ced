"""CPU-spec strings (`0-3,^2,8`), as used by CPU masks, `hw:numa_cpus.N` and host CPU
sets.

Items are comma-separated: a number, a range `a-b`, or either prefixed with `^` to
exclude it. Exclusions apply after every inclusion, whatever their order; empty items
are skipped. Anything else raises `InvalidCPUSpec`, which names the key when the caller
gives one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tessera.numa.errors import InvalidCPUSpec

MAX_CPU_ID = 65535
_ALLOWED = ("comma-separated CPU numbers (0-%d), ranges a-b with a <= b, "
            "and exclusions ^n or ^a-b" % MAX_CPU_ID)
_ITEM = re.compile(r"\s*(\^)?\s*([0-9]+)\s*(?:-\s*([0-9]+)\s*)?")


def parse_cpu_spec(text: str, key: str | None = None) -> frozenset[int]:
    """The CPU numbers `text` selects."""
    if not isinstance(text, str):
        raise InvalidCPUSpec(key, text, _ALLOWED)
    included: set[int] = set()
    excluded: set[int] = set()
    for item in text.split(","):
        if not item.strip():
            continue
        exclude, cpus = _parse_item(item, text, key)
        (excluded if exclude else included).update(cpus)
    return frozenset(included - excluded)


def parse_vcpu_mask(text: str, vcpus: int | None = None, key: str | None = None
                    ) -> frozenset[int]:
    """A non-empty vCPU mask; with `vcpus`, one that starts with `^` counts from all
    vCPUs `0-(vcpus-1)` (so `^0` is every vCPU but 0)."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidCPUSpec(key, text, "a non-empty CPU spec such as 0-1 or ^0")
    full = text
    if vcpus is not None and text.lstrip().startswith("^"):
        full = "0-%d,%s" % (vcpus - 1, text)
    try:
        return parse_cpu_spec(full, key)
    except InvalidCPUSpec as exc:
        raise InvalidCPUSpec(key, text, exc.allowed) from None


def _parse_item(item: str, text: str, key: str | None) -> tuple[bool, range]:
    match = _ITEM.fullmatch(item)
    if match is None:
        raise InvalidCPUSpec(key, text, _ALLOWED)
    caret, first, last = match.groups()
    start = int(first)
    end = int(last) if last is not None else start
    if start > end or end > MAX_CPU_ID:
        raise InvalidCPUSpec(key, text, _ALLOWED)
    return caret is not None, range(start, end + 1)


def format_cpu_spec(cpus: Iterable[int]) -> str:
    """The shortest spec for `cpus` without exclusions: `0-3,8,10-11`."""
    ordered = sorted(set(cpus))
    if ordered and ordered[0] < 0:
        raise InvalidCPUSpec(None, ordered[0], "a CPU number >= 0")
    return ",".join(_format_run(a, b) for a, b in _runs(ordered))


def _runs(ordered: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for cpu in ordered:
        if runs and runs[-1][1] == cpu - 1:
            runs[-1] = (runs[-1][0], cpu)
        else:
            runs.append((cpu, cpu))
    return runs


def _format_run(start: int, end: int) -> str:
    return str(start) if start == end else "%d-%d" % (start, end)
