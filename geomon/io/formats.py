"""The files geomon reads, by suffix: one table for the reader, the upload limits and the app.

`geomon.io.read` dispatches on it, `geomon.io.limits` accepts every suffix in it by default,
and the app's file uploaders offer exactly `READABLE_SUFFIXES`, so a file the app lets a user
pick is one the reader can read.
"""

from __future__ import annotations

LEDGER_SUFFIXES: dict[str, bool] = {".csv": False, ".txt": False, ".xlsx": True, ".xlsm": True}
"""Ledgers (`geomon.io.tabular`); the value says whether the file is an Excel workbook."""
VECTOR_SUFFIXES: tuple[str, ...] = (".geojson", ".json", ".gpkg", ".zip", ".shp", ".kml", ".kmz")
"""Vector formats GDAL reads (a ``.zip`` holds a Shapefile; a lone ``.shp`` is refused with
the advice to zip its parts)."""
READABLE_SUFFIXES: tuple[str, ...] = (*VECTOR_SUFFIXES, *LEDGER_SUFFIXES)
"""Every suffix `geomon.io.read` reads, lower case with the dot."""
