"""Block Storage API v3 microversions: `OpenStack-API-Version: volume 3.N`.

A request without the header is 3.0; `latest` is the maximum. Each response echoes
the version it was served at (with `Vary`). What changes by version here:

- 3.27: the attachments API (`/attachments`);
- 3.44: `os-complete` on an attachment;
- 3.48: `shared_targets` and `service_uuid` in volume details;
- 3.54: `mode` on attachment create.
"""

from __future__ import annotations

from typing import Annotated

import microversion_parse
from fastapi import Depends, Request, Response

from tessera.api import errors
from tessera.api.microversion import APIVersion

SERVICE_TYPE = "volume"
HEADER = "OpenStack-API-Version"
MIN_VERSION = APIVersion(3, 0)
MAX_VERSION = APIVersion(3, 59)


def negotiate(request: Request, response: Response) -> APIVersion:
    """The version of this request (a FastAPI dependency); 400 for a malformed one,
    406 for one outside 3.0..MAX_VERSION. The answer echoes it."""
    text = microversion_parse.get_version(list(request.headers.items()), SERVICE_TYPE)
    if text is None:
        version = MIN_VERSION
    elif text == "latest":
        version = MAX_VERSION
    else:
        try:
            version = APIVersion.parse(text)
        except errors.BadRequest:
            raise errors.BadRequest("API Version String %s is of invalid format. Must "
                                    "be of format MajorNum.MinorNum." % text) from None
        if not MIN_VERSION <= version <= MAX_VERSION:
            raise errors.NotAcceptable(
                "Version %s is not supported by the API. Minimum is %s and maximum is "
                "%s." % (version, MIN_VERSION, MAX_VERSION),
                headers={HEADER: "%s %s" % (SERVICE_TYPE, version), "Vary": HEADER})
    response.headers[HEADER] = "%s %s" % (SERVICE_TYPE, version)
    response.headers["Vary"] = HEADER
    request.state.volume_version = version
    return version


VolumeVersion = Annotated[APIVersion, Depends(negotiate)]


def at_least(minimum: str):  # type: ignore[no-untyped-def]
    """A route dependency: 404 below `minimum` (the route does not exist there)."""
    wanted = APIVersion.parse(minimum)

    def check(version: VolumeVersion) -> None:
        if version < wanted:
            raise errors.NotFound("The resource could not be found.")
    return Depends(check)
