"""The weigher interface: a name, a multiplier, and a raw number per host.

A weigher only measures (free RAM, free vCPUs, free pCPUs); it does not rank. The
selector normalises each weigher's values over the candidate hosts to [0, 1], as
Nova does, multiplies them by the weigher's multiplier (and by -1 under the `pack`
strategy) and sums them. `option` names the configuration option of the multiplier.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from tessera.objects import HostState, RequestSpec


class Weigher(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def multiplier(self) -> float: ...

    def weigh(self, host: HostState, spec: RequestSpec) -> float: ...


WeighFn = Callable[[HostState, RequestSpec], float]


@dataclass(frozen=True)
class HostWeigher:
    """A weigher made of a name, its multiplier's option name and a plain function."""

    name: str
    option: str
    weigh: WeighFn
    multiplier: float = 1.0

    def with_multiplier(self, multiplier: float) -> "HostWeigher":
        return replace(self, multiplier=float(multiplier))
