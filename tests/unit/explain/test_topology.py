"""The topology view: each pCPU's role and owner, pages and devices per cell."""

from __future__ import annotations

from tessera.explain import host_topology
from tessera.numa import apply, fit
from tessera.objects import Instance, VmState
from tests.unit.scheduler.helpers import VF, pinned, small, spec


def _guest(uuid, f, host, pci=()):
    s = spec(f, uuid=uuid, pci=pci)
    placement = fit(host.compute_node.numa, s.numa_topology)
    assert placement.fit, placement
    inst = Instance(uuid=uuid, display_name=uuid, project_id="p", user_id="u",
                    flavor=f, host=host.host, placement=placement,
                    vm_state=VmState.ACTIVE, task_state=None)
    node = host.compute_node
    numa = apply(node.numa, placement)
    return inst, host.model_copy(update={"compute_node": node.model_copy(
        update={"numa": numa})})


def _cpus(view):
    return {c["cpu"]: c for cell in view["cells"] for core in cell["cores"] for c in core}


def test_roles_of_pinned_isolated_emulator_and_shared_cpus():
    host = small(vfs=2)
    iso, host = _guest("iso", pinned(2, 1024, hw__cpu_thread_policy="isolate",
                                     hw__emulator_threads_policy="isolate"), host,
                       pci=(VF,))
    view = host_topology(host.compute_node, [iso])
    cpus = _cpus(view)
    roles = {}
    for c in cpus.values():
        roles.setdefault(c["role"], set()).add(c["cpu"])
    pins = {p: v for cp in iso.placement.cells for v, p in cp.pins.items()}
    assert roles["pinned"] == set(pins)
    assert all(cpus[p]["guest"] == "iso" and cpus[p]["vcpu"] == v for p, v in pins.items())
    assert roles["isolated"] == {p for cp in iso.placement.cells for p in cp.reserved}
    assert roles["emulator"] == set(iso.placement.emulator_pins)
    cell0 = host.compute_node.numa.cells[0]
    assert set(cell0.shared) <= roles["shared"]
    [claimed] = [d for c in view["cells"] for d in c["pci"] if d["claimed"]]
    assert claimed["guest"] == "iso"
    assert [g["id"] for g in view["guests"]] == ["iso"]
    assert view["cells"][0]["pages"][0]["size_kb"] == 4


def test_cores_list_thread_siblings_and_unknown_pins_show():
    host = small(pinned="1,9")
    view = host_topology(host.compute_node, [])
    cells = view["cells"]
    assert [c["cpu"] for c in cells[0]["cores"][1]] == [1, 9]
    assert {c["role"] for c in cells[0]["cores"][1]} == {"pinned-unknown"}
    assert view["guests"] == []


def test_a_guest_on_another_host_is_not_drawn():
    host = small()
    inst, _ = _guest("elsewhere", pinned(2, 1024), host)
    other = small("other")
    view = host_topology(other.compute_node, [inst])
    assert view["guests"] == [] and "pinned" not in {c["role"] for c in _cpus(view).values()}
