"""What the block storage service refuses, named for what went wrong; the API turns
them into 404, 400 and 409 fault bodies."""

from __future__ import annotations


class VolumeServiceError(Exception):
    """Base of what the service refuses; the message is the user's."""


class NotFound(VolumeServiceError, LookupError):
    pass


class InvalidInput(VolumeServiceError, ValueError):
    """Bad request data (400)."""


class InvalidVolume(VolumeServiceError):
    """The volume is not in a state that allows this (400, as Cinder answers)."""


class Conflict(VolumeServiceError):
    """A name that is taken (409)."""
