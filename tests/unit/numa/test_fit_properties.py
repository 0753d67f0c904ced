"""Properties of the fitter over generated hosts and requests."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tessera.numa import Strategy, UsageConflict, apply, fit, release
from tessera.numa.cellfit import Limits, cell_shortfall
from tessera.numa.fit import _shapes
from tessera.numa.pci import choose_devices
from tessera.numa.request import ThreadPolicy

from .checker import problems
from .strategies import hosts, requests

strategies = st.sampled_from(list(Strategy))


@settings(max_examples=400, deadline=None)
@given(hosts(), requests(), strategies)
def test_every_placement_keeps_every_rule(host, request, strategy):
    answer = fit(host, request, strategy)
    if answer.fit:
        assert problems(host, request, answer) == []
    else:
        assert answer.reason and answer.reasons


@settings(max_examples=200, deadline=None)
@given(hosts(), requests(), strategies)
def test_same_input_same_answer(host, request, strategy):
    assert fit(host, request, strategy) == fit(replace(host), request, strategy)


@settings(max_examples=300, deadline=None)
@given(hosts(), requests())
def test_apply_then_release_restores_the_host(host, request):
    answer = fit(host, request)
    if not answer.fit:
        return
    used = apply(host, answer)
    assert used.generation == host.generation + 1
    back = release(used, answer)
    assert replace(back, generation=host.generation) == host


@settings(max_examples=300, deadline=None)
@given(hosts(), requests())
def test_nothing_is_given_twice_nor_released_unused(host, request):
    answer = fit(host, request)
    if not answer.fit or not (answer.pci or any(c.pins for c in answer.cells)):
        return
    used = apply(host, answer)
    with pytest.raises(UsageConflict):
        apply(used, answer)
    with pytest.raises(UsageConflict):
        release(host, answer)


@settings(max_examples=150, deadline=None)
@given(hosts(max_cells=3, max_cores=6), requests(max_vcpus=8), strategies)
def test_packing_guests_one_after_another_never_double_books(host, request, strategy):
    for _ in range(12):
        answer = fit(host, request, strategy)
        if not answer.fit:
            break
        assert problems(host, request, answer) == []
        host = apply(host, answer)  # raises if anything were given twice
    for cell in host.cells:
        assert cell.pinned <= cell.dedicated
        assert all(p.used >= 0 for p in cell.pages)


@settings(max_examples=400, deadline=None)
@given(hosts(max_cells=4), requests(max_nodes=3))
def test_finds_a_fit_whenever_some_permutation_of_host_cells_fits(host, request):
    """The oracle walks every permutation of host cells, as Nova does."""
    if request.cells is None:
        return
    policy = request.thread_policy if request.pinned else None
    if (policy is ThreadPolicy.AVOID and host.has_smt) or \
            (policy is ThreadPolicy.REQUIRE and not host.has_smt):
        assert not fit(host, request).fit
        return
    limits = Limits(host.cpu_allocation_ratio, host.ram_allocation_ratio)
    shapes = _shapes(request)
    exists = False
    for perm in itertools.permutations(host.cells, len(shapes)):
        if any(cell_shortfall(c, s, request.page_size, policy, limits)
               for c, s in zip(perm, shapes)):
            continue
        if request.pci_requests:
            _, why = choose_devices(host, frozenset(c.id for c in perm),
                                    request.pci_policy, request.pci_requests)
            if why:
                continue
        exists = True
        break
    assert fit(host, request).fit == exists
