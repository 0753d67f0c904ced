"""The filter interface and the per-request context filters read.

A filter answers one question about one host: can it take this request? `check`
returns None when it can, else a reason a person can act on ("3072 MiB of RAM free
(ratio 1.0), the flavor needs 4096 MiB"). Filters never change the spec or the host:
anything they learn that the selector reuses (the NUMA placement) goes into the
`FilterContext`, a scratch object that lives for one `select_destinations` call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from tessera.numa.fit import Strategy, fit
from tessera.numa.placement import NoFit, Placement
from tessera.objects import HostState, RequestSpec

DEFAULT_AVAILABILITY_ZONE = "nova"


@dataclass
class FilterContext:
    """What filters may read besides the host and the spec.

    `strategy`: pack or spread, for the NUMA fitter. `placements`: the fitter's
    answer per compute node uuid, written by the NUMA filter (or by the selector when
    that filter is not enabled), so the Selection carries the very placement the
    filter approved; the selector drops a host's entry when it consumes the host.
    Read it through `numa_answer` / `placement_for`; `by_shape` backs them.
    `chosen_hosts`: hosts already picked for earlier instances of this request.
    `hint_hosts`: for each instance uuid named in a same_host / different_host hint,
    the host that runs it (absent: on no known host).
    """

    strategy: Strategy = Strategy.SPREAD
    placements: dict[str, Placement | NoFit] = field(default_factory=dict)
    chosen_hosts: list[str] = field(default_factory=list)
    hint_hosts: Mapping[str, str] = field(default_factory=dict)
    by_shape: dict[tuple, Placement | NoFit] = field(default_factory=dict)

    @classmethod
    def for_request(cls, spec: RequestSpec, hosts: Sequence[HostState],
                    strategy: Strategy = Strategy.SPREAD) -> "FilterContext":
        """A fresh context, with the hosts of the instances named in hints looked up."""
        named = {u for key in ("same_host", "different_host")
                 for u in spec.scheduler_hints.get(key, ())}
        where: dict[str, str] = {}
        if named:
            for h in hosts:
                for u in named & h.instance_uuids:
                    where[u] = h.host
        return cls(strategy=strategy, hint_hosts=where)


class Filter(Protocol):
    """A host filter: `check` is None when the host passes, else why it does not."""

    @property
    def name(self) -> str: ...

    def check(self, host: HostState, spec: RequestSpec,
              ctx: FilterContext) -> str | None: ...


CheckFn = Callable[[HostState, RequestSpec, FilterContext], "str | None"]


@dataclass(frozen=True)
class HostFilter:
    """A filter made of a name and a plain check function (how the built-ins are
    written: one module, one function, one `HostFilter`)."""

    name: str
    check: CheckFn


def numa_answer(host: HostState, spec: RequestSpec, ctx: FilterContext) -> Placement | NoFit:
    """Whether `spec` fits `host`'s NUMA cells: the fitter's answer, computed once per
    host state and shared between hosts of the same shape.

    Hosts of one hardware model in the same state (a fresh rack, hosts running the
    same guests) get the same answer: the fitter reads only a host's cells, devices
    and ratios, and its name only to label the answer. So answers are kept per shape,
    which spares most fits in a homogeneous cloud. The answer may therefore carry
    another host's name: read `fit` and `reason` from it, and take the placement itself
    from `placement_for`.
    """
    key = host.compute_node.uuid
    answer = ctx.placements.get(key)
    if answer is None:
        numa = host.compute_node.numa
        shape = (numa.cells, numa.pci, numa.cpu_allocation_ratio, numa.ram_allocation_ratio)
        answer = ctx.by_shape.get(shape)
        if answer is None:
            answer = fit(numa, spec.numa_topology, ctx.strategy)
            ctx.by_shape[shape] = answer
        ctx.placements[key] = answer
    return answer


def placement_for(host: HostState, spec: RequestSpec, ctx: FilterContext) -> Placement | NoFit:
    """The fitter's answer for `spec` on `host`, labelled with this host's name."""
    answer = numa_answer(host, spec, ctx)
    name = host.compute_node.numa.name
    if answer.host == name:
        return answer
    if isinstance(answer, NoFit):
        answer = NoFit(name, answer.reasons)
    else:
        answer = Placement(host=name, cells=answer.cells, emulator_pins=answer.emulator_pins,
                           pci=answer.pci, floating_vcpus=answer.floating_vcpus,
                           memory_mb=answer.memory_mb, floating_share=answer.floating_share)
    ctx.placements[host.compute_node.uuid] = answer
    return answer


def floating_vcpus(spec: RequestSpec) -> int:
    """vCPUs of the request that float over shared CPUs (all of a shared guest's, the
    unpinned ones of a mixed guest, none of a dedicated guest's)."""
    topo = spec.numa_topology
    if topo.cells is None:
        return 0 if topo.pinned else spec.vcpus
    return sum(len(c.floating) for c in topo.cells)


def disk_mb(spec: RequestSpec) -> int:
    """Local disk the request takes, in MiB: root (unless booted from volume),
    ephemeral and swap, as Nova's DiskFilter counts it."""
    root = 0 if spec.is_bfv else spec.flavor.root_gb
    return 1024 * (root + spec.flavor.ephemeral_gb) + spec.flavor.swap

