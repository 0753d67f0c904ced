"""Tessera: a lean OpenStack-compatible compute control plane with NFV-grade placement."""

import warnings

__version__ = "0.1.0"

# oslo.messaging imports oslo.service, which imports eventlet only to warn that it is
# deprecated; Tessera runs on threads and never monkey-patches, so the warning is noise.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
