"""Volume data on disk: one sparse file per volume under `<root>` (`volume-<id>`),
its length the volume's size; blocks are allocated only as a guest writes them."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url

GIB = 1 << 30
DEFAULT_ROOT = Path("/var/lib/tessera/volumes")


def volume_dir(api_db_url: str, configured: str | Path | None = None) -> Path:
    """Where volumes live: `configured`, else a `volumes` folder beside a SQLite API
    database, else /var/lib/tessera/volumes. The API and the compute services derive
    it from the same API database URL, so both name the same files."""
    if configured:
        return Path(configured)
    url = make_url(api_db_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database).resolve().parent / "volumes"
    return DEFAULT_ROOT


class FileStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, volume_id: str) -> Path:
        if "/" in volume_id or volume_id.startswith(".") or not volume_id:
            raise ValueError("bad volume id %r" % volume_id)
        return self.root / ("volume-%s" % volume_id)

    def create(self, volume_id: str, size_gb: int) -> Path:
        """A sparse file of `size_gb` GiB (no blocks written)."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.path(volume_id)
        with open(path, "xb") as f:
            f.truncate(size_gb * GIB)
        return path

    def extend(self, volume_id: str, size_gb: int) -> None:
        """Grow the file to `size_gb` GiB (still sparse; the data stays)."""
        with open(self.path(volume_id), "r+b") as f:
            f.truncate(size_gb * GIB)

    def exists(self, volume_id: str) -> bool:
        return self.path(volume_id).is_file()

    def allocated_bytes(self, volume_id: str) -> int:
        """Bytes actually on disk (0 for a volume nothing was written to)."""
        return os.stat(self.path(volume_id)).st_blocks * 512

    def delete(self, volume_id: str) -> None:
        self.path(volume_id).unlink(missing_ok=True)
