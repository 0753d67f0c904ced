"""What a compute service asks of the block storage service while it attaches and
detaches volumes: connect an attachment to its host (getting the connection info),
complete it, mark it detaching, delete it.

It works on the API database directly (the compute services of the all-in-one and of
`tessera-compute` both know it through `[api_database] connection`), with the same
service functions the HTTP API uses, so the status rules are the same either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from tessera.db.engine import get_engine, session_scope
from tessera.volume import service as svc
from tessera.volume.store import FileStore, volume_dir


class VolumeClient:
    def __init__(self, api_db_url: str, data_dir: str | Path | None = None) -> None:
        self.api_db_url = api_db_url
        self.store = FileStore(volume_dir(api_db_url, data_dir))

    @contextmanager
    def _db(self) -> Iterator[Session]:
        with session_scope(get_engine(self.api_db_url)) as session:
            yield session

    def get_attachment(self, attachment_id: str) -> svc.Attachment:
        with self._db() as s:
            return svc.get_attachment(s, attachment_id)

    def connect(self, attachment_id: str, connector: dict[str, Any]) -> svc.Attachment:
        """The attachment connected to the host of `connector`, with connection info."""
        with self._db() as s:
            att = svc.get_attachment(s, attachment_id)
            return svc.update_attachment(s, attachment_id, connector,
                                         str(self.store.path(att.volume_id)))

    def complete(self, attachment_id: str) -> svc.Attachment:
        with self._db() as s:
            return svc.complete_attachment(s, attachment_id)

    def begin_detaching(self, attachment_id: str) -> None:
        with self._db() as s:
            try:
                svc.begin_detaching(s, attachment_id)
            except svc.NotFound:
                pass

    def abort_detaching(self, attachment_id: str) -> None:
        with self._db() as s:
            svc.abort_detaching(s, attachment_id)

    def delete(self, attachment_id: str) -> None:
        """Remove the attachment (gone already is fine: the result is the same)."""
        with self._db() as s:
            try:
                svc.delete_attachment(s, attachment_id)
            except svc.NotFound:
                pass
