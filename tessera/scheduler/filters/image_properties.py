"""ImagePropertiesFilter: the host's hypervisor can run the image.

Image properties read (current name first, then the legacy one Nova still honours):
`img_hv_type` / `hypervisor_type`, `hw_architecture` / `architecture`,
`hw_vm_mode` / `vm_mode`, `img_hv_requested_version` (`">=6.0"`: an operator and a
version, compared with the host's `hypervisor_version`, encoded like Nova's
major*1e6 + minor*1e3 + micro), and `os_type=windows`, which needs a hypervisor that
runs Windows guests. Names are canonicalised as Nova does (`amd64` is `x86_64`, `hv`
is `hvm`, `pv` is `xen`).

The host side is derived from `ComputeNode.hypervisor_type`: the fake driver and
libvirt's qemu/kvm run x86_64 hvm guests (kvm also qemu ones). ComputeNode has no
`supported_instances` (or CPU architecture) field yet; with one, a driver could
report more than this default.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from tessera.objects import ComputeNode, HostState, RequestSpec
from tessera.scheduler.filters.base import FilterContext, HostFilter

HOST_ARCH = "x86_64"
WINDOWS_HYPERVISORS = frozenset({"fake", "qemu", "kvm", "hyperv"})
_ARCH = {"amd64": "x86_64", "x64": "x86_64", "x86_64": "x86_64", "i386": "i686",
         "i486": "i686", "i586": "i686", "x86": "i686", "arm64": "aarch64"}
_MODE = {"hv": "hvm", "baremetal": "hvm", "pv": "xen"}
_HV = {"xapi": "xen"}
_OPS: dict[str, Callable[[int, int], bool]] = {
    ">=": operator.ge, "<=": operator.le, "==": operator.eq, "!=": operator.ne,
    ">": operator.gt, "<": operator.lt, "=": operator.ge}


def supported_instances(cn: ComputeNode) -> list[tuple[str, str, str]]:
    """(architecture, hypervisor type, vm mode) the host runs."""
    hv = cn.hypervisor_type.lower()
    types = [hv, "qemu"] if hv == "kvm" else [hv]
    return [(HOST_ARCH, t, "hvm") for t in types]


def version_to_int(text: str) -> int:
    parts = [int(p) for p in text.strip().split(".")[:3]]
    parts += [0] * (3 - len(parts))
    return parts[0] * 1000000 + parts[1] * 1000 + parts[2]


def _prop(props: dict[str, Any], *names: str) -> str | None:
    for name in names:
        value = props.get(name)
        if value not in (None, ""):
            return str(value).lower()
    return None


def _version_ok(required: str, have: int) -> bool | None:
    """None when `required` does not parse."""
    text = required.strip()
    for op in sorted(_OPS, key=len, reverse=True):
        if text.startswith(op):
            text, fn = text[len(op):], _OPS[op]
            break
    else:
        fn = operator.eq
    try:
        return fn(have, version_to_int(text))
    except (ValueError, IndexError):
        return None


def _check(host: HostState, spec: RequestSpec, ctx: FilterContext) -> str | None:
    props = spec.image.properties
    if not props:
        return None
    cn = host.compute_node
    arch = _prop(props, "hw_architecture", "architecture")
    hv = _prop(props, "img_hv_type", "hypervisor_type")
    mode = _prop(props, "hw_vm_mode", "vm_mode")
    want = (_ARCH.get(arch, arch) if arch else None, _HV.get(hv, hv) if hv else None,
            _MODE.get(mode, mode) if mode else None)
    supported = supported_instances(cn)
    if any(want) and not any(all(w is None or w == s for w, s in zip(want, sup))
                             for sup in supported):
        asked = ", ".join("%s=%s" % kv for kv in zip(("architecture", "hypervisor_type",
                                                       "vm_mode"), want) if kv[1])
        offers = "; ".join("%s/%s/%s" % s for s in supported)
        return "image asks for %s; host %s runs %s" % (asked, host.host, offers)
    required = props.get("img_hv_requested_version")
    if required:
        ok = _version_ok(str(required), cn.hypervisor_version)
        if not ok:
            return "image asks for hypervisor version %s, host has %s (%d)%s" % (
                required, cn.hypervisor_type, cn.hypervisor_version,
                "" if ok is not None else " and the requirement does not parse")
    if _prop(props, "os_type") == "windows" and cn.hypervisor_type.lower() \
            not in WINDOWS_HYPERVISORS:
        return "image has os_type=windows; hypervisor %s does not run Windows guests (%s do)" % (
            cn.hypervisor_type, ", ".join(sorted(WINDOWS_HYPERVISORS)))
    return None


FILTER = HostFilter("ImagePropertiesFilter", _check)
