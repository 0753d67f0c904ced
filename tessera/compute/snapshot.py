"""What the compute service needs to snapshot a guest into an image: the quiesce
policy an image asks for, and the `ImageSink` the finished file goes to.

The API creates the image (queued) before it asks the compute host; the compute
service has the driver write the root disk into a work directory the sink gives,
then the sink stores the file as the image's data (the image becomes active). When
anything fails the sink discards the image and records why on the server's action.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from tessera.compute.virt.driver import Quiesce, SnapshotImage
from tessera.objects import ImageMeta

_TRUE = frozenset({"1", "t", "true", "on", "y", "yes"})


def _flag(value: object) -> bool:
    return str(value).strip().lower() in _TRUE


def quiesce_for(image: ImageMeta) -> Quiesce:
    """`os_require_quiesce=yes`: REQUIRE; else `hw_qemu_guest_agent=yes`: TRY; else NO."""
    props = image.properties
    if _flag(props.get("os_require_quiesce", "")):
        return Quiesce.REQUIRE
    if _flag(props.get("hw_qemu_guest_agent", "")):
        return Quiesce.TRY
    return Quiesce.NO


class ImageSink(Protocol):
    """Where a compute service puts snapshots (the image service's store)."""

    def workdir(self) -> AbstractContextManager[Path]:
        """A fresh directory for the driver's file, removed afterwards."""

    def upload(self, image_id: str, snapshot: SnapshotImage) -> None:
        """Store the file as the queued image's data: the image becomes active with
        its size, checksum and os_hash_*; ImageGone if it was deleted meanwhile."""

    def discard(self, image_id: str) -> None:
        """Delete the image (record and data); one already gone is not an error."""

    def discard_unfinished(self, instance_uuid: str) -> None:
        """Delete the guest's snapshot images that never became active (a snapshot
        cut short when its compute service stopped)."""

    def record_failure(self, instance_uuid: str, request_id: str | None, host: str,
                       message: str) -> None:
        """Close the server's createImage action of `request_id` (None: its newest
        open one) as an error, with `message`."""


class ImageGone(LookupError):
    """The image a snapshot was meant for no longer exists."""


__all__ = ["ImageGone", "ImageSink", "quiesce_for"]
