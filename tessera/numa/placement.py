"""What the fitter answers: a `Placement`, or a `NoFit` with a reason per host cell."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CellPlacement:
    """Guest cell `guest_cell` on host cell `host_cell`.

    `pins` maps pinned vCPUs to pCPUs. `reserved` are further pCPUs taken from other
    guests without running a vCPU: the idle siblings of cores an `isolate` guest uses.
    `page_size_kb` is the page size backing the cell's memory (the host's smallest
    where no page size was asked for). `floating` vCPUs run on the cell's shared CPUs.
    """

    guest_cell: int
    host_cell: int
    memory_mb: int
    page_size_kb: int
    pins: dict[int, int] = field(default_factory=dict)
    floating: tuple[int, ...] = ()
    reserved: frozenset[int] = frozenset()
    huge_pages: bool = False

    @property
    def vcpus(self) -> tuple[int, ...]:
        return tuple(sorted(tuple(self.pins) + self.floating))


@dataclass(frozen=True)
class Placement:
    """Where a guest goes on one host.

    `cells` is empty for a guest without a NUMA topology: it floats over the host's
    shared CPUs (`floating_vcpus` of them) and takes `memory_mb` from the host as a
    whole; `floating_share` says how much of it each cell accounts for, as
    (host cell, vCPUs, MiB). `emulator_pins` are the pCPUs of an isolated emulator thread, taken from the
    host cell of guest cell 0. `pci` are the chosen devices' addresses.
    """

    host: str
    cells: tuple[CellPlacement, ...]
    emulator_pins: frozenset[int] = frozenset()
    pci: tuple[str, ...] = ()
    floating_vcpus: int = 0
    memory_mb: int = 0
    floating_share: tuple[tuple[int, int, int], ...] = ()

    @property
    def fit(self) -> bool:
        return True

    def to_dict(self) -> dict:
        out: dict = {"fit": True, "host": self.host, "cells": []}
        for c in self.cells:
            cell: dict = {"guest_cell": c.guest_cell, "host_cell": c.host_cell,
                          "vcpus": list(c.vcpus), "memory_mb": c.memory_mb,
                          "page_size_kb": c.page_size_kb}
            if c.pins:
                cell["pins"] = {str(v): p for v, p in sorted(c.pins.items())}
            if c.reserved:
                cell["reserved"] = sorted(c.reserved)
            out["cells"].append(cell)
        if self.emulator_pins:
            out["emulator_pins"] = sorted(self.emulator_pins)
        if self.pci:
            out["pci"] = list(self.pci)
        return out


@dataclass(frozen=True)
class CellReason:
    """Why one host cell cannot take a guest cell (or any guest cell)."""

    host_cell: int | None
    resource: str   # cpu | siblings | memory | pages | pci | topology | host
    message: str

    def __str__(self) -> str:
        if self.host_cell is None:
            return self.message
        return "cell %d: %s" % (self.host_cell, self.message)


@dataclass(frozen=True)
class NoFit:
    """The guest does not fit on `host`; `reasons` say why, host cell by host cell."""

    host: str
    reasons: tuple[CellReason, ...]

    @property
    def fit(self) -> bool:
        return False

    @property
    def reason(self) -> str:
        return "; ".join(str(r) for r in self.reasons) or "does not fit"

    @property
    def resources(self) -> frozenset[str]:
        return frozenset(r.resource for r in self.reasons)

    def to_dict(self) -> dict:
        return {"fit": False, "host": self.host, "reason": self.reason,
                "reasons": [{"host_cell": r.host_cell, "resource": r.resource,
                             "message": r.message} for r in self.reasons]}
