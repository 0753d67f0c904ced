"""The read-only topology page: plain HTML, CSS and vanilla JS, no build step.

    GET /tessera/topology          the page (#token=USER:PROJECT sets the token)
    GET /tessera/static/{name}     its script and style sheet

The page itself needs no token; it asks for one (kept in the browser's localStorage)
and polls `GET /v2.1/os-tessera/topology` with it every 1.5 s, so the admin API's
policy decides what it shows.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

HERE = Path(__file__).resolve().parent
STATIC = {"topology.js": "text/javascript", "topology.css": "text/css"}

router = APIRouter(tags=["tessera-web"], include_in_schema=False)


@router.get("/tessera/topology")
def page() -> Response:
    return FileResponse(HERE / "topology.html", media_type="text/html",
                        headers={"Cache-Control": "no-cache"})


@router.get("/tessera/static/{name}")
def static(name: str) -> Response:
    if name not in STATIC:
        return Response(status_code=404)
    return FileResponse(HERE / name, media_type=STATIC[name],
                        headers={"Cache-Control": "no-cache"})


__all__ = ["router"]
