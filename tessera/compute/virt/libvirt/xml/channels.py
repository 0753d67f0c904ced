"""The QEMU guest agent's `<channel>` (reference §8.2), added when the image sets
`hw_qemu_guest_agent`; libvirt talks to the agent through it (freeze/thaw)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from tessera.compute.virt.libvirt.xml.base import sub

AGENT_NAME = "org.qemu.guest_agent.0"


@dataclass(frozen=True)
class AgentChannel:
    domain_name: str
    socket_dir: str = "/var/lib/libvirt/qemu"

    @property
    def path(self) -> str:
        return "%s/%s.%s.sock" % (self.socket_dir, AGENT_NAME, self.domain_name)

    def element(self) -> ET.Element:
        channel = ET.Element("channel", type="unix")
        sub(channel, "source", mode="bind", path=self.path)
        sub(channel, "target", type="virtio", name=AGENT_NAME)
        return channel
