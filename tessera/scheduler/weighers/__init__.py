"""Host weighers: the registry, and the enabled list with its multipliers.

`load_weighers(names, options)` reads each weigher's multiplier from `options` (any
object with the option names as attributes, such as `conf.scheduler`, or a mapping),
so this package needs no configuration library.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tessera.scheduler.errors import UnknownWeigher
from tessera.scheduler.weighers import cpu, pinned_cpu, ram
from tessera.scheduler.weighers.base import HostWeigher, WeighFn, Weigher

REGISTRY: dict[str, HostWeigher] = {w.name: w for w in (
    ram.WEIGHER, cpu.WEIGHER, pinned_cpu.WEIGHER)}

DEFAULT_WEIGHERS = ("RamWeigher", "CpuWeigher", "PinnedCpuWeigher")


def load_weighers(names: Iterable[str] = DEFAULT_WEIGHERS,
                  options: Any = None) -> list[HostWeigher]:
    """The named weighers, each with its multiplier from `options` (default 1.0);
    raises UnknownWeigher."""
    names = list(names)
    unknown = sorted(set(names) - set(REGISTRY))
    if unknown:
        raise UnknownWeigher(unknown, list(REGISTRY))
    out = []
    for name in dict.fromkeys(names):
        w = REGISTRY[name]
        value = _option(options, w.option)
        out.append(w if value is None else w.with_multiplier(value))
    return out


def _option(options: Any, name: str) -> float | None:
    if options is None:
        return None
    if isinstance(options, Mapping):
        value = options.get(name)
    else:
        value = getattr(options, name, None)
    return None if value is None else float(value)


__all__ = ["DEFAULT_WEIGHERS", "REGISTRY", "HostWeigher", "WeighFn", "Weigher",
           "load_weighers"]
