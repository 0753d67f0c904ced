"""Explainable placement: why a guest does not fit here, how many more fit, and who
owns which pCPU.

Public surface: `dry_run` (every filter on every host, with the NUMA fitter's reasons
cell by cell, as `HostVerdict`s of `Blocker`s), `capacity` (how many more guests of a
flavor fit, packed with the scheduler's own fitter and usage accounting),
`host_topology` (each pCPU's owner, pages and devices per cell) and `CloudView`, which
serves all three from a running cloud's databases.
"""

from tessera.explain.capacity import FlavorCapacity, HostCapacity, capacity
from tessera.explain.source import CloudView, UnknownFlavor, UnknownHost, UnknownServer
from tessera.explain.topology import host_topology
from tessera.explain.why import Blocker, HostVerdict, dry_run, recorded, summary

__all__ = ["Blocker", "CloudView", "FlavorCapacity", "HostCapacity", "HostVerdict",
           "UnknownFlavor", "UnknownHost", "UnknownServer", "capacity", "dry_run",
           "host_topology", "recorded", "summary"]
