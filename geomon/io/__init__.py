"""Reading and writing layers: `read` any supported file into EPSG:4326 with a report."""

from geomon.io.read import ReadResult, read

__all__ = ["ReadResult", "read"]
