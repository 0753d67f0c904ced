"""Flavors (with extra specs) and image metadata: what a server is asked to be."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tessera.objects.base import TesseraObject


class Flavor(TesseraObject):
    flavorid: str
    name: str
    vcpus: int = Field(ge=1)
    memory_mb: int = Field(ge=1)
    root_gb: int = Field(default=0, ge=0)
    ephemeral_gb: int = Field(default=0, ge=0)
    swap: int = Field(default=0, ge=0)
    rxtx_factor: float = 1.0
    is_public: bool = True
    disabled: bool = False
    description: str | None = None
    extra_specs: dict[str, str] = Field(default_factory=dict)

    def as_numa_flavor(self) -> dict[str, Any]:
        """The mapping `tessera.numa.constraints.build_request` reads."""
        return {"name": self.name, "vcpus": self.vcpus, "memory_mb": self.memory_mb,
                "extra_specs": dict(self.extra_specs)}


class ImageMeta(TesseraObject):
    id: str | None = None
    name: str | None = None
    status: str = "active"
    disk_format: str | None = None
    container_format: str | None = None
    size: int | None = None
    min_ram: int = 0
    min_disk: int = 0
    properties: dict[str, Any] = Field(default_factory=dict)

    def as_numa_image(self) -> dict[str, Any]:
        return {"name": self.name, "properties": dict(self.properties)}
