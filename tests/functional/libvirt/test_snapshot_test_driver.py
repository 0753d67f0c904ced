"""`LibvirtDriver.snapshot` on libvirt's test driver: the quiesce policy through the
test driver's fsFreeze/fsThaw and snapshotCreateXML, and the honest placeholder image
(a sparse raw file of the root disk's size, since the test driver holds no disk data).
The same contract on a real guest is in tests/functional/libvirt_real."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tessera.compute.virt.driver import GuestNotFound, Quiesce, QuiesceFailed
from tessera.compute.virt.libvirt.discovery import HostConfig
from tessera.compute.virt.libvirt.driver import LibvirtDriver, LibvirtSettings
from tessera.objects import Flavor, PowerState
from tests.unit.virt.fixtures import caps
from tests.unit.virt.scenarios import DEDICATED, SHARED, instance, place

AGENT = {"hw_qemu_guest_agent": "yes"}


@pytest.fixture
def driver(libvirt: ModuleType, test_uri: str) -> Any:
    d = LibvirtDriver(LibvirtSettings(
        uri=test_uri, host_name="nfv-2cell", capabilities=caps("2cell"), nodedevs=[],
        host_config=HostConfig.from_strings(DEDICATED, SHARED)))
    yield d
    d.close()


def _spawn(driver: LibvirtDriver, n: int, props: dict[str, str], root_gb: int = 0) -> Any:
    inst = instance(n, 2, 1024, {"hw:cpu_policy": "dedicated"}, props)
    inst = inst.model_copy(update={"flavor": Flavor(**{**inst.flavor.model_dump(),
                                                       "root_gb": root_gb})})
    driver.spawn(inst, place(driver.host_topology(), inst))
    return inst


@pytest.mark.parametrize("props,quiesce,quiesced", [
    (AGENT, Quiesce.REQUIRE, True),
    (AGENT, Quiesce.TRY, True),
    (AGENT, Quiesce.NO, False),
    ({}, Quiesce.TRY, False),      # no agent channel: not quiesced, no error
])
def test_snapshot_image(driver: LibvirtDriver, tmp_path: Path, props: dict[str, str],
                        quiesce: Quiesce, quiesced: bool) -> None:
    inst = _spawn(driver, 1, props, root_gb=2)
    image = driver.snapshot(inst, tmp_path / "work", quiesce=quiesce)
    assert image.quiesced is quiesced and image.disk_format == "raw"
    assert image.path.parent == tmp_path / "work"
    assert image.path.stat().st_size == 2 * 1024 ** 3
    assert image.path.stat().st_blocks == 0                       # sparse: no content
    assert driver.power_state(inst) is PowerState.RUNNING
    assert driver.domain(inst).snapshotNum(0) == 0                # no metadata left
    driver.destroy(inst)


def test_a_flavor_without_root_disk_gets_a_small_image(driver: LibvirtDriver,
                                                       tmp_path: Path) -> None:
    inst = _spawn(driver, 2, AGENT)
    image = driver.snapshot(inst, tmp_path, quiesce=Quiesce.TRY)
    assert image.path.stat().st_size == 1024 ** 2


def test_required_quiesce_without_agent_fails(driver: LibvirtDriver, tmp_path: Path
                                              ) -> None:
    inst = _spawn(driver, 3, {"os_require_quiesce": "yes"})
    with pytest.raises(QuiesceFailed, match="no guest agent"):
        driver.snapshot(inst, tmp_path / "work", quiesce=Quiesce.REQUIRE)
    assert not any((tmp_path / "work").glob("*"))                 # nothing written
    assert driver.power_state(inst) is PowerState.RUNNING


def test_snapshot_of_a_missing_guest(driver: LibvirtDriver, tmp_path: Path) -> None:
    with pytest.raises(GuestNotFound):
        driver.snapshot(instance(4, 1, 512), tmp_path, quiesce=Quiesce.NO)
