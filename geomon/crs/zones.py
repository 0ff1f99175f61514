"""Gauss–Krüger zone tables and arithmetic, and plausibility masks for coordinates in China.

The zone numbers, central meridians and EPSG codes of the CM-only GK tables (DOMAIN §5.1), the
plane geomon measures on (`metric_crs_for`), and masks that spot swapped axes or metres
declared as degrees.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pyproj

from geomon.crs.offsets import BoolArray, FloatArray, float_pair
from geomon.errors import CRSError
from geomon.messages import message

# DOMAIN §5.1: the first code of each "CM only" GK table, and the zones covering China.
GK_CM_FIRST_EPSG = {
    ("cgcs2000", "6"): 4502, ("cgcs2000", "3"): 4534, ("xian80", "6"): 2338,
    ("xian80", "3"): 2370, ("beijing54", "6"): 21453, ("beijing54", "3"): 2422,
}  # fmt: skip
GK_ZONES = {"6": (13, 23), "3": (25, 45)}  # zones covering China; ranges do not overlap
CM_RANGE = (75, 135)  # central meridians of EPSG:4534–4554 and the other CM-only tables
ZONE_PREFIX = 1_000_000.0  # a GK easting >= 1e6 carries the zone number as floor(E / 1e6)

_CHINA_LON = (73.0, 135.0)
_CHINA_LAT = (3.0, 54.0)
_DEGREE_LIMIT = 1_000.0  # no degree exceeds 360; GK/UTM metres in China are >= ~1e5


def _between(v: FloatArray, bounds: tuple[float, float]) -> BoolArray:
    return (v >= bounds[0]) & (v <= bounds[1])


def looks_swapped(lon: npt.ArrayLike, lat: npt.ArrayLike) -> BoolArray:
    """Flag pairs whose lon is a Chinese latitude and lat a Chinese longitude (3–54, 73–135)."""
    x, y = float_pair(lon, lat)
    plausible = _between(x, _CHINA_LON) & _between(y, _CHINA_LAT)
    return _between(x, _CHINA_LAT) & _between(y, _CHINA_LON) & ~plausible


def looks_projected(x: npt.ArrayLike, y: npt.ArrayLike) -> BoolArray:
    """Flag pairs where both values are far beyond any degree (metres declared as degrees)."""
    a, b = float_pair(x, y)
    return (np.abs(a) > _DEGREE_LIMIT) & (np.abs(b) > _DEGREE_LIMIT)


def _finite(lon: float) -> float:
    if not math.isfinite(lon):
        msg = message(f"经度 {lon!r} 不是有效数字", f"longitude {lon!r} is not a finite number")
        raise CRSError(msg)
    return float(lon)


def gk3_zone(lon: float) -> int:
    """Return the 3° GK zone n = ⌊(lon + 1.5) / 3⌋ (central meridian 3n)."""
    return math.floor((_finite(lon) + 1.5) / 3)


def gk6_zone(lon: float) -> int:
    """Return the 6° GK zone n = ⌊lon / 6⌋ + 1 (central meridian 6n − 3)."""
    return math.floor(_finite(lon) / 6) + 1


def metric_crs_for(lon: float | npt.ArrayLike) -> pyproj.CRS:
    """
    Return the CGCS2000 3° GK CM-only CRS (EPSG:4534–4554) for the mean longitude.

    This is the plane geomon measures areas and distances on (DOMAIN §0 item 7).

    Raises
    ------
    CRSError
        If there is no finite longitude, or the central meridian is outside 75°E–135°E.
    """
    values = np.asarray(lon, dtype=float).ravel()
    if (values := values[np.isfinite(values)]).size == 0:
        msg = message(
            "没有有效经度，无法选择投影带", "no finite longitude to choose a GK zone from"
        )
        raise CRSError(msg)
    mean = float(values.mean())
    cm, (low, high) = 3 * gk3_zone(mean), CM_RANGE
    if not low <= cm <= high:
        msg = message(
            f"数据中心经度 {mean:.4f}°E 对应中央经线 {cm}°E，超出 CGCS2000 3° 带"
            f"（{low}°E–{high}°E）；请直接指定投影坐标系",
            f"data centred near {mean:.4f}°E (CM {cm}°E) is outside the CGCS2000 3° zones "
            f"({low}°E–{high}°E); pass a metric CRS explicitly",
        )
        raise CRSError(msg)
    return pyproj.CRS.from_epsg(GK_CM_FIRST_EPSG["cgcs2000", "3"] + (cm - low) // 3)
