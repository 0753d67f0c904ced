"""What can go wrong in the networking service, named for it; the API edge turns each
into an OpenStack fault (`NotFound` 404, `InUse` 409, `InvalidInput` 400)."""

from __future__ import annotations


class NetworkError(Exception):
    """Base of the networking service's errors."""


class NotFound(NetworkError):
    kind = "Resource"

    def __init__(self, ident: str) -> None:
        self.ident = ident
        super().__init__("%s %s could not be found." % (self.kind, ident))


class NetworkNotFound(NotFound):
    kind = "Network"


class SubnetNotFound(NotFound):
    kind = "Subnet"


class PortNotFound(NotFound):
    kind = "Port"


class SecurityGroupNotFound(NotFound):
    kind = "Security group"


class InvalidInput(NetworkError):
    """A value the service cannot accept (400)."""


class Conflict(NetworkError):
    """The request conflicts with the current state (409)."""


class InUse(Conflict):
    """The resource is still used (a network with ports, a group on a port)."""


class IpAddressGenerationFailure(Conflict):
    """No free address left in a subnet's allocation pools."""


class AddressInUse(Conflict):
    """A fixed IP or MAC address asked for is taken."""
