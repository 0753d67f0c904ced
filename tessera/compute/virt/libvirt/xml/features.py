"""`<features>` (ACPI, APIC, Hyper-V enlightenments) and `<clock>` (reference §7).

Windows guests get Kilo's enlightenments (relaxed, vapic, spinlocks with 8191
retries), a localtime clock and, on KVM, the hypervclock timer."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from tessera.compute.virt.libvirt.xml.base import sub


@dataclass(frozen=True)
class HyperV:
    relaxed: bool = True
    vapic: bool = True
    spinlock_retries: int | None = 8191


@dataclass(frozen=True)
class Features:
    acpi: bool = True
    apic: bool = True
    hyperv: HyperV | None = None

    def element(self) -> ET.Element | None:
        if not (self.acpi or self.apic or self.hyperv):
            return None
        feats = ET.Element("features")
        if self.acpi:
            sub(feats, "acpi")
        if self.apic:
            sub(feats, "apic")
        hv = self.hyperv
        if hv is not None:
            elem = sub(feats, "hyperv")
            if hv.relaxed:
                sub(elem, "relaxed", state="on")
            if hv.vapic:
                sub(elem, "vapic", state="on")
            if hv.spinlock_retries:
                sub(elem, "spinlocks", state="on", retries=hv.spinlock_retries)
        return feats


@dataclass(frozen=True)
class Clock:
    """`kvm_timers` adds the timers Nova sets on KVM: pit, rtc, hpet off, and
    hypervclock for Windows."""

    offset: str = "utc"
    kvm_timers: bool = False
    hypervclock: bool = False

    def element(self) -> ET.Element:
        clock = ET.Element("clock", offset=self.offset)
        if self.kvm_timers:
            sub(clock, "timer", name="pit", tickpolicy="delay")
            sub(clock, "timer", name="rtc", tickpolicy="catchup")
            sub(clock, "timer", name="hpet", present="no")
        if self.hypervclock:
            sub(clock, "timer", name="hypervclock", present="yes")
        return clock
