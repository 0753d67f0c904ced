"""Page-size requests (`hw:mem_page_size`, `hw_mem_page_size`) and who may set them.

A request is `small`, `large`, `any`, a plain integer of KiB, or a size with an IEC unit
as Nova has read it since Liberty: base 1024, a prefix K, M, G or T optionally followed
by `i`, and a suffix that must be `B` (bytes) or `b`/`bit` (bits). So `2MB`, `2MiB`,
`1GiB` and `2048KB` are valid, `2Mb` is 256 KiB, and `2M`, `1G` and `2kB` are not
(Nova lets them through its API and fails the boot; Tessera rejects them up front).
The size must come to a whole, positive number of KiB.
"""

from __future__ import annotations

import re
from fractions import Fraction

from tessera.numa.errors import MemoryPageSizeForbidden, MemoryPageSizeInvalid
from tessera.numa.request import PageSize

_ALLOWED = ("small, large, any, a number of KiB, or a size such as 2MB, 2MiB or 1GiB "
            "(a whole number of KiB)")
_SIZED = re.compile(r"([0-9]*\.?[0-9]+)(?:([KMGT])i?)?(B|b|bit)")
_EXPONENT = {None: 0, "K": 1, "M": 2, "G": 3, "T": 4}
_OPEN = (PageSize.LARGE, PageSize.ANY)
_WORDS = {p.value: p for p in PageSize}


def parse_page_size(value: object, key: str, source: str | None = None) -> PageSize | int:
    """A `PageSize` or an explicit size in KiB."""
    if isinstance(value, int) and not isinstance(value, bool):
        kib: Fraction | None = Fraction(value)
    elif isinstance(value, str):
        if value in _WORDS:
            return _WORDS[value]
        kib = _kib(value)
    else:
        kib = None
    if kib is None or kib <= 0 or kib.denominator != 1:
        raise MemoryPageSizeInvalid(key, value, _ALLOWED, source)
    return int(kib)


def _kib(text: str) -> Fraction | None:
    if text.isascii() and text.isdigit():
        return Fraction(int(text))
    match = _SIZED.fullmatch(text)
    if match is None:
        return None
    number, prefix, unit = match.groups()
    size = Fraction(number) * 1024 ** _EXPONENT[prefix]
    if unit != "B":
        size /= 8
    return size / 1024


def resolve_page_size(flavor_value: object, image_value: object,
                      flavor_source: str | None = None,
                      image_source: str | None = None) -> PageSize | int | None:
    """The page size a guest asks for (reference §3.2): the image may only choose when
    the flavor says `large` or `any`."""
    if flavor_value is None:
        if image_value is not None:
            raise MemoryPageSizeForbidden(
                "hw_mem_page_size", image_value,
                "unset unless the flavor sets hw:mem_page_size to large or any "
                "(the flavor sets none)", image_source)
        return None
    flavor_size = parse_page_size(flavor_value, "hw:mem_page_size", flavor_source)
    if image_value is None:
        return flavor_size
    if flavor_size not in _OPEN:
        raise MemoryPageSizeForbidden(
            "hw_mem_page_size", image_value,
            "unset unless the flavor sets hw:mem_page_size to large or any "
            "(the flavor sets %r)" % flavor_value, image_source)
    return parse_page_size(image_value, "hw_mem_page_size", image_source)
