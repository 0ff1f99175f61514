"""GCJ-02 ("火星坐标", AMap and Tencent) and BD-09 (Baidu) offsets ⇄ WGS84 (DOMAIN §5.2).

The forward shifts are the published formulas; the inverses iterate against them, so a round
trip is exact to 1e-9° inside the China box.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Pair = tuple[FloatArray, FloatArray]

_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323
_GCJ_BOX = (72.004, 137.8347, 0.8293, 55.8271)  # lon min, lon max, lat min, lat max
_X_PI = math.pi * 3000.0 / 180.0
_INVERSE_TOL_DEG = 1e-9
_INVERSE_MAX_ITER = 10


def float_pair(lon: npt.ArrayLike, lat: npt.ArrayLike) -> Pair:
    """`lon` and `lat` as float arrays of one (broadcast) shape, copies the caller may change."""
    a, b = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return a.copy(), b.copy()


def _in_box(lon: FloatArray, lat: FloatArray, margin: float = 0.0) -> BoolArray:
    lon_min, lon_max, lat_min, lat_max = _GCJ_BOX
    inside_lon = (lon >= lon_min - margin) & (lon <= lon_max + margin)
    return inside_lon & (lat >= lat_min - margin) & (lat <= lat_max + margin)


def in_china(lon: npt.ArrayLike, lat: npt.ArrayLike) -> BoolArray:
    """Return where the GCJ-02 box applies (includes the South China Sea; NaN is False)."""
    return _in_box(*float_pair(lon, lat))


def _gcj_shift(lon: FloatArray, lat: FloatArray) -> Pair:
    """Apply the GCJ-02 formula everywhere (no box): the forward map of the iteration."""
    x, y, pi = lon - 105.0, lat - 35.0, math.pi
    common = (20 * np.sin(6 * pi * x) + 20 * np.sin(2 * pi * x)) * 2 / 3
    dlat = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x)) + common
    dlat += (20 * np.sin(pi * y) + 40 * np.sin(pi * y / 3)) * 2 / 3
    dlat += (160 * np.sin(pi * y / 12) + 320 * np.sin(pi * y / 30)) * 2 / 3
    dlon = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x)) + common
    dlon += (20 * np.sin(pi * x) + 40 * np.sin(pi * x / 3)) * 2 / 3
    dlon += (150 * np.sin(pi * x / 12) + 300 * np.sin(pi * x / 30)) * 2 / 3
    phi = np.radians(lat)
    m = 1 - _KRASOVSKY_EE * np.sin(phi) ** 2
    dlat = dlat * 180 / ((_KRASOVSKY_A * (1 - _KRASOVSKY_EE) / (m * np.sqrt(m))) * pi)
    dlon = dlon * 180 / ((_KRASOVSKY_A / np.sqrt(m)) * np.cos(phi) * pi)
    return lon + dlon, lat + dlat


def _invert(forward: Callable[[FloatArray, FloatArray], Pair], g: Pair, start: Pair) -> Pair:
    """Solve forward(w) = g by w ← w − (forward(w) − g); the one-step inverse errs by metres."""
    wx, wy = start
    for _ in range(_INVERSE_MAX_ITER):
        fx, fy = forward(wx, wy)
        dx, dy = fx - g[0], fy - g[1]
        wx, wy = wx - dx, wy - dy
        if not ((np.abs(dx) >= _INVERSE_TOL_DEG) | (np.abs(dy) >= _INVERSE_TOL_DEG)).any():
            break
    return wx, wy


def wgs84_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> Pair:
    """Shift WGS84 to GCJ-02 (AMap, Tencent); identity outside the China box."""
    x, y = float_pair(lon, lat)
    inside = _in_box(x, y)
    x[inside], y[inside] = _gcj_shift(x[inside], y[inside])
    return x, y


def gcj02_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> Pair:
    """
    Undo the GCJ-02 shift iteratively (to < 1e-9°, at most 10 steps).

    The forward shift jumps at the box edge, so the iteration uses the formula without the box
    and keeps the answer only where it lies inside the box; elsewhere the point is unchanged.
    This makes WGS84 → GCJ-02 → WGS84 exact for every point of the box.
    """
    x, y = float_pair(lon, lat)
    near = _in_box(x, y, margin=0.1)  # the shift is < 0.01°; skip far-away points
    g = (x[near], y[near])
    wx, wy = _invert(_gcj_shift, g, g)
    keep = _in_box(wx, wy, margin=_INVERSE_TOL_DEG)  # a point on the edge may land 1e-12 out
    x[near], y[near] = np.where(keep, wx, g[0]), np.where(keep, wy, g[1])
    return x, y


def gcj02_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> Pair:
    """Shift GCJ-02 to BD-09 (Baidu), applied everywhere as in DOMAIN §5.2."""
    x, y = float_pair(lon, lat)
    z = np.hypot(x, y) + 2e-5 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 3e-6 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> Pair:
    """Undo BD-09: the approximate closed-form inverse, refined against the forward formula."""
    x, y = float_pair(lon, lat)
    u, v = x - 0.0065, y - 0.006
    z = np.hypot(u, v) - 2e-5 * np.sin(v * _X_PI)
    theta = np.arctan2(v, u) - 3e-6 * np.cos(u * _X_PI)
    return _invert(gcj02_to_bd09, (x, y), (z * np.cos(theta), z * np.sin(theta)))


def wgs84_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> Pair:
    """Shift WGS84 to BD-09 (via GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> Pair:
    """Undo BD-09 back to WGS84 (via GCJ-02), both steps iterative."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
