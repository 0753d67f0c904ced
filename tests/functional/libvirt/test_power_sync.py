"""Power-state sync on the libvirt driver (test driver): a guest stopped or started
behind Tessera's back is noticed by the compute's periodic task
(`[compute] sync_power_state_interval`)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from tessera.conf import make_conf
from tessera.deploy import AllInOne, Settings
from tessera.objects import PowerState, VmState
from tests.functional.control.helpers import CTX, flavor, settled, wait_for
from tests.unit.virt.fixtures import FIXTURES
from tests.unit.virt.scenarios import DEDICATED, SHARED

CONF = """
[DEFAULT]
host = nfv-sync
state_path = {tmp}
[compute]
driver = libvirt
cpu_dedicated_set = {dedicated}
cpu_shared_set = {shared}
sync_power_state_interval = 1
[libvirt]
connection_uri = {uri}
capabilities_file = {caps}
"""


def test_guest_stopped_outside_tessera_becomes_stopped(libvirt: ModuleType, test_uri: str,
                                                       tmp_path: Path) -> None:
    path = tmp_path / "tessera.conf"
    path.write_text(CONF.format(tmp=tmp_path, dedicated=DEDICATED, shared=SHARED,
                                uri=test_uri, caps=FIXTURES / "caps-2cell.xml"))
    settings = Settings.from_conf(make_conf(config_files=[str(path)]), hosts=[])
    settings.api_db = "sqlite:///%s/api.sqlite" % tmp_path
    settings.cell_db = "sqlite:///%s/cell1.sqlite" % tmp_path
    settings.transport_url = "fake://sync-%s" % tmp_path.name
    assert settings.sync_power_state_interval == 1
    small = flavor("small", 1, 512)
    with AllInOne(settings) as aio:
        aio.api.create_flavor(small)
        [a] = aio.api.create(CTX, small, name="a")
        [b] = aio.api.create(CTX, small, name="b")
        a, b = settled(aio.api, a.uuid), settled(aio.api, b.uuid)
        assert a.vm_state is VmState.ACTIVE and b.vm_state is VmState.ACTIVE
        driver = aio.computes()["nfv-sync"].driver
        driver.domain(a).destroy()                     # a stops behind our back
        a = wait_for(lambda: (i := aio.api.get(a.uuid)).vm_state is VmState.STOPPED
                     and i, timeout=10, what="a to be seen stopped")
        assert a.power_state is PowerState.SHUTDOWN and a.task_state is None
        b = aio.api.get(b.uuid)                        # b is untouched
        assert b.vm_state is VmState.ACTIVE and b.power_state is PowerState.RUNNING
        driver.domain(a).create()                      # and is started by hand
        wait_for(lambda: aio.api.get(a.uuid).power_state is PowerState.RUNNING,
                 timeout=10, what="a's power state to be seen running")
