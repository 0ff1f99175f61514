"""Reading and writing layers: `read` any supported file into EPSG:4326 with a report."""

from geomon.io.formats import READABLE_SUFFIXES
from geomon.io.read import ReadResult, read

__all__ = ["READABLE_SUFFIXES", "ReadResult", "read"]
