"""geomon: water-environment monitoring layers, rules and maps.

The public API a notebook user needs: read a file for a layer, validate it (module
`geomon.validate`), open a store,
import into it and export from it. Everything is in EPSG:4326 (lon, lat) inside geomon.
"""

from __future__ import annotations

from geomon.errors import (
    CRSError,
    GeomonError,
    LayerSpecError,
    ReadError,
    StoreError,
    ValidationError,
)
from geomon.importer import ImportResult, import_file
from geomon.io import ReadResult, read
from geomon.io.export import export, export_bytes
from geomon.messages import Issue, ValidationReport
from geomon.specs import LayerSpec, get_spec, load_spec, load_specs
from geomon.store import Store, open_store
from geomon.validate import Validated

__all__ = [
    "CRSError",
    "GeomonError",
    "ImportResult",
    "Issue",
    "LayerSpec",
    "LayerSpecError",
    "ReadError",
    "ReadResult",
    "Store",
    "StoreError",
    "Validated",
    "ValidationError",
    "ValidationReport",
    "__version__",
    "export",
    "export_bytes",
    "get_spec",
    "import_file",
    "load_spec",
    "load_specs",
    "open_store",
    "read",
]
__version__ = "0.1.0"
