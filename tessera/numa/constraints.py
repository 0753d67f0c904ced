"""Turn a flavor and an image into a `GuestRequest`, rejecting every invalid or
conflicting value with an `InvalidRequest` that names the key, the value and what is
allowed.

The rules are Nova's (reference §1.4-1.5, 1.8-1.9, 2.1-2.2, 3.1-3.2, 4.2), plus the
seed's thread-policy key `hw:cpu_threads_policy` (`avoid|separate|isolate|prefer`). When
the flavor sets the seed key, it alone decides, as the seed says an image thread policy
counts only when the flavor sets none; a flavor or an image that sets both thread-policy
keys is rejected. Keys this module does not know are ignored here; the flavor API calls
`validate_extra_specs` to reject unknown `hw:` keys up front.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, fields
from enum import Enum
from typing import Any, NoReturn, TypeVar

from tessera.numa import errors as e
from tessera.numa.cpuspec import format_cpu_spec, parse_vcpu_mask
from tessera.numa.pagesize import parse_page_size, resolve_page_size
from tessera.numa.request import (CpuPolicy, EmulatorThreadsPolicy, GuestCell,
                                  GuestRequest, PciNumaPolicy, PciRequest,
                                  ThreadPolicy)

MAX_NUMA_NODES = 128
_NOVA_THREAD = (ThreadPolicy.PREFER, ThreadPolicy.ISOLATE, ThreadPolicy.REQUIRE)
_SEED_THREAD = (ThreadPolicy.AVOID, ThreadPolicy.SEPARATE, ThreadPolicy.ISOLATE,
                ThreadPolicy.PREFER)
_TRUE = frozenset({"yes", "true", "1", "on"})
_FALSE = frozenset({"no", "false", "0", "off"})
_PINNED = (CpuPolicy.DEDICATED, CpuPolicy.MIXED)
_NEED_PINNING = "unset unless hw:cpu_policy is dedicated or mixed"

KNOWN_HW_KEYS: frozenset[str] = frozenset(
    {"hw:cpu_policy", "hw:cpu_thread_policy", "hw:cpu_threads_policy",
     "hw:emulator_threads_policy", "hw:cpu_realtime", "hw:cpu_realtime_mask",
     "hw:cpu_dedicated_mask", "hw:numa_nodes", "hw:mem_page_size",
     "hw:pci_numa_affinity_policy"}
    | {"hw:numa_%s.%d" % (k, i) for k in ("cpus", "mem") for i in range(MAX_NUMA_NODES)})
KNOWN_IMAGE_KEYS: frozenset[str] = frozenset(
    {"hw_cpu_policy", "hw_cpu_thread_policy", "hw_cpu_threads_policy",
     "hw_cpu_realtime_mask", "hw_numa_nodes", "hw_mem_page_size",
     "hw_pci_numa_affinity_policy"}
    | {"hw_numa_%s.%d" % (k, i) for k in ("cpus", "mem") for i in range(MAX_NUMA_NODES)})

E = TypeVar("E", bound=Enum)


@dataclass(frozen=True)
class _Inputs:
    """The flavor and image, read once; `source` labels errors with their names."""

    vcpus: int
    memory_mb: int
    specs: Mapping[str, Any]
    props: Mapping[str, Any]
    flavor_name: str | None = None
    image_name: str | None = None

    def get(self, key: str) -> Any:
        return self.props.get(key) if key.startswith("hw_") else self.specs.get(key)

    def source(self, key: str | None) -> str | None:
        if key is not None and key.startswith("hw_"):
            return "image %r" % self.image_name if self.image_name else None
        return "flavor %r" % self.flavor_name if self.flavor_name else None

    @property
    def all_vcpus(self) -> frozenset[int]:
        return frozenset(range(self.vcpus))


def _fail(cls: type[e.InvalidRequest], inp: _Inputs | None, key: str | None,
          value: Any, allowed: str) -> NoReturn:
    raise cls(key, value, allowed, inp.source(key) if inp else None)


# -- value parsers shared by build_request and validate_extra_specs -----------------

def _enum(value: Any, key: str, choices: Iterable[E], cls: type[e.InvalidRequest],
          inp: _Inputs | None = None) -> E | None:
    if value is None:
        return None
    by_value = {c.value: c for c in choices}
    if not isinstance(value, str) or value not in by_value:
        _fail(cls, inp, key, value, "one of " + ", ".join(by_value))
    return by_value[value]


def _bool(value: Any, key: str, inp: _Inputs | None = None) -> bool:
    text = str(value).strip().lower() if value is not None else "no"
    if text not in _TRUE | _FALSE:
        _fail(e.RealtimeConfigurationInvalid, inp, key, value,
              "a boolean: yes, true, 1, on, no, false, 0 or off")
    return text in _TRUE


def _int(value: Any, key: str, lo: int, hi: int | None, cls: type[e.InvalidRequest],
         inp: _Inputs | None = None) -> int:
    text = value.strip() if isinstance(value, str) else value
    ok = (isinstance(text, int) and not isinstance(text, bool)) or (
        isinstance(text, str) and text.isascii() and text.isdigit())
    number = int(text) if ok else None
    if number is None or number < lo or (hi is not None and number > hi):
        span = "an integer >= %d" % lo if hi is None else "an integer in %d-%d" % (lo, hi)
        _fail(cls, inp, key, value, span)
    return number


def _mask(text: Any, key: str, vcpus: int | None, inp: _Inputs | None = None
          ) -> frozenset[int]:
    try:
        return parse_vcpu_mask(text, vcpus, key)
    except e.InvalidCPUSpec as exc:
        _fail(e.InvalidCPUSpec, inp, key, text, exc.allowed)


# -- CPU policies ---------------------------------------------------------------------

def _cpu_policy(inp: _Inputs) -> CpuPolicy:
    """Reference §1.4: the flavor decides; the image may only fill in when it is unset."""
    flavor = _enum(inp.get("hw:cpu_policy"), "hw:cpu_policy", CpuPolicy,
                   e.InvalidCPUAllocationPolicy, inp)
    image = _enum(inp.get("hw_cpu_policy"), "hw_cpu_policy", CpuPolicy,
                  e.InvalidCPUAllocationPolicy, inp)
    forbidden = {CpuPolicy.MIXED: (CpuPolicy.DEDICATED,),
                 CpuPolicy.SHARED: (CpuPolicy.DEDICATED, CpuPolicy.MIXED)}
    if flavor is None:
        return image or CpuPolicy.SHARED
    if image in forbidden.get(flavor, ()):
        _fail(e.ImageCPUPinningForbidden, inp, "hw_cpu_policy", image.value,
              "unset or one of %s when the flavor's hw:cpu_policy is %s"
              % (", ".join(p.value for p in CpuPolicy if p not in forbidden[flavor]),
                 flavor.value))
    return flavor


def _thread_choice(inp: _Inputs, key: str, seed_key: str
                   ) -> tuple[str, ThreadPolicy] | None:
    value, seed_value = inp.get(key), inp.get(seed_key)
    if value is not None and seed_value is not None:
        _fail(e.ConflictingThreadPolicies, inp, seed_key, seed_value,
              "unset when %s is set (%r); give only one thread policy" % (key, value))
    for k, v, choices in ((key, value, _NOVA_THREAD), (seed_key, seed_value, _SEED_THREAD)):
        policy = _enum(v, k, choices, e.InvalidCPUThreadAllocationPolicy, inp)
        if policy is not None:
            return k, policy
    return None


def _thread_policy(inp: _Inputs, cpu_policy: CpuPolicy
                   ) -> tuple[ThreadPolicy | None, str | None]:
    flavor = _thread_choice(inp, "hw:cpu_thread_policy", "hw:cpu_threads_policy")
    image = _thread_choice(inp, "hw_cpu_thread_policy", "hw_cpu_threads_policy")
    chosen = _merge_thread(inp, flavor, image)
    if chosen is None:
        return None, None
    key, policy = chosen
    if cpu_policy not in _PINNED:
        _fail(e.CPUThreadPolicyConfigurationInvalid, inp, key, policy.value, _NEED_PINNING)
    return policy, key


def _merge_thread(inp: _Inputs, flavor: tuple[str, ThreadPolicy] | None,
                  image: tuple[str, ThreadPolicy] | None
                  ) -> tuple[str, ThreadPolicy] | None:
    """Reference §1.4: `prefer` in the flavor lets the image be ignored; `isolate` and
    `require` forbid a different image value. Seed keys: the image counts only when the
    flavor sets no thread policy."""
    if flavor is None:
        return image
    if image is None or flavor[0] == "hw:cpu_threads_policy" \
            or image[0] == "hw_cpu_threads_policy":
        return flavor
    if flavor[1] in (ThreadPolicy.ISOLATE, ThreadPolicy.REQUIRE) and image != (
            "hw_cpu_thread_policy", flavor[1]):
        _fail(e.ImageCPUThreadPolicyForbidden, inp, image[0], image[1].value,
              "unset or %s, as the flavor's hw:cpu_thread_policy" % flavor[1].value)
    return flavor


def _emulator_policy(inp: _Inputs, cpu_policy: CpuPolicy) -> EmulatorThreadsPolicy | None:
    key = "hw:emulator_threads_policy"
    policy = _enum(inp.get(key), key, EmulatorThreadsPolicy,
                   e.InvalidEmulatorThreadsPolicy, inp)
    if policy is EmulatorThreadsPolicy.ISOLATE and cpu_policy not in _PINNED:
        _fail(e.BadRequirementEmulatorThreadsPolicy, inp, key, policy.value,
              "share or unset unless hw:cpu_policy is dedicated or mixed")
    return policy


def _realtime(inp: _Inputs, cpu_policy: CpuPolicy,
              emulator: EmulatorThreadsPolicy | None) -> tuple[str, frozenset[int]] | None:
    """Reference §1.5/1.9: the realtime vCPUs and the key they came from, or None."""
    key = "hw_cpu_realtime_mask" if inp.get("hw_cpu_realtime_mask") is not None \
        else "hw:cpu_realtime_mask"
    text = inp.get(key)
    if text is not None:
        _mask(text, key, None, inp)
    enabled_value = inp.get("hw:cpu_realtime")
    if not _bool(enabled_value, "hw:cpu_realtime", inp):
        return None
    if cpu_policy not in _PINNED:
        _fail(e.RealtimeConfigurationInvalid, inp, "hw:cpu_realtime", enabled_value,
              "off unless hw:cpu_policy is dedicated or mixed")
    if text is None:
        realtime, key = inp.all_vcpus, "hw:cpu_realtime"
    else:
        realtime = _mask(text, key, inp.vcpus, inp)
    if not realtime or not realtime <= inp.all_vcpus:
        _fail(e.RealtimeMaskNotFoundOrInvalid, inp, key, text,
              "a non-empty set of vCPUs within 0-%d" % (inp.vcpus - 1))
    if realtime == inp.all_vcpus and emulator is None:
        _fail(e.RealtimeMaskNotFoundOrInvalid, inp, key, text or enabled_value,
              "a realtime mask leaving at least one vCPU non-realtime, unless "
              "hw:emulator_threads_policy is set")
    return key, realtime


def _pinned_vcpus(inp: _Inputs, cpu_policy: CpuPolicy,
                  realtime: tuple[str, frozenset[int]] | None) -> frozenset[int]:
    """Reference §1.2/1.5: which vCPUs are pinned (for `mixed`, exactly one mask)."""
    key = "hw:cpu_dedicated_mask"
    text = inp.get(key)
    if cpu_policy is not CpuPolicy.MIXED:
        if text is not None:
            _fail(e.RequiredMixedInstancePolicy, inp, key, text,
                  "unset unless hw:cpu_policy is mixed")
        return inp.all_vcpus if cpu_policy is CpuPolicy.DEDICATED else frozenset()
    if (text is None) == (realtime is None):
        _fail(e.RequiredMixedOrRealtimeCPUMask, inp, key, text,
              "given, or else hw:cpu_realtime with a realtime mask, but not both, "
              "when hw:cpu_policy is mixed")
    if realtime is not None:
        key, pinned = realtime
        text = inp.get(key)
    else:
        pinned = _mask(text, key, inp.vcpus, inp)
    if not pinned or pinned >= inp.all_vcpus or not pinned <= inp.all_vcpus:
        _fail(e.InvalidMixedInstanceDedicatedMask, inp, key, text,
              "a set of vCPUs within 0-%d leaving at least one pinned and one shared"
              % (inp.vcpus - 1))
    return pinned


# -- NUMA topology --------------------------------------------------------------------

def _numa_nodes(inp: _Inputs) -> tuple[str, int] | None:
    flavor, image = inp.get("hw:numa_nodes"), inp.get("hw_numa_nodes")
    if flavor is not None and image is not None:
        _fail(e.ImageNUMATopologyForbidden, inp, "hw_numa_nodes", image,
              "unset when the flavor sets hw:numa_nodes (%r)" % flavor)
    key = "hw:numa_nodes" if flavor is not None else "hw_numa_nodes"
    value = inp.get(key)
    if value is None:
        return None
    return key, _int(value, key, 1, min(inp.vcpus, MAX_NUMA_NODES),
                     e.InvalidNUMANodesNumber, inp)


_Entries = tuple[str, list[Any]]


def _node_entries(inp: _Inputs, name: str) -> _Entries | None:
    """Per-node values of `hw:numa_<name>.N` or its image twin: `(prefix, values)`,
    read from node 0 up to the first gap (reference §2.1)."""
    flavor, image = _indexed(inp.specs, "hw:numa_%s." % name), \
        _indexed(inp.props, "hw_numa_%s." % name)
    if flavor and image:
        first = min(image)
        _fail(e.ImageNUMATopologyForbidden, inp, "hw_numa_%s.%d" % (name, first),
              image[first], "unset when the flavor sets hw:numa_%s.N" % name)
    prefix, found = ("hw:numa_%s." % name, flavor) if flavor else \
        ("hw_numa_%s." % name, image)
    if not found:
        return None
    values: list[Any] = []
    while len(values) in found:
        values.append(found[len(values)])
    return prefix, values


def _indexed(mapping: Mapping[str, Any], prefix: str) -> dict[int, Any]:
    pattern = re.compile(re.escape(prefix) + r"(0|[1-9][0-9]{0,2})")
    out = {}
    for key, value in mapping.items():
        match = pattern.fullmatch(key)
        if match and int(match.group(1)) < MAX_NUMA_NODES:
            out[int(match.group(1))] = value
    return out


def _cells(inp: _Inputs, nodes: tuple[str, int] | None, pinned: frozenset[int],
           cpus: _Entries | None, mems: _Entries | None) -> tuple[GuestCell, ...]:
    nodes = nodes or ("hw:numa_nodes", 1)
    if cpus is None and mems is None:
        layout = _auto_layout(inp, *nodes)
    else:
        layout = _manual_layout(inp, nodes[1], cpus, mems)
    return tuple(GuestCell(id=i, pinned=tuple(sorted(c & pinned)),
                           floating=tuple(sorted(c - pinned)), memory_mb=m)
                 for i, (c, m) in enumerate(layout))


def _auto_layout(inp: _Inputs, key: str, nodes: int) -> list[tuple[frozenset[int], int]]:
    if inp.vcpus % nodes or inp.memory_mb % nodes:
        _fail(e.ImageNUMATopologyAsymmetric, inp, key, nodes,
              "a divisor of both vcpus (%d) and memory_mb (%d), or give "
              "hw:numa_cpus.N and hw:numa_mem.N" % (inp.vcpus, inp.memory_mb))
    step = inp.vcpus // nodes
    return [(frozenset(range(i * step, (i + 1) * step)), inp.memory_mb // nodes)
            for i in range(nodes)]


def _manual_layout(inp: _Inputs, nodes: int, cpus: _Entries | None,
                   mems: _Entries | None) -> list[tuple[frozenset[int], int]]:
    side = (cpus or mems)[0].split("numa_")[0]  # type: ignore[index]
    for name, entries in (("cpus", cpus), ("mem", mems)):
        if entries is None or len(entries[1]) != nodes:
            prefix = entries[0] if entries else "%snuma_%s." % (side, name)
            given = sorted(k for k in (inp.props if prefix[2] == "_" else inp.specs)
                           if k.startswith(prefix))
            _fail(e.ImageNUMATopologyIncomplete, inp, prefix + "N", given,
                  "given for each node 0-%d and no other (%d NUMA nodes), together "
                  "with the other per-node list" % (nodes - 1, nodes))
    assert cpus is not None and mems is not None
    return list(zip(_node_cpus(inp, *cpus), _node_mems(inp, *mems)))


def _node_cpus(inp: _Inputs, prefix: str, texts: list[Any]) -> list[frozenset[int]]:
    seen: set[int] = set()
    out = []
    for i, text in enumerate(texts):
        key = "%s%d" % (prefix, i)
        cpus = _mask(text, key, None, inp)
        if not cpus <= inp.all_vcpus:
            _fail(e.ImageNUMATopologyCPUOutOfRange, inp, key, text,
                  "vCPUs within 0-%d" % (inp.vcpus - 1))
        if cpus & seen:
            _fail(e.ImageNUMATopologyCPUDuplicates, inp, key, text,
                  "vCPUs not listed in another node (%s are)"
                  % format_cpu_spec(cpus & seen))
        seen |= cpus
        out.append(cpus)
    if seen != inp.all_vcpus:
        _fail(e.ImageNUMATopologyCPUsUnassigned, inp, prefix + "N",
              format_cpu_spec(inp.all_vcpus - seen),
              "empty: every vCPU 0-%d must be in a node" % (inp.vcpus - 1))
    return out


def _node_mems(inp: _Inputs, prefix: str, values: list[Any]) -> list[int]:
    mems = [_int(v, "%s%d" % (prefix, i), 1, None, e.ImageNUMATopologyMemoryOutOfRange,
                 inp) for i, v in enumerate(values)]
    if sum(mems) != inp.memory_mb:
        _fail(e.ImageNUMATopologyMemoryOutOfRange, inp, prefix + "N", sum(mems),
              "a total equal to the flavor's memory_mb (%d)" % inp.memory_mb)
    return mems


# -- PCI ------------------------------------------------------------------------------

def _pci_policy(inp: _Inputs) -> PciNumaPolicy:
    flavor_key, image_key = "hw:pci_numa_affinity_policy", "hw_pci_numa_affinity_policy"
    flavor = _enum(inp.get(flavor_key), flavor_key, PciNumaPolicy,
                   e.InvalidPCINUMAAffinity, inp)
    image = _enum(inp.get(image_key), image_key, PciNumaPolicy,
                  e.InvalidPCINUMAAffinity, inp)
    if flavor and image and flavor is not image:
        _fail(e.ImagePCINUMAPolicyForbidden, inp, image_key, image.value,
              "unset or %s, as the flavor's %s" % (flavor.value, flavor_key))
    return flavor or image or PciNumaPolicy.LEGACY


_PCI_FIELDS = tuple(f.name for f in fields(PciRequest))


def _pci_request(item: PciRequest | Mapping[str, Any]) -> PciRequest:
    if isinstance(item, Mapping):
        for key in item:
            if key not in _PCI_FIELDS:
                _fail(e.InvalidRequest, None, key, item[key],
                      "a PCI request field: " + ", ".join(_PCI_FIELDS))
        item = PciRequest(**item)
    if not isinstance(item, PciRequest):
        _fail(e.InvalidRequest, None, "pci_requests", item,
              "PciRequest objects or mappings of their fields")
    if not isinstance(item.count, int) or isinstance(item.count, bool) or item.count < 1:
        _fail(e.InvalidRequest, None, "count", item.count, "an integer >= 1")
    return item


# -- public ---------------------------------------------------------------------------

def build_request(flavor: Mapping[str, Any], image: Mapping[str, Any] | None = None,
                  pci_requests: Iterable[PciRequest | Mapping[str, Any]] = ()
                  ) -> GuestRequest:
    """The placement constraints of a guest booted from `flavor` and `image`."""
    inp = _read(flavor, image or {})
    cpu_policy = _cpu_policy(inp)
    thread_policy, thread_key = _thread_policy(inp, cpu_policy)
    emulator = _emulator_policy(inp, cpu_policy)
    realtime = _realtime(inp, cpu_policy, emulator)
    pinned = _pinned_vcpus(inp, cpu_policy, realtime)
    nodes = _numa_nodes(inp)
    cpus, mems = _node_entries(inp, "cpus"), _node_entries(inp, "mem")
    page_size = resolve_page_size(inp.get("hw:mem_page_size"),
                                  inp.get("hw_mem_page_size"),
                                  inp.source("hw:"), inp.source("hw_"))
    needs_topology = nodes is not None or page_size is not None or cpu_policy in _PINNED
    return GuestRequest(
        vcpus=inp.vcpus, memory_mb=inp.memory_mb, cpu_policy=cpu_policy,
        thread_policy=thread_policy, thread_policy_key=thread_key,
        emulator_threads=emulator,
        cells=_cells(inp, nodes, pinned, cpus, mems) if needs_topology else None,
        page_size=page_size, pci_policy=_pci_policy(inp),
        pci_requests=tuple(_pci_request(r) for r in pci_requests),
        realtime_vcpus=realtime[1] if realtime else frozenset())


def _read(flavor: Mapping[str, Any], image: Mapping[str, Any]) -> _Inputs:
    specs = flavor.get("extra_specs") or {}
    props = image.get("properties") or {}
    partial = _Inputs(0, 0, specs, props, flavor.get("name"), image.get("name"))
    vcpus = _int(flavor.get("vcpus"), "vcpus", 1, None, e.InvalidRequest, partial)
    memory_mb = _int(flavor.get("memory_mb"), "memory_mb", 1, None, e.InvalidRequest,
                     partial)
    return _Inputs(vcpus, memory_mb, specs, props, flavor.get("name"), image.get("name"))


def _check_numa_key(key: str, value: Any) -> bool:
    match = re.fullmatch(r"hw:numa_(cpus|mem)\.(0|[1-9][0-9]{0,2})", key)
    if match is None or int(match.group(2)) >= MAX_NUMA_NODES:
        return False
    if match.group(1) == "cpus":
        _mask(value, key, None)
    else:
        _int(value, key, 1, None, e.ImageNUMATopologyMemoryOutOfRange)
    return True


_VALIDATORS: dict[str, Any] = {
    "hw:cpu_policy": lambda k, v: _enum(v, k, CpuPolicy, e.InvalidCPUAllocationPolicy),
    "hw:cpu_thread_policy": lambda k, v: _enum(
        v, k, _NOVA_THREAD, e.InvalidCPUThreadAllocationPolicy),
    "hw:cpu_threads_policy": lambda k, v: _enum(
        v, k, _SEED_THREAD, e.InvalidCPUThreadAllocationPolicy),
    "hw:emulator_threads_policy": lambda k, v: _enum(
        v, k, EmulatorThreadsPolicy, e.InvalidEmulatorThreadsPolicy),
    "hw:cpu_realtime": lambda k, v: _bool(v, k),
    "hw:cpu_realtime_mask": lambda k, v: _mask(v, k, None),
    "hw:cpu_dedicated_mask": lambda k, v: _mask(v, k, None),
    "hw:numa_nodes": lambda k, v: _int(v, k, 1, MAX_NUMA_NODES, e.InvalidNUMANodesNumber),
    "hw:mem_page_size": lambda k, v: parse_page_size(v, k),
    "hw:pci_numa_affinity_policy": lambda k, v: _enum(
        v, k, PciNumaPolicy, e.InvalidPCINUMAAffinity),
}


def validate_extra_specs(specs: Mapping[str, Any], also_known: Collection[str] = ()
                         ) -> None:
    """Check each `hw:` extra spec on its own, as Nova's flavor API does from
    microversion 2.86: value syntax, and no unknown `hw:` key (keys in `also_known`,
    and the seed's `hw:cpu_threads_policy`, are accepted). Cross-key rules need the
    flavor's size and the image, so they wait for `build_request`."""
    for key, value in specs.items():
        if not key.startswith("hw:") or key in also_known:
            continue
        if key in _VALIDATORS:
            _VALIDATORS[key](key, value)
        elif not _check_numa_key(key, value):
            _fail(e.InvalidRequest, None, key, value,
                  "a known hw: extra spec (%s, hw:numa_cpus.N, hw:numa_mem.N)"
                  % ", ".join(sorted(_VALIDATORS)))


__all__ = ["KNOWN_HW_KEYS", "KNOWN_IMAGE_KEYS", "MAX_NUMA_NODES", "build_request",
           "validate_extra_specs"]
