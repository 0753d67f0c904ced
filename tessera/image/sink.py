"""`StoreSink`: the image service's store as a compute service's `ImageSink` (see
`tessera.compute.snapshot`). It writes snapshots straight into the images table of
the API database and the file store beside it, so a compute service needs the API
database URL (`[api_database] connection`) and the image directory
(`store.image_dir_for`) on its own filesystem: the same machine in the all-in-one,
a shared mount otherwise. Work directories live under the image directory, so a
big snapshot never lands on a small /tmp and is moved into place, not copied.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tessera.compute.snapshot import ImageGone
from tessera.compute.virt.driver import SnapshotImage
from tessera.db.api import server_queries as sq
from tessera.db.engine import get_engine, session_scope
from tessera.image import service as svc
from tessera.image.store import FileStore, image_dir_for

WORK = ".snapshots"  # FileStore refuses image ids starting with a dot


class StoreSink:
    def __init__(self, api_db_url: str, image_dir: Path | None = None) -> None:
        self.api_db_url = api_db_url
        self.store = FileStore(image_dir or image_dir_for(api_db_url))

    @contextmanager
    def _db(self) -> Iterator[object]:
        with session_scope(get_engine(self.api_db_url)) as session:
            yield session

    @contextmanager
    def workdir(self) -> Iterator[Path]:
        root = self.store.root / WORK
        root.mkdir(parents=True, exist_ok=True)
        path = Path(tempfile.mkdtemp(prefix="snap-", dir=root))
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)

    def upload(self, image_id: str, snapshot: SnapshotImage) -> None:
        with self._db() as s:
            try:
                image = svc.get_image(s, image_id)
            except svc.ImageNotFound:
                raise ImageGone(image_id) from None
            if image.status != "queued":
                raise ImageGone("image %s is %s, not queued" % (image_id, image.status))
            svc.update_image(s, image_id, status="saving",
                             disk_format=snapshot.disk_format, container_format="bare")
        stored = self.store.adopt(image_id, snapshot.path)
        with self._db() as s:
            try:
                svc.update_image(s, image_id, status="active", size=stored.size,
                                 checksum=stored.checksum,
                                 os_hash_algo=stored.os_hash_algo,
                                 os_hash_value=stored.os_hash_value)
            except svc.ImageNotFound:   # deleted while the data was being stored
                self.store.delete(image_id)
                raise ImageGone(image_id) from None

    def discard(self, image_id: str) -> None:
        with self._db() as s:
            try:
                svc.delete_image(s, image_id)
            except svc.ImageNotFound:
                pass
        self.store.delete(image_id)

    def discard_unfinished(self, instance_uuid: str) -> None:
        with self._db() as s:
            unfinished = [i.id for i in svc.list_images(s)
                          if i.status in ("queued", "saving")
                          and i.properties.get("image_type") == "snapshot"
                          and i.properties.get("instance_uuid") == instance_uuid]
        for image_id in unfinished:
            self.discard(image_id or "")

    def record_failure(self, instance_uuid: str, request_id: str | None, host: str,
                       message: str) -> None:
        with self._db() as s:
            if request_id:
                try:
                    action = sq.get_action(s, instance_uuid, request_id)
                except sq.InstanceActionNotFound:
                    return
            else:  # the newest createImage still open
                action = next((a for a in sq.list_actions(s, instance_uuid)
                               if a.action == "createImage" and a.finish_time is None),
                              None)
                if action is None:
                    return
            sq.finish_action(s, action.id or 0, "Error", host, message)

