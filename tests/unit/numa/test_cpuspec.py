"""CPU-spec strings: a table of parses and formats, and property tests that format and
parse are inverse."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from tessera.numa.cpuspec import (MAX_CPU_ID, format_cpu_spec, parse_cpu_spec,
                                  parse_vcpu_mask)
from tessera.numa.errors import InvalidCPUSpec

PARSES = [
    ("single", "3", {3}),
    ("range", "0-3", {0, 1, 2, 3}),
    ("list", "0,2,4", {0, 2, 4}),
    ("one-element range", "5-5", {5}),
    ("exclusion", "0-5,^2", {0, 1, 3, 4, 5}),
    ("excluded range", "0-7,^2-5", {0, 1, 6, 7}),
    ("exclusion first", "^1,0-2", {0, 2}),
    ("exclusion of absent cpu", "0-1,^9", {0, 1}),
    ("empty items skipped", ",0,,2,", {0, 2}),
    ("blank", "", set()),
    ("only commas", " , ", set()),
    ("spaces", " 0 - 2 , ^ 1 ", {0, 2}),
    ("everything excluded", "0-1,^0-1", set()),
    ("duplicates", "1,1,0-1", {0, 1}),
    ("max id", str(MAX_CPU_ID), {MAX_CPU_ID}),
]


@pytest.mark.parametrize("text, want", [(t, w) for _, t, w in PARSES],
                         ids=[i for i, _, _ in PARSES])
def test_parse_cpu_spec(text: str, want: set[int]) -> None:
    assert parse_cpu_spec(text) == frozenset(want)


BAD = ["a", "1-", "-1", "3-1", "^", "1-2-3", "0x1", "1.5", "1 2", "^^1", "١", "1_0",
       str(MAX_CPU_ID + 1), "0-%d" % (MAX_CPU_ID + 1), 5, [1]]


@pytest.mark.parametrize("text", BAD, ids=[repr(t) for t in BAD])
def test_parse_cpu_spec_rejects(text: object) -> None:
    with pytest.raises(InvalidCPUSpec) as info:
        parse_cpu_spec(text, key="hw:numa_cpus.0")  # type: ignore[arg-type]
    assert info.value.key == "hw:numa_cpus.0"
    assert info.value.value == text
    assert "hw:numa_cpus.0" in str(info.value) and repr(text) in str(info.value)


FORMATS = [
    ("empty", [], ""),
    ("single", [4], "4"),
    ("pair", [10, 11], "10-11"),
    ("mixed", [0, 1, 2, 3, 8, 10, 11], "0-3,8,10-11"),
    ("unsorted with duplicates", [3, 1, 2, 2, 0], "0-3"),
    ("gaps", [0, 2, 4], "0,2,4"),
]


@pytest.mark.parametrize("cpus, want", [(c, w) for _, c, w in FORMATS],
                         ids=[i for i, _, _ in FORMATS])
def test_format_cpu_spec(cpus: list[int], want: str) -> None:
    assert format_cpu_spec(cpus) == want


def test_format_rejects_negative() -> None:
    with pytest.raises(InvalidCPUSpec):
        format_cpu_spec([-1, 0])


MASKS = [
    ("caret relative to all vCPUs", "^0", 4, {1, 2, 3}),
    ("caret range", "^0-1", 4, {2, 3}),
    ("plain", "1-2", 4, {1, 2}),
    ("plain may exceed vcpus", "6", 4, {6}),
    ("caret without vcpus", "^0", None, set()),
]


@pytest.mark.parametrize("text, vcpus, want", [(t, v, w) for _, t, v, w in MASKS],
                         ids=[i for i, _, _, _ in MASKS])
def test_parse_vcpu_mask(text: str, vcpus: int | None, want: set[int]) -> None:
    assert parse_vcpu_mask(text, vcpus) == frozenset(want)


@pytest.mark.parametrize("text", ["", "  ", "^x", None])
def test_parse_vcpu_mask_rejects(text: object) -> None:
    with pytest.raises(InvalidCPUSpec) as info:
        parse_vcpu_mask(text, 4, key="hw:cpu_realtime_mask")  # type: ignore[arg-type]
    assert info.value.value == text and info.value.key == "hw:cpu_realtime_mask"


cpu_sets = st.frozensets(st.integers(min_value=0, max_value=300), max_size=60)


@given(cpu_sets)
def test_format_then_parse_round_trips(cpus: frozenset[int]) -> None:
    assert parse_cpu_spec(format_cpu_spec(cpus)) == cpus


@given(cpu_sets)
def test_format_is_canonical(cpus: frozenset[int]) -> None:
    text = format_cpu_spec(cpus)
    assert format_cpu_spec(parse_cpu_spec(text)) == text
    assert "^" not in text and ",," not in text
    bounds = [tuple(map(int, r.split("-"))) for r in text.split(",")] if text else []
    assert all(len(b) == 1 or b[0] < b[1] for b in bounds)
    assert all(prev[-1] + 1 < nxt[0] for prev, nxt in zip(bounds, bounds[1:]))


item = st.builds(lambda caret, a, n: "%s%d%s" % ("^" if caret else "", a,
                                                 "-%d" % (a + n) if n else ""),
                 st.booleans(), st.integers(0, 200), st.integers(0, 20))


@given(st.lists(item, max_size=12))
def test_parse_matches_set_arithmetic(items: list[str]) -> None:
    included: set[int] = set()
    excluded: set[int] = set()
    for it in items:
        target = excluded if it.startswith("^") else included
        lo, _, hi = it.lstrip("^").partition("-")
        target.update(range(int(lo), int(hi or lo) + 1))
    assert parse_cpu_spec(",".join(items)) == frozenset(included - excluded)


@given(st.lists(item, max_size=12), st.permutations(range(12)))
def test_order_of_items_does_not_matter(items: list[str], order: list[int]) -> None:
    shuffled = [items[i] for i in order if i < len(items)]
    assert parse_cpu_spec(",".join(shuffled)) == parse_cpu_spec(",".join(items))
