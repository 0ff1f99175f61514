"""geomon.crs.source: resolving what coordinates are in, and converting them to WGS84.

Worked values come from shared/DOMAIN.md §5.1: the Qianjiang example ([calc] with pyproj 3.7.2).
Distances are measured with pyproj.Geod.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from crshelp import QJ_E, QJ_E_PREFIXED, QJ_LAT, QJ_LON, QJ_N, metres
from geopandas.testing import assert_geodataframe_equal
from pyproj import CRS, Transformer
from shapely import LineString, MultiPolygon, Point, Polygon, box, from_wkt, get_coordinates

from geomon import crs
from geomon.errors import CRSError

# --- DOMAIN §5.1 worked example ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "easting"),
    [
        pytest.param(4526, QJ_E_PREFIXED, id="epsg-4526-prefixed"),
        pytest.param("EPSG:4547", QJ_E, id="epsg-4547-cm"),
        pytest.param("gk3", QJ_E_PREFIXED, id="gk3-auto-zone"),
        pytest.param("gk3:38", QJ_E_PREFIXED, id="gk3-zone38-prefixed"),
        pytest.param("gk3:38", QJ_E, id="gk3-zone38-unprefixed"),
        pytest.param("gk3:cm114", QJ_E, id="gk3-cm114"),
        pytest.param("gk3:114", QJ_E_PREFIXED, id="gk3-114-prefixed"),
    ],
)
def test_qianjiang_gk_to_lonlat(source: str | int, easting: float) -> None:
    lon, lat = crs.xy_to_lonlat(easting, QJ_N, source)
    assert float(lon) == pytest.approx(QJ_LON, abs=1e-7)
    assert float(lat) == pytest.approx(QJ_LAT, abs=1e-7)


@pytest.mark.parametrize(
    ("source", "easting"),
    [
        pytest.param(4526, QJ_E_PREFIXED, id="epsg-4526"),
        pytest.param("gk3:38", QJ_E, id="gk3-zone38-is-epsg-4547"),
    ],
)
def test_qianjiang_lonlat_to_gk(source: str | int, easting: float) -> None:
    target = crs.resolve(source).crs
    assert target is not None
    x, y = Transformer.from_crs(4326, target, always_xy=True).transform(QJ_LON, QJ_LAT)
    assert x == pytest.approx(easting, abs=0.01)
    assert y == pytest.approx(QJ_N, abs=0.01)


def test_gk_auto_handles_mixed_zones_and_nan() -> None:
    # Hangzhou (3° zone 40), Qianjiang (3° zone 38), Urumqi (3° zone 29), Chengdu (6° zone 18).
    lon = np.array([120.15, QJ_LON, 87.6, 104.07, np.nan])
    lat = np.array([30.27, QJ_LAT, 43.8, 30.67, np.nan])
    epsg = [4513 + 40 - 25, 4513 + 38 - 25, 4513 + 29 - 25, 4491 + 18 - 13]  # DOMAIN §5.1
    easting, northing = np.full(5, np.nan), np.full(5, np.nan)
    for i, code in enumerate(epsg):
        to_gk = Transformer.from_crs(4326, code, always_xy=True)
        easting[i], northing[i] = to_gk.transform(lon[i], lat[i])
    assert np.floor(easting[:4] / 1e6).tolist() == [40, 38, 29, 18]

    got_lon, got_lat = crs.xy_to_lonlat(easting, northing, "gk3")

    np.testing.assert_allclose(got_lon[:4], lon[:4], atol=1e-7)
    np.testing.assert_allclose(got_lat[:4], lat[:4], atol=1e-7)
    assert np.isnan(got_lon[4]) and np.isnan(got_lat[4])


@pytest.mark.parametrize(
    ("source", "x", "y", "match"),
    [
        pytest.param("gk3", QJ_E, QJ_N, r"393907\.86 .*no zone prefix.*'gk3:38'", id="no-prefix"),
        pytest.param(
            "gk6", 24_500_000.0, QJ_N, r"24500000\.00 .*no GK zone in China", id="zone-24"
        ),
        pytest.param("gk3", QJ_N, QJ_E_PREFIXED, r"looks swapped", id="swapped-columns"),
        pytest.param(
            "gk3:39", QJ_E_PREFIXED, QJ_N, r"other than the given zone 39", id="wrong-zone"
        ),
    ],
)
def test_gk_prefix_errors(source: str, x: float, y: float, match: str) -> None:
    with pytest.raises(CRSError, match=match):
        crs.xy_to_lonlat([x], [y], source)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("wgs84", id="wgs84"),
        pytest.param("gk3:38", id="gk-fixed"),
        pytest.param("gk3", id="gk-auto"),
        pytest.param("gcj02", id="gcj02"),
        pytest.param("bd09", id="bd09"),
    ],
)
def test_xy_to_lonlat_nan_in_nan_out(source: str) -> None:
    lon, lat = crs.xy_to_lonlat([np.nan, 1.0, np.inf], [1.0, np.nan, 1.0], source)
    assert np.isnan(lon).all() and np.isnan(lat).all()


def test_xy_to_lonlat_gcj_source_undoes_the_shift() -> None:
    gcj_lon, gcj_lat = crs.wgs84_to_gcj02(QJ_LON, QJ_LAT)
    lon, lat = crs.xy_to_lonlat([gcj_lon], [gcj_lat], "amap")
    assert metres(lon, lat, QJ_LON, QJ_LAT)[0] < 0.001


# --- resolve() --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind", "epsg", "gk", "datum", "zone"),
    [
        pytest.param(None, "proj", 4326, None, "wgs84", None, id="none-default"),
        pytest.param(4490, "proj", 4490, None, "cgcs2000", None, id="int"),
        pytest.param("EPSG:4490", "proj", 4490, None, "cgcs2000", None, id="epsg-colon"),
        pytest.param("epsg 4547", "proj", 4547, None, "cgcs2000", None, id="epsg-space"),
        pytest.param("4526", "proj", 4526, None, "cgcs2000", None, id="digits"),
        pytest.param("WGS 84", "proj", 4326, None, "wgs84", None, id="wgs84"),
        pytest.param("cgcs_2000", "proj", 4490, None, "cgcs2000", None, id="cgcs2000"),
        pytest.param("gcj02", "gcj02", None, None, "wgs84", None, id="gcj02"),
        pytest.param("GCJ-02", "gcj02", None, None, "wgs84", None, id="gcj-02"),
        pytest.param("AMap", "gcj02", None, None, "wgs84", None, id="amap"),
        pytest.param("tencent", "gcj02", None, None, "wgs84", None, id="tencent"),
        pytest.param("高德", "gcj02", None, None, "wgs84", None, id="gaode-zh"),
        pytest.param("bd09", "bd09", None, None, "wgs84", None, id="bd09"),
        pytest.param("BD-09", "bd09", None, None, "wgs84", None, id="bd-09"),
        pytest.param("Baidu", "bd09", None, None, "wgs84", None, id="baidu"),
        pytest.param("gk3", "proj", None, "3", "cgcs2000", None, id="gk3-auto"),
        pytest.param("GK6", "proj", None, "6", "cgcs2000", None, id="gk6-auto"),
        pytest.param("gk3:38", "proj", 4547, None, "cgcs2000", 38, id="gk3-zone"),
        pytest.param("GK3 38", "proj", 4547, None, "cgcs2000", 38, id="gk3-space-zone"),
        pytest.param("gk3-zone38", "proj", 4547, None, "cgcs2000", 38, id="gk3-zone-word"),
        pytest.param("gk3:cm114", "proj", 4547, None, "cgcs2000", 38, id="gk3-cm"),
        pytest.param("gk3:114", "proj", 4547, None, "cgcs2000", 38, id="gk3-bare-cm"),
        pytest.param("gk3:CM120E", "proj", 4549, None, "cgcs2000", 40, id="gk3-cm-e"),
        pytest.param("gk6:19", "proj", 4508, None, "cgcs2000", 19, id="gk6-zone"),
        pytest.param("gk6:cm111", "proj", 4508, None, "cgcs2000", 19, id="gk6-cm"),
        pytest.param("cgcs2000-gk3:38", "proj", 4547, None, "cgcs2000", 38, id="cgcs-gk3"),
        pytest.param("xian80-gk3:38", "proj", 2383, None, "xian80", 38, id="xian80-gk3"),
        pytest.param("xian80_gk6:19", "proj", 2344, None, "xian80", 19, id="xian80-gk6"),
        pytest.param("beijing54-gk6:19", "proj", 21459, None, "beijing54", 19, id="bj54-gk6"),
        pytest.param("beijing54-gk3:38", "proj", 2435, None, "beijing54", 38, id="bj54-gk3"),
        pytest.param("xian80-gk3", "proj", None, "3", "xian80", None, id="xian80-gk3-auto"),
        pytest.param("xian80", "proj", 4610, None, "xian80", None, id="xian80"),
        pytest.param("Xian 1980", "proj", 4610, None, "xian80", None, id="xian1980"),
        pytest.param("beijing54", "proj", 4214, None, "beijing54", None, id="beijing54"),
        pytest.param(2383, "proj", 2383, None, "xian80", None, id="xian80-epsg-int"),
    ],
)
def test_resolve_forms(
    value: str | int | None,
    kind: str,
    epsg: int | None,
    gk: str | None,
    datum: str,
    zone: int | None,
) -> None:
    src = crs.resolve(value)
    assert (src.kind, src.gk, src.datum, src.zone) == (kind, gk, datum, zone)
    if epsg is None:
        assert src.crs is None
    else:
        assert src.crs == CRS.from_epsg(epsg)
    assert (src.warning is not None) == (datum in ("xian80", "beijing54"))


@pytest.mark.parametrize(
    ("value", "name"),
    [
        pytest.param("gk3:38", "CGCS2000 / 3° Gauss–Krüger zone 38 (CM 114°E)", id="gk3-zone"),
        pytest.param("gk3", "CGCS2000 / 3° Gauss–Krüger, zone from the easting prefix", id="auto"),
        pytest.param("bd09", "BD-09 (Baidu)", id="bd09"),
        pytest.param("gk6:cm111", "CGCS2000 / 6° Gauss–Krüger zone 19 (CM 111°E)", id="gk6-cm"),
        pytest.param(
            "xian80-gk3:38+towgs84=1,2,3",
            "Xian 1980 / 3° Gauss–Krüger zone 38 (CM 114°E) + towgs84=1,2,3",
            id="towgs84",
        ),
        pytest.param(4547, "CGCS2000 / 3-degree Gauss-Kruger CM 114E", id="epsg-name"),
    ],
)
def test_resolve_names(value: str | int, name: str) -> None:
    assert crs.resolve(value).name == name


def test_resolve_passes_through_and_uses_default() -> None:
    src = crs.resolve("gk3:38")
    assert crs.resolve(src) is src
    assert crs.resolve(None, default="gcj02").kind == "gcj02"
    assert crs.resolve(CRS.from_epsg(4549)).crs == CRS.from_epsg(4549)
    city = crs.resolve("+proj=tmerc +lon_0=114.5 +x_0=50000 +ellps=GRS80 +units=m +type=crs")
    assert city.kind == "proj" and city.crs is not None and city.crs.is_projected


@pytest.mark.parametrize(
    ("value", "match"),
    [
        pytest.param("utm50", r"unknown CRS 'utm50'.*accepted: EPSG code", id="unknown-word"),
        pytest.param("", r"unknown CRS ''.*accepted", id="empty"),
        pytest.param(True, r"unknown CRS True", id="bool"),
        pytest.param(3.5, r"unknown CRS 3\.5", id="float"),
        pytest.param(99999, r"unknown CRS '99999'.*PROJ does not know it", id="no-such-epsg"),
        pytest.param("gk3:50", r"'gk3:50'.*3° zone must be 25–45", id="gk3-zone-50"),
        pytest.param("gk3:24", r"'gk3:24'.*3° zone must be 25–45", id="gk3-zone-24"),
        pytest.param("gk3:cm116", r"3° central meridian cm75–cm135", id="gk3-cm-not-multiple"),
        pytest.param("gk6:cm114", r"6° central meridian", id="gk6-cm-114"),
        pytest.param("gk6:38", r"6° zone must be 13–23", id="gk6-zone-38"),
        pytest.param("mars-gk3:38", r"'mars-gk3:38'.*datum before 'gk'", id="bad-datum"),
        pytest.param("xian80-gk3:38+towgs84=1,2", r"3 or 7 comma-separated", id="towgs84-2"),
        pytest.param("xian80+towgs84=1,a,3", r"3 or 7 comma-separated", id="towgs84-text"),
        pytest.param("gcj02+towgs84=1,2,3", r"only follows a datum or a GK zone", id="gcj-tow"),
        pytest.param("+proj=nonsense +type=crs", r"PROJ does not know it", id="bad-proj"),
    ],
)
def test_resolve_errors(value: object, match: str) -> None:
    with pytest.raises(CRSError, match=match):
        crs.resolve(value)  # type: ignore[arg-type]


def test_resolve_error_is_bilingual() -> None:
    with pytest.raises(CRSError, match=r"^无法识别坐标系 'utm50'.* / unknown CRS 'utm50'"):
        crs.resolve("utm50")


# --- Xian80 / Beijing54 and user Helmert sets --------------------------------------------------


@pytest.mark.parametrize("value", ["xian80-gk3:38", "beijing54", 2383])
def test_old_datums_warn_about_approximate_shift(value: str | int) -> None:
    warning = crs.resolve(value).warning
    assert warning is not None
    assert "approximate" in warning and "+towgs84=dx,dy,dz,rx,ry,rz,ds" in warning


def test_towgs84_translation_moves_points_by_its_horizontal_part() -> None:
    zero = crs.resolve("xian80-gk3:38+towgs84=0,0,0,0,0,0,0")
    moved = crs.resolve("xian80-gk3:38 +towgs84=100,-50,80,0,0,0,0")
    assert moved.warning is None and moved.towgs84 == (100.0, -50.0, 80.0, 0, 0, 0, 0)
    lon0, lat0 = crs.xy_to_lonlat([QJ_E], [QJ_N], zero)
    lon1, lat1 = crs.xy_to_lonlat([QJ_E_PREFIXED], [QJ_N], moved)
    # Horizontal (east, north) part of the geocentric shift (dx, dy, dz) at the point.
    lam, phi = math.radians(QJ_LON), math.radians(QJ_LAT)
    east = -math.sin(lam) * 100 + math.cos(lam) * -50
    north = -math.sin(phi) * math.cos(lam) * 100 - math.sin(phi) * math.sin(lam) * -50
    north += math.cos(phi) * 80
    assert metres(lon0, lat0, lon1, lat1)[0] == pytest.approx(math.hypot(east, north), abs=0.01)


def test_wgs84_gk_matches_cgcs2000_gk() -> None:
    # No EPSG table for WGS84 GK: a PROJ string on the WGS84 ellipsoid (GRS80 differs by ~0.1 mm).
    src = crs.resolve("wgs84-gk3:38")
    assert src.datum == "wgs84" and src.crs is not None and src.crs.is_projected
    lon, lat = crs.xy_to_lonlat(QJ_E_PREFIXED, QJ_N, src)
    assert (float(lon), float(lat)) == pytest.approx((QJ_LON, QJ_LAT), abs=1e-7)


def test_towgs84_rotations_use_position_vector_convention() -> None:
    # Position vector: +1" about Z turns the point east by 1" of longitude (frame: west).
    src = crs.resolve("cgcs2000+towgs84=0,0,0,0,0,1,0")
    lon, lat = crs.xy_to_lonlat(QJ_LON, QJ_LAT, src)
    assert float(lon) - QJ_LON == pytest.approx(1 / 3600, abs=1e-8)
    assert float(lat) == pytest.approx(QJ_LAT, abs=1e-8)


# --- Geometries and frames -----------------------------------------------------------------------


def _qianjiang_frame() -> gpd.GeoDataFrame:
    """Geometries in EPSG:4547 around the worked point; the hole starts exactly on it."""
    outer = box(QJ_E - 1000, QJ_N - 1000, QJ_E + 1000, QJ_N + 1000)
    hole = [(QJ_E, QJ_N), (QJ_E + 200, QJ_N), (QJ_E + 200, QJ_N + 200), (QJ_E, QJ_N + 200)]
    geoms = [
        Polygon(outer.exterior.coords, [hole]),
        MultiPolygon(
            [box(QJ_E, QJ_N, QJ_E + 10, QJ_N + 10), box(QJ_E + 20, QJ_N, QJ_E + 30, QJ_N + 10)]
        ),
        LineString([(QJ_E, QJ_N), (QJ_E + 500, QJ_N + 500)]),
        Point(QJ_E, QJ_N, 42.0),
        None,
        from_wkt("POLYGON EMPTY"),
    ]
    return gpd.GeoDataFrame({"name": list("abcdef")}, geometry=geoms, crs=4547)


def test_to_wgs84_converts_every_geometry_type_and_keeps_input() -> None:
    gdf = _qianjiang_frame()
    before = gdf.copy()

    out = crs.to_wgs84(gdf)

    assert_geodataframe_equal(gdf, before)  # the input is never mutated
    assert out.crs == CRS.from_epsg(4326)
    assert out.index.equals(gdf.index) and out["name"].tolist() == list("abcdef")
    polygon = out.geometry.iloc[0]
    assert len(polygon.interiors) == 1
    np.testing.assert_allclose(polygon.interiors[0].coords[0], (QJ_LON, QJ_LAT), atol=1e-7)
    lon, lat = get_coordinates(out.geometry.dropna()).T
    assert ((lon > 112.8) & (lon < 113.0) & (lat > 30.3) & (lat < 30.5)).all()
    assert out.geometry.iloc[1].geom_type == "MultiPolygon"
    assert out.geometry.iloc[3].z == 42.0
    assert out.geometry.iloc[4] is None
    assert out.geometry.iloc[5].is_empty


def test_to_wgs84_source_overrides_missing_crs() -> None:
    gdf = gpd.GeoDataFrame(geometry=[Point(QJ_E_PREFIXED, QJ_N)])
    out = crs.to_wgs84(gdf, "gk3")
    assert out.geometry.iloc[0].x == pytest.approx(QJ_LON, abs=1e-7)
    assert out.geometry.iloc[0].y == pytest.approx(QJ_LAT, abs=1e-7)
    assert gdf.crs is None


def test_to_wgs84_without_any_crs_raises() -> None:
    with pytest.raises(CRSError, match=r"`gdf` has no CRS; pass `source=`"):
        crs.to_wgs84(gpd.GeoDataFrame(geometry=[Point(1, 2)]))


def test_geometries_to_wgs84_undoes_gcj() -> None:
    gcj = crs.wgs84_to_gcj02(QJ_LON, QJ_LAT)
    (point,) = crs.geometries_to_wgs84([Point(*gcj)], "gcj02")
    assert metres(point.x, point.y, QJ_LON, QJ_LAT) < 0.001
