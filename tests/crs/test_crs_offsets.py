"""geomon.crs.offsets: GCJ-02 and BD-09 to and from WGS84.

The GCJ-02 shift of ~616 m at Qianjiang comes from shared/DOMAIN.md §5.2.
"""

from __future__ import annotations

import numpy as np
import pytest
from crshelp import GRID_LAT, GRID_LON, QJ_LAT, QJ_LON, metres
from hypothesis import given, settings
from hypothesis import strategies as st

from geomon import crs

# --- GCJ-02 and BD-09 (DOMAIN §5.2) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("lon", "lat", "expected_m"),
    [
        pytest.param(QJ_LON, QJ_LAT, 616.0, id="qianjiang-616m"),
        pytest.param(116.391, 39.907, 556.0, id="beijing-556m"),
    ],
)
def test_gcj_forward_shift(lon: float, lat: float, expected_m: float) -> None:
    gcj_lon, gcj_lat = crs.wgs84_to_gcj02(lon, lat)
    shift = metres(lon, lat, gcj_lon, gcj_lat)
    assert 500 < shift < 700
    assert shift == pytest.approx(expected_m, abs=1.0)


def test_gcj_round_trip_over_china_grid() -> None:
    gcj_lon, gcj_lat = crs.wgs84_to_gcj02(GRID_LON, GRID_LAT)
    lon, lat = crs.gcj02_to_wgs84(gcj_lon, gcj_lat)
    error = metres(GRID_LON, GRID_LAT, lon, lat)
    assert error.max() <= 0.5
    assert error.max() < 0.001  # iterative; the one-step inverse errs by up to 4.4 m


@pytest.mark.parametrize(
    ("forward", "inverse"),
    [
        pytest.param(crs.wgs84_to_bd09, crs.bd09_to_wgs84, id="wgs84-bd09"),
        pytest.param(crs.gcj02_to_bd09, crs.bd09_to_gcj02, id="gcj02-bd09"),
    ],
)
def test_bd09_round_trip_over_china_grid(forward: object, inverse: object) -> None:
    bd_lon, bd_lat = forward(GRID_LON, GRID_LAT)  # type: ignore[operator]
    lon, lat = inverse(bd_lon, bd_lat)  # type: ignore[operator]
    assert metres(GRID_LON, GRID_LAT, lon, lat).max() <= 0.5


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        pytest.param(2.35, 48.85, id="paris"),
        pytest.param(139.69, 35.69, id="tokyo-east-of-box"),
        pytest.param(-74.0, 40.7, id="new-york"),
        pytest.param(100.0, 0.5, id="south-of-box"),
    ],
)
def test_gcj_is_identity_outside_china(lon: float, lat: float) -> None:
    assert crs.wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert crs.gcj02_to_wgs84(lon, lat) == (lon, lat)


def test_gcj_keeps_shape_and_nan() -> None:
    lon, lat = crs.wgs84_to_gcj02(np.array([[QJ_LON, np.nan]]), np.array([[QJ_LAT, 30.0]]))
    assert lon.shape == (1, 2)
    assert np.isnan(lon[0, 1]) and lat[0, 1] == 30.0


@settings(max_examples=200, deadline=None)
@given(
    lon=st.floats(min_value=72.004, max_value=137.8347),
    lat=st.floats(min_value=0.8293, max_value=55.8271),
)
def test_gcj_round_trip_property(lon: float, lat: float) -> None:
    back_lon, back_lat = crs.gcj02_to_wgs84(*crs.wgs84_to_gcj02(lon, lat))
    assert metres(lon, lat, back_lon, back_lat) <= 0.5
