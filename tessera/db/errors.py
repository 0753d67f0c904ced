"""What can go wrong in the databases, named for what went wrong.

`NotFound` and `DuplicateEntry` subclasses name the kind of row; the API edge turns
them into 404 and 409. `GenerationConflict` and `UnexpectedTaskState` are lost
compare-and-swap races: the caller re-reads and retries, or gives up.
"""

from __future__ import annotations

from typing import Any


class DBError(Exception):
    """Base of every error the database layer raises on purpose."""


class NotFound(DBError):
    kind = "Row"

    def __init__(self, key: Any, message: str | None = None) -> None:
        self.key = key
        super().__init__(message or "%s %s could not be found." % (self.kind, key))


class FlavorNotFound(NotFound):
    kind = "Flavor"


class FlavorExtraSpecNotFound(NotFound):
    kind = "Flavor extra spec"


class RequestSpecNotFound(NotFound):
    kind = "RequestSpec for instance"


class CellMappingNotFound(NotFound):
    kind = "Cell"


class HostMappingNotFound(NotFound):
    kind = "Host mapping for host"


class InstanceMappingNotFound(NotFound):
    kind = "Instance mapping for instance"


class BuildRequestNotFound(NotFound):
    kind = "BuildRequest for instance"


class ServiceNotFound(NotFound):
    kind = "Service"


class ComputeNodeNotFound(NotFound):
    kind = "Compute node"


class InstanceNotFound(NotFound):
    kind = "Instance"


class MigrationNotFound(NotFound):
    kind = "Migration"


class MarkerNotFound(NotFound):
    kind = "Marker"


class DuplicateEntry(DBError):
    """A unique key is already taken (on every backend, from its own error code)."""

    kind = "Row"

    def __init__(self, key: Any, message: str | None = None) -> None:
        self.key = key
        super().__init__(message or "%s %s already exists." % (self.kind, key))


class FlavorExists(DuplicateEntry):
    kind = "Flavor"


class RequestSpecExists(DuplicateEntry):
    kind = "RequestSpec for instance"


class CellMappingExists(DuplicateEntry):
    kind = "Cell"


class HostMappingExists(DuplicateEntry):
    kind = "Host mapping for host"


class InstanceMappingExists(DuplicateEntry):
    kind = "Instance mapping for instance"


class BuildRequestExists(DuplicateEntry):
    kind = "BuildRequest for instance"


class ServiceExists(DuplicateEntry):
    kind = "Service"


class ComputeNodeExists(DuplicateEntry):
    kind = "Compute node"


class InstanceExists(DuplicateEntry):
    kind = "Instance"


class MigrationExists(DuplicateEntry):
    kind = "Migration"


class GenerationConflict(DBError):
    """A usage write lost the race: the compute node's generation moved on."""

    def __init__(self, node_uuid: str, expected: int, actual: int | None) -> None:
        self.node_uuid, self.expected, self.actual = node_uuid, expected, actual
        super().__init__("compute node %s: expected generation %s, found %s"
                         % (node_uuid, expected, actual))


class UnexpectedTaskState(DBError):
    """An instance save lost the race: its task state is not the one expected."""

    def __init__(self, instance_uuid: str, expected: Any, actual: str | None) -> None:
        self.instance_uuid, self.expected, self.actual = instance_uuid, expected, actual
        super().__init__("instance %s: expected task state %s, found %s"
                         % (instance_uuid, expected, actual))
