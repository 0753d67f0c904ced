"""What Tessera's admin handlers share: the `View` dependency (the `CloudView` of the
cloud the app serves) and the translation of its errors into API errors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from tessera.api import errors
from tessera.api.compute._common import get_cloud
from tessera.explain import CloudView, UnknownFlavor, UnknownHost, UnknownServer
from tessera.explain.source import view_of

PREFIX = "/os-tessera"


def get_view(request: Request) -> CloudView:
    return view_of(request.app.state, get_cloud(request))


View = Annotated[CloudView, Depends(get_view)]
"""A handler parameter holding the explain/capacity/topology views of the cloud."""


@contextlib.contextmanager
def translated() -> Iterator[None]:
    """Unknown servers, hosts and flavors as 404s (an invalid flavor/image pair is the
    placement core's InvalidRequest, a 400 at the API edge)."""
    try:
        yield
    except UnknownServer as exc:
        raise errors.NotFound("Instance %s could not be found." % exc) from None
    except UnknownHost as exc:
        raise errors.NotFound("Compute host %s could not be found." % exc) from None
    except UnknownFlavor as exc:
        raise errors.NotFound("Flavor %s could not be found." % exc) from None
