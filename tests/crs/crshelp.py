"""Worked values shared by the tests of geomon.crs (shared/DOMAIN.md §5)."""

from __future__ import annotations

import numpy as np
from pyproj import Geod

GEOD = Geod(ellps="WGS84")

# DOMAIN §5.1 worked example: Qianjiang, CGCS2000 3° GK zone 38 / CM 114°E.
QJ_LON, QJ_LAT = 112.896, 30.402
QJ_E_PREFIXED = 38_393_907.86  # EPSG:4526
QJ_E = 393_907.86  # EPSG:4547
QJ_N = 3_365_194.74

# A grid across China (DOMAIN §5.1: lon 73–135, lat 3–54), used by the round-trip tests.
GRID_LON, GRID_LAT = (
    a.ravel() for a in np.meshgrid(np.arange(74.0, 135.0, 4.0), np.arange(4.0, 54.0, 3.0))
)


def metres(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    args = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (lon1, lat1, lon2, lat2)))
    return np.asarray(GEOD.inv(*args)[2])
