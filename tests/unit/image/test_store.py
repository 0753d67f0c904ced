"""The image file store: adopting a finished file (a snapshot) hashes it where it
lies and moves it into place; the data and hashes match what was written."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tessera.image.store import FileStore


@pytest.mark.parametrize("inside", [True, False], ids=["same-dir-tree", "elsewhere"])
def test_adopt_moves_the_file_in_with_its_hashes(tmp_path: Path, inside: bool) -> None:
    store = FileStore(tmp_path / "images")
    work = (tmp_path / "images" / ".snapshots") if inside else (tmp_path / "work")
    work.mkdir(parents=True)
    data = bytes(range(256)) * 5000
    source = work / "snap.raw"
    source.write_bytes(data)
    stored = store.adopt("img-1", source)
    assert not source.exists()
    assert b"".join(store.read("img-1")) == data
    assert stored.size == len(data)
    assert stored.checksum == hashlib.md5(data).hexdigest()
    assert stored.os_hash_algo == "sha512"
    assert stored.os_hash_value == hashlib.sha512(data).hexdigest()
    assert not list((tmp_path / "images").glob("*.part"))


def test_ids_that_leave_the_store_are_refused(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    for bad in ("../x", ".snapshots", "a/b"):
        with pytest.raises(ValueError):
            store.path(bad)
