"""`tessera up --driver libvirt` on the real libvirtd (qemu:///system, virt_type qemu):
a pinned server created with the real `openstack` CLI reaches ACTIVE, boots the tiny
guest through `[libvirt] boot_kernel/boot_initrd`, and its pins are the same in the
admin APIs (topology, domain XML) and in `virsh vcpupin`; killed by hand, it is seen
SHUTOFF by the power-state sync."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any


from tests.functional.libvirt_real.conftest import READY, SERIAL, RealLibvirt
from tests.support.tessera_up import tessera_up

pytestmark = SERIAL
BIN = Path(sys.executable).parent

CONF = """\
[DEFAULT]
host = real-aio
state_path = {state}
[compute]
driver = libvirt
cpu_dedicated_set = 0-1
report_interval = 2
sync_power_state_interval = 2
[libvirt]
connection_uri = qemu:///system
virt_type = qemu
boot_kernel = {kernel}
boot_initrd = {initrd}
"""

CLOUDS = """\
clouds:
  tessera:
    auth_type: admin_token
    auth: {{token: "admin:admin", endpoint: "{url}/v2.1"}}
    identity_api_version: 3
    identity_endpoint_override: {url}/identity/v3
    compute_endpoint_override: {url}/v2.1
    image_endpoint_override: {url}/image
"""


def _get(url: str, path: str) -> Any:
    request = urllib.request.Request(url + path, headers={"X-Auth-Token": "admin:admin"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _walk(node: Any) -> Any:
    """Every dict inside a JSON document."""
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def test_server_boots_on_the_real_libvirtd(real: RealLibvirt, tmp_path: Path) -> None:
    openstack = shutil.which("openstack", path=str(BIN)) or shutil.which("openstack")
    assert openstack, "the openstack CLI is installed with the test extra"
    state = real.work / "aio-state"      # reachable by QEMU (console logs)
    conf = tmp_path / "tessera.conf"
    conf.write_text(CONF.format(state=state, kernel=real.kernel, initrd=real.initrd))
    with tessera_up(tmp_path, timeout=120,
                    args=["--driver", "libvirt", "--config-file", str(conf)]) as url:
        (tmp_path / "clouds.yaml").write_text(CLOUDS.format(url=url))
        env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(tmp_path / "clouds.yaml")}
        env.pop("OS_CLOUD", None)

        def cli(*args: str, json_out: bool = True) -> Any:
            fmt = ["-f", "json"] if json_out else []
            done = subprocess.run([openstack, "--os-cloud", "tessera", *args, *fmt],
                                  env=env, capture_output=True, text=True, timeout=180)
            assert done.returncode == 0, done.stderr
            return json.loads(done.stdout) if json_out else done.stdout

        cli("flavor", "create", "--vcpus", "2", "--ram", "256", "--disk", "0",
            "--property", "hw:cpu_policy=dedicated", "tiny.pinned")
        made = cli("server", "create", "--flavor", "tiny.pinned", "--image", "cirros",
                   "--nic", "none", "--wait", "real-vm1")
        assert made["status"] == "ACTIVE", made
        uuid = made["id"]
        shown = cli("server", "show", uuid)
        assert shown["OS-EXT-SRV-ATTR:host"] == "real-aio"
        assert shown["OS-EXT-STS:power_state"] in (1, "Running")

        # The pins Tessera claimed, as the admin topology API shows them ...
        host = _get(url, "/v2.1/os-tessera/topology/real-aio")["host"]
        topology = {str(o["vcpu"]): str(o["cpu"]) for o in _walk(host)
                    if o.get("role") == "pinned" and o.get("guest") == uuid}
        assert sorted(topology.values()) == ["0", "1"], host
        # ... are the ones libvirt holds and QEMU's vCPU threads are bound to.
        xml = _get(url, "/v2.1/os-tessera/servers/%s/domain-xml" % uuid)
        text = json.dumps(xml)
        claimed = dict(re.findall(r"vcpupin vcpu=\\*['\"](\d+)\\*['\"] cpuset=\\*['\"]"
                                  r"(\d+)", text))
        assert claimed == topology, text[:2000]
        name = shown["OS-EXT-SRV-ATTR:instance_name"]   # the domain's name in libvirt
        assert name == "instance-" + uuid
        virsh = subprocess.run(["virsh", "-c", "qemu:///system", "vcpupin", name],
                               capture_output=True, text=True, check=True).stdout
        assert dict(re.findall(r"^\s*(\d+)\s+(\S+)\s*$", virsh, re.M)) == claimed

        log = state / "instances" / uuid / "console.log"
        deadline = time.monotonic() + 90
        while READY not in (log.read_text(errors="replace") if log.exists() else ""):
            assert time.monotonic() < deadline, "the guest did not boot"
            time.sleep(0.5)

        # A guest killed behind Tessera's back is seen as stopped.
        subprocess.run(["virsh", "-c", "qemu:///system", "destroy", name], check=True,
                       capture_output=True)
        deadline = time.monotonic() + 30
        while (status := cli("server", "show", uuid)["status"]) != "SHUTOFF":
            assert time.monotonic() < deadline, status
            time.sleep(1)

        cli("server", "delete", "--wait", uuid, json_out=False)
        gone = subprocess.run(["virsh", "-c", "qemu:///system", "dominfo", name],
                              capture_output=True, text=True)
        assert gone.returncode != 0
