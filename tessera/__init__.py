"""Tessera: a lean OpenStack-compatible compute control plane with NFV-grade placement."""

__version__ = "0.1.0"
