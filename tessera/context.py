"""The request context: who asks, for which project, and how deleted rows are read.

`RequestContext` extends oslo.context's, so oslo.log prints its request id and
oslo.policy can enforce on `to_policy_values()`. It travels with every RPC message as
`to_dict()` and is rebuilt on the other side with `from_dict()` (inherited; it reads
`read_deleted` through `FROM_DICT_EXTRA_KEYS`).
"""

from __future__ import annotations

import copy
from typing import Any

from oslo_context import context as oslo_context

READ_DELETED_VALUES = ("no", "yes", "only")


class InvalidReadDeleted(ValueError):
    """`read_deleted` is not one of "no", "yes" or "only"."""


class RequestContext(oslo_context.RequestContext):
    """Security and request information of one API request or internal operation.

    `read_deleted` tells database queries whether soft-deleted rows are hidden
    ("no"), included ("yes") or the only ones returned ("only").
    """

    FROM_DICT_EXTRA_KEYS = ["read_deleted"]

    def __init__(
        self,
        user_id: str | None = None,
        project_id: str | None = None,
        is_admin: bool = False,
        roles: list[str] | None = None,
        request_id: str | None = None,
        read_deleted: str | None = "no",
        **kwargs: Any,
    ) -> None:
        super().__init__(
            user_id=user_id,
            project_id=project_id,
            is_admin=is_admin,
            roles=roles,
            request_id=request_id,
            **kwargs,
        )
        self.read_deleted = read_deleted or "no"

    @property
    def read_deleted(self) -> str:
        return self._read_deleted

    @read_deleted.setter
    def read_deleted(self, value: str) -> None:
        if value not in READ_DELETED_VALUES:
            raise InvalidReadDeleted(
                "read_deleted must be one of %s, not %r" % (", ".join(READ_DELETED_VALUES), value)
            )
        self._read_deleted = value

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict of the context, including Tessera's fields."""
        values = super().to_dict()
        values.update(
            read_deleted=self.read_deleted,
            user_name=self.user_name,
            project_name=self.project_name,
        )
        return values

    def elevated(self, read_deleted: str | None = None) -> RequestContext:
        """A copy of this context with admin rights (for internal lookups)."""
        admin = copy.copy(self)
        admin.is_admin = True
        admin.roles = [*self.roles, "admin"] if "admin" not in self.roles else list(self.roles)
        if read_deleted is not None:
            admin.read_deleted = read_deleted
        return admin


def get_admin_context(read_deleted: str = "no") -> RequestContext:
    """A context for the services' own work: admin, no user, no project."""
    return RequestContext(is_admin=True, read_deleted=read_deleted, overwrite=False)
