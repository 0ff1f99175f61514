"""geomon.crs.zones: GK zone numbers, the metric CRS, and the plausibility masks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from crshelp import QJ_E, QJ_E_PREFIXED, QJ_LAT, QJ_LON, QJ_N
from pyproj import CRS

from geomon import crs
from geomon.errors import CRSError

# --- Plausibility masks -------------------------------------------------------------------------


MASK_POINTS = [  # (lon, lat) with (in_china, looks_swapped, looks_projected)
    pytest.param(QJ_LON, QJ_LAT, (True, False, False), id="qianjiang"),
    pytest.param(109.5, 18.25, (True, False, False), id="sanya"),
    pytest.param(112.9, 9.5, (True, False, False), id="south-china-sea"),
    pytest.param(72.004, 30.0, (True, False, False), id="west-edge-inclusive"),
    pytest.param(QJ_LAT, QJ_LON, (False, True, False), id="qianjiang-swapped"),
    pytest.param(50.0, 80.0, (False, True, False), id="swapped-north-west"),
    pytest.param(30.0, 30.0, (False, False, False), id="both-latitudes"),
    pytest.param(2.35, 48.85, (False, False, False), id="paris"),
    pytest.param(QJ_E, QJ_N, (False, False, True), id="gk-metres"),
    pytest.param(QJ_E_PREFIXED, QJ_N, (False, False, True), id="gk-prefixed-metres"),
    pytest.param(1200.0, 30.0, (False, False, False), id="one-bad-value-is-not-projected"),
    pytest.param(np.nan, 30.0, (False, False, False), id="nan"),
]


@pytest.mark.parametrize(("lon", "lat", "expected"), MASK_POINTS)
def test_masks(lon: float, lat: float, expected: tuple[bool, bool, bool]) -> None:
    got = (crs.in_china(lon, lat), crs.looks_swapped(lon, lat), crs.looks_projected(lon, lat))
    assert tuple(bool(g) for g in got) == expected


def test_masks_are_vectorised() -> None:
    lon, lat = np.array([QJ_LON, QJ_LAT, QJ_E]), np.array([QJ_LAT, QJ_LON, QJ_N])
    assert crs.in_china(lon, lat).tolist() == [True, False, False]
    assert crs.looks_swapped(lon, lat).tolist() == [False, True, False]
    assert crs.looks_projected(lon, lat).tolist() == [False, False, True]


# --- Zones and the metric CRS --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lon", "zone3", "zone6"),
    [
        pytest.param(QJ_LON, 38, 19, id="qianjiang"),
        pytest.param(120.15, 40, 21, id="hangzhou"),
        pytest.param(73.5, 25, 13, id="west-china"),
        pytest.param(134.9, 45, 23, id="east-china"),
        pytest.param(115.5, 39, 20, id="3deg-boundary-goes-east"),
    ],
)
def test_gk_zones(lon: float, zone3: int, zone6: int) -> None:
    assert (crs.gk3_zone(lon), crs.gk6_zone(lon)) == (zone3, zone6)


def test_gk_zone_rejects_nan() -> None:
    with pytest.raises(CRSError, match=r"longitude nan is not a finite number"):
        crs.gk3_zone(math.nan)


@pytest.mark.parametrize(
    ("lon", "epsg"),
    [
        pytest.param(120.15, 4549, id="hangzhou"),
        pytest.param(112.9, 4547, id="qianjiang"),
        pytest.param(np.array([112.5, 113.3, np.nan]), 4547, id="mean-of-array"),
        pytest.param(75.0, 4534, id="first-zone"),
        pytest.param(135.0, 4554, id="last-zone"),
    ],
)
def test_metric_crs_for(lon: float | np.ndarray, epsg: int) -> None:
    assert crs.metric_crs_for(lon) == CRS.from_epsg(epsg)


@pytest.mark.parametrize(
    ("lon", "match"),
    [
        pytest.param(72.0, r"72\.0000°E \(CM 72°E\) is outside .*75°E–135°E", id="west"),
        pytest.param(137.0, r"CM 138°E\) is outside", id="east"),
        pytest.param(np.array([np.nan]), r"no finite longitude", id="all-nan"),
    ],
)
def test_metric_crs_for_errors(lon: float | np.ndarray, match: str) -> None:
    with pytest.raises(CRSError, match=match):
        crs.metric_crs_for(lon)
