"""Coordinate systems: say what the data are in, and bring them to WGS84 lon/lat (EPSG:4326).

Every frame inside geomon is EPSG:4326 (lon, lat). This package is the one place that knows the
Chinese datums, the Gauss–Krüger (GK) zone tables and the GCJ-02 / BD-09 offsets
(shared/DOMAIN.md §5). EPSG GK CRSs are northing-first, so every transformer here is built with
``always_xy=True`` (DOMAIN §0 item 6): ``x`` is always the easting or longitude.

CGCS2000 goes to WGS84 with PROJ's "ballpark" identity; the real difference is centimetres to
decimetres (DOMAIN §5.1), negligible for a web map.

`source` resolves what the data are in and converts to WGS84, `offsets` holds GCJ-02 / BD-09
and `zones` the GK zone arithmetic and plausibility masks; everything is used as ``crs.<name>``.
"""

from geomon.crs.offsets import (
    BoolArray,
    FloatArray,
    Pair,
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_china,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from geomon.crs.source import (
    ACCEPTED_FORMS,
    WGS84,
    Datum,
    Family,
    SourceCRS,
    geometries_to_wgs84,
    resolve,
    to_wgs84,
    xy_to_lonlat,
)
from geomon.crs.zones import gk3_zone, gk6_zone, looks_projected, looks_swapped, metric_crs_for

__all__ = [
    "ACCEPTED_FORMS",
    "WGS84",
    "BoolArray",
    "Datum",
    "Family",
    "FloatArray",
    "Pair",
    "SourceCRS",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "geometries_to_wgs84",
    "gk3_zone",
    "gk6_zone",
    "in_china",
    "looks_projected",
    "looks_swapped",
    "metric_crs_for",
    "resolve",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
    "xy_to_lonlat",
]
