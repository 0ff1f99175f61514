"""geomon: water-environment monitoring layers, rules and maps."""

from __future__ import annotations

from geomon.errors import (
    CRSError,
    GeomonError,
    LayerSpecError,
    ReadError,
    StoreError,
    ValidationError,
)
from geomon.report import Issue, ValidationReport
from geomon.specs import LayerSpec, get_spec, load_spec, load_specs

__all__ = [
    "CRSError",
    "GeomonError",
    "Issue",
    "LayerSpec",
    "LayerSpecError",
    "ReadError",
    "StoreError",
    "ValidationError",
    "ValidationReport",
    "__version__",
    "get_spec",
    "load_spec",
    "load_specs",
]
__version__ = "0.1.0"
