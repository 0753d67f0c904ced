"""Image data on disk: one file per image under `<root>`, written to a temporary
name and renamed once complete, hashed while it streams in. `image_dir_for` says
where `<root>` is for a cloud: beside its SQLite API database, else
/var/lib/tessera/images."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

HASH_ALGO = "sha512"
CHUNK = 1 << 20


DEFAULT_DIR = Path("/var/lib/tessera/images")


def image_dir_for(api_db_url: str) -> Path:
    """The image directory of the cloud whose API database is `api_db_url`: an
    `images` folder beside a SQLite file, else `DEFAULT_DIR` (the API and every
    compute service must see the same one)."""
    url = make_url(api_db_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database).resolve().parent / "images"
    return DEFAULT_DIR


@dataclass(frozen=True)
class Stored:
    size: int
    checksum: str        # md5, Glance's legacy `checksum`
    os_hash_algo: str
    os_hash_value: str


class FileStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, image_id: str) -> Path:
        if "/" in image_id or image_id.startswith("."):
            raise ValueError("bad image id %r" % image_id)
        return self.root / image_id

    def put(self, image_id: str, chunks: Iterable[bytes]) -> Stored:
        writer = self.writer(image_id)
        try:
            for chunk in chunks:
                writer.write(chunk)
        except BaseException:
            writer.abort()
            raise
        return writer.commit()

    def adopt(self, image_id: str, source: Path) -> Stored:
        """Make the file `source` the image's data: hashed where it lies, then moved
        into place (a rename on the store's filesystem, a copy from elsewhere)."""
        md5, sha, size = hashlib.md5(usedforsecurity=False), hashlib.new(HASH_ALGO), 0
        with open(source, "rb") as f:
            while chunk := f.read(CHUNK):
                md5.update(chunk)
                sha.update(chunk)
                size += len(chunk)
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(source, self.path(image_id))
        except OSError:   # another filesystem: copy through a temporary name
            tmp = self.path(image_id).with_name(image_id + ".part")
            shutil.copyfile(source, tmp)
            os.replace(tmp, self.path(image_id))
        return Stored(size, md5.hexdigest(), HASH_ALGO, sha.hexdigest())

    def writer(self, image_id: str) -> "Writer":
        """An incremental upload: `write` chunks, then `commit` (or `abort`)."""
        self.root.mkdir(parents=True, exist_ok=True)
        return Writer(self.path(image_id))

    def exists(self, image_id: str) -> bool:
        return self.path(image_id).is_file()

    def read(self, image_id: str) -> Iterator[bytes]:
        with open(self.path(image_id), "rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk

    def delete(self, image_id: str) -> None:
        self.path(image_id).unlink(missing_ok=True)


class Writer:
    def __init__(self, final: Path) -> None:
        self.final = final
        self.tmp = final.with_name(final.name + ".part")
        self.file = open(self.tmp, "wb")
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.sha = hashlib.new(HASH_ALGO)
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.md5.update(chunk)
        self.sha.update(chunk)
        self.size += len(chunk)
        self.file.write(chunk)

    def commit(self) -> Stored:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.tmp, self.final)
        return Stored(self.size, self.md5.hexdigest(), HASH_ALGO, self.sha.hexdigest())

    def abort(self) -> None:
        self.file.close()
        self.tmp.unlink(missing_ok=True)
