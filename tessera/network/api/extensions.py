"""`/v2.0/extensions`: the Networking API extensions Tessera's subset implements (the
CLI and SDK ask before using some attributes)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tessera.api import errors as api_errors

router = APIRouter()

EXTENSIONS = (
    ("binding", "Port Binding", "Expose port bindings of a virtual port to external "
     "application"),
    ("provider", "Provider Network", "Expose mapping of virtual networks to physical "
     "networks"),
    ("security-group", "security-group", "The security groups extension."),
    ("external-net", "Neutron external network", "Adds external network attribute to "
     "network resource."),
    ("standard-attr-description", "standard-attr-description", "Extension to add "
     "descriptions to standard attributes"),
)


def _view(alias: str, name: str, description: str) -> dict[str, Any]:
    return {"alias": alias, "name": name, "description": description, "links": [],
            "updated": "2025-01-01T00:00:00-00:00"}


@router.get("/extensions", summary="List extensions")
def list_extensions() -> dict[str, Any]:
    return {"extensions": [_view(*e) for e in EXTENSIONS]}


@router.get("/extensions/{alias}", summary="Show an extension")
def show_extension(alias: str) -> dict[str, Any]:
    for ext in EXTENSIONS:
        if ext[0] == alias:
            return {"extension": _view(*ext)}
    raise api_errors.NotFound("Extension with alias %s does not exist" % alias)
