"""What source coordinates are in (`resolve`), and the way from there to WGS84 lon/lat.

Datums, GK zones (with or without the zone prefix in the easting), a bureau's own Helmert set,
PROJ strings, and the GCJ-02 / BD-09 offsets (`geomon.crs.offsets`) all resolve to a
`SourceCRS`; `xy_to_lonlat`, `geometries_to_wgs84` and `to_wgs84` convert with it.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from pyproj.exceptions import CRSError as ProjCRSError

from geomon.crs.offsets import BoolArray, FloatArray, Pair, bd09_to_wgs84, gcj02_to_wgs84
from geomon.crs.zones import CM_RANGE, GK_CM_FIRST_EPSG, GK_ZONES, ZONE_PREFIX
from geomon.errors import CRSError
from geomon.messages import message

Datum = Literal["cgcs2000", "wgs84", "xian80", "beijing54"]
Family = Literal["3", "6"]

WGS84 = pyproj.CRS.from_epsg(4326)

# DOMAIN §5.1: geographic EPSG per datum.
_GEOGRAPHIC_EPSG = {"cgcs2000": 4490, "wgs84": 4326, "xian80": 4610, "beijing54": 4214}
_DATUM_LABEL = {"cgcs2000": "CGCS2000", "wgs84": "WGS84", "xian80": "Xian 1980",
                "beijing54": "Beijing 1954"}  # fmt: skip
_DATUM_ALIASES: dict[str, Datum] = {
    "cgcs2000": "cgcs2000", "cgcs": "cgcs2000", "wgs84": "wgs84", "wgs1984": "wgs84",
    "xian80": "xian80", "xian1980": "xian80", "西安80": "xian80", "beijing54": "beijing54",
    "beijing1954": "beijing54", "北京54": "beijing54",
}  # fmt: skip
_OFFSET_ALIASES: dict[str, Literal["gcj02", "bd09"]] = {
    "gcj02": "gcj02", "amap": "gcj02", "gaode": "gcj02", "tencent": "gcj02", "高德": "gcj02",
    "腾讯": "gcj02", "bd09": "bd09", "baidu": "bd09", "百度": "bd09",
}  # fmt: skip
ACCEPTED_FORMS = (
    "EPSG code (4490, 'EPSG:4547'), 'wgs84', 'cgcs2000', 'xian80', 'beijing54', "
    "'gcj02' ('amap', 'tencent'), 'bd09' ('baidu'), 'gk3' / 'gk6' (zone from the easting "
    "prefix), 'gk3:38' (zone), 'gk3:cm114' or 'gk3:114' (central meridian), 'xian80-gk3:38', "
    "'beijing54-gk6:19', '<any of these>+towgs84=dx,dy,dz,rx,ry,rz,ds', a '+proj=…' string"
)
_GK_RE = re.compile(r"^(?P<datum>.*?)gk(?P<family>[36])(?::(?:zone)?(?P<cm>cm)?(?P<num>\d+)e?)?$")
_EPSG_RE = re.compile(r"^(?:epsg:?)?(?P<code>\d+)$")


@dataclass(frozen=True, slots=True)
class SourceCRS:
    """What the coordinates of a source are in, as understood by `xy_to_lonlat`.

    ``kind == "proj"`` with ``crs`` None means a GK family whose zone is read per point from the
    easting prefix (``gk`` says which family was asked for). ``zone`` is set for a fixed GK zone:
    ``crs`` is then the CM-only CRS and a matching ``zone × 1e6`` prefix is stripped, so prefixed
    and unprefixed eastings both work. ``towgs84`` holds a user-supplied Helmert set.
    """

    kind: Literal["proj", "gcj02", "bd09"]
    crs: pyproj.CRS | None
    name: str
    gk: Family | None = None
    datum: str = "cgcs2000"
    warning: str | None = None
    zone: int | None = None
    towgs84: tuple[float, ...] | None = None


def _unknown(value: object, zh: str, en: str) -> str:
    """Return the bilingual "unknown CRS" message, naming the value and what to do."""
    return message(f"无法识别坐标系 {value!r}：{zh}", f"unknown CRS {value!r}: {en}")


def _cm(family: str, zone: int) -> int:
    return 3 * zone if family == "3" else 6 * zone - 3  # DOMAIN §5.1


def _label(towgs84: tuple[float, ...] | None) -> str:
    return f" + towgs84={','.join(f'{p:g}' for p in towgs84)}" if towgs84 else ""


def _datum_warning(datum: str) -> str | None:
    if datum not in ("xian80", "beijing54"):
        return None
    label = _DATUM_LABEL[datum]
    return message(
        f"{label} 到 WGS84 在 PROJ 中只有近似（概略或区域）转换，误差可达数十米；"
        "如有本单位的七参数，请写成 '…+towgs84=dx,dy,dz,rx,ry,rz,ds'",
        f"PROJ only knows an approximate (ballpark or regional) {label} → WGS84 shift, off by "
        "tens of metres; pass your bureau's 7-parameter set as '…+towgs84=dx,dy,dz,rx,ry,rz,ds'",
    )


def _bound_crs(datum: str, towgs84: tuple[float, ...], cm: int | None = None) -> pyproj.CRS:
    """Build a CRS bound to WGS84 by `towgs84`; the ellipsoid comes from the EPSG database."""
    ellps = pyproj.CRS.from_epsg(_GEOGRAPHIC_EPSG[datum]).ellipsoid
    assert ellps is not None  # every datum in the table has one
    proj = "+proj=longlat" if cm is None else f"+proj=tmerc +lon_0={cm} +k=1 +x_0=500000 +y_0=0"
    return pyproj.CRS.from_proj4(
        f"{proj} +a={ellps.semi_major_metre!r} +rf={ellps.inverse_flattening!r} "
        f"+towgs84={','.join(repr(p) for p in towgs84)} +no_defs +type=crs"
    )


@functools.lru_cache(maxsize=128)
def _gk_crs(datum: str, family: str, zone: int, towgs84: tuple[float, ...] | None) -> pyproj.CRS:
    """Return the CM-only GK CRS of a zone: the EPSG table, or a PROJ string if bound."""
    if towgs84 is None and datum != "wgs84":
        return pyproj.CRS.from_epsg(GK_CM_FIRST_EPSG[datum, family] + zone - GK_ZONES[family][0])
    return _bound_crs(datum, towgs84 or (0.0, 0.0, 0.0), _cm(family, zone))


def _from_pyproj(crs: pyproj.CRS) -> SourceCRS:
    name = crs.datum.name if crs.datum is not None else ""
    known: dict[str, Datum] = {"China 2000": "cgcs2000", "Xian 1980": "xian80"}
    datum = known.get(name, "beijing54" if name == "Beijing 1954" else "wgs84")
    return SourceCRS("proj", crs, crs.name, datum=datum, warning=_datum_warning(datum))


def _from_user_input(value: str, text: str) -> SourceCRS:
    try:
        return _from_pyproj(pyproj.CRS.from_user_input(text))
    except ProjCRSError as exc:
        msg = _unknown(value, "PROJ 无法识别", f"PROJ does not know it ({exc})")
        raise CRSError(msg) from exc


def _normalise(text: str) -> str:
    """Lower-case and drop spaces, underscores and hyphens; keep "gk3 38" as "gk3:38"."""
    key = re.sub(r"(gk[36])[\s_\-]+(?=(?:zone|cm)?\d)", r"\1:", text.strip().lower())
    return re.sub(r"[\s_\-]+", "", key)


def _parse_towgs84(value: str, text: str) -> tuple[float, ...]:
    try:
        params = tuple(float(p) for p in text.split(","))
    except ValueError:
        params = ()
    if len(params) not in (3, 7) or not all(math.isfinite(p) for p in params):
        msg = _unknown(
            value,
            "+towgs84= 需要 3 个或 7 个数字，用逗号分隔",
            "+towgs84= needs 3 or 7 comma-separated numbers (dx,dy,dz[,rx,ry,rz,ds])",
        )
        raise CRSError(msg)
    return params


def _resolve_gk(value: str, match: re.Match[str], towgs84: tuple[float, ...] | None) -> SourceCRS:
    if match["datum"] and match["datum"] not in _DATUM_ALIASES:
        msg = _unknown(
            value,
            "大地基准应为 cgcs2000、wgs84、xian80 或 beijing54",
            "the datum before 'gk' must be cgcs2000, wgs84, xian80 or beijing54",
        )
        raise CRSError(msg)
    datum = _DATUM_ALIASES[match["datum"] or "cgcs2000"]
    family: Family = "3" if match["family"] == "3" else "6"
    label = f"{_DATUM_LABEL[datum]} / {family}° Gauss–Krüger"
    warning = None if towgs84 else _datum_warning(datum)
    if match["num"] is None:
        name = f"{label}, zone from the easting prefix{_label(towgs84)}"
        return SourceCRS("proj", None, name, family, datum, warning, towgs84=towgs84)
    num, (low, high) = int(match["num"]), GK_ZONES[family]
    zone = (num + (0 if family == "3" else 3)) // int(family)  # read num as a central meridian
    if not match["cm"] and low <= num <= high:
        zone = num
    elif not (CM_RANGE[0] <= num <= CM_RANGE[1] and _cm(family, zone) == num):
        cms = f"cm{CM_RANGE[0]}–cm{CM_RANGE[1]}"
        msg = _unknown(
            value,
            f"{family}° 带号应为 {low}–{high}，或该带宽的中央经线 {cms}",
            f"a {family}° zone must be {low}–{high}, or a {family}° central meridian {cms}",
        )
        raise CRSError(msg)
    name = f"{label} zone {zone} (CM {_cm(family, zone)}°E){_label(towgs84)}"
    crs = _gk_crs(datum, family, zone, towgs84)
    return SourceCRS("proj", crs, name, None, datum, warning, zone=zone, towgs84=towgs84)


def resolve(
    value: str | int | pyproj.CRS | SourceCRS | None, *, default: str = "wgs84"
) -> SourceCRS:
    """
    Turn what a user or a file says about coordinates into a `SourceCRS`.

    Strings are case-insensitive and ignore spaces, underscores and hyphens; the accepted forms
    are listed in `ACCEPTED_FORMS`. ``+towgs84=dx,dy,dz,rx,ry,rz,ds`` is a bureau's own Helmert
    set to WGS84 in PROJ's convention: metres, arc-seconds, ppm, **position vector** rotations
    (EPSG method 9606; negate the rotations of a coordinate-frame set, EPSG 9607).

    Raises
    ------
    CRSError
        If the value is not understood; the message names it and lists the accepted forms.
    """
    if isinstance(value, SourceCRS):
        return value
    if value is None:
        return resolve(default)
    if isinstance(value, pyproj.CRS):
        return _from_pyproj(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return _from_user_input(str(value), f"EPSG:{value}")
    if not isinstance(value, str):
        msg = _unknown(value, f"可接受：{ACCEPTED_FORMS}", f"accepted: {ACCEPTED_FORMS}")
        raise CRSError(msg)
    if (text := value.strip()).startswith("+proj="):  # a full PROJ string, e.g. a city grid
        return _from_user_input(value, text)
    parts = re.split(r"\+\s*towgs84\s*=", text, maxsplit=1, flags=re.IGNORECASE)
    towgs84 = _parse_towgs84(value, parts[1]) if len(parts) == 2 else None
    key = _normalise(parts[0])
    if (match := _GK_RE.match(key)) is not None:
        return _resolve_gk(value, match, towgs84)
    if key in _DATUM_ALIASES and towgs84 is not None:
        datum = _DATUM_ALIASES[key]
        name = f"{_DATUM_LABEL[datum]}{_label(towgs84)}"
        return SourceCRS("proj", _bound_crs(datum, towgs84), name, datum=datum, towgs84=towgs84)
    if towgs84 is not None:
        msg = _unknown(
            value,
            "+towgs84 只能跟在大地基准或高斯–克吕格带之后（如 'xian80-gk3:38+towgs84=…'）",
            "+towgs84 only follows a datum or a GK zone (e.g. 'xian80-gk3:38+towgs84=…')",
        )
        raise CRSError(msg)
    if key in _DATUM_ALIASES:
        return resolve(_GEOGRAPHIC_EPSG[_DATUM_ALIASES[key]])
    if key in _OFFSET_ALIASES:
        kind = _OFFSET_ALIASES[key]
        name = "GCJ-02 (AMap, Tencent)" if kind == "gcj02" else "BD-09 (Baidu)"
        return SourceCRS(kind, None, name, datum="wgs84")
    if (epsg := _EPSG_RE.match(key)) is not None:
        return resolve(int(epsg["code"]))
    if re.match(r"^[a-z]+:\d+$", key):  # another authority, e.g. ESRI:102100
        return _from_user_input(value, key.upper())
    msg = _unknown(value, f"可接受：{ACCEPTED_FORMS}", f"accepted: {ACCEPTED_FORMS}")
    raise CRSError(msg)


@functools.lru_cache(maxsize=128)
def _transformer(crs: pyproj.CRS) -> pyproj.Transformer:
    # Creating a transformer costs ~50 ms; pyproj >= 3.1 transformers are thread-safe.
    try:
        return pyproj.Transformer.from_crs(crs, WGS84, always_xy=True)
    except pyproj.exceptions.ProjError as exc:  # a CAD LOCAL_CS, an engineering or odd datum
        name = crs.name or crs.to_string()
        msg = message(
            f"坐标系“{name}”无法转换到 WGS84（如 CAD 的本地坐标系）；请指定来源坐标系"
            "（如 'gk3:38'、'EPSG:4547'）",
            f"CRS {name!r} cannot be transformed to WGS84 (a local/engineering CRS such as "
            f"CAD's LOCAL_CS?): {exc}; pass the source CRS (e.g. 'gk3:38', 'EPSG:4547')",
        )
        raise CRSError(msg) from exc


def _examples(values: FloatArray, mask: BoolArray) -> str:
    shown = ", ".join(f"{v:.2f}" for v in values[mask][:3])
    return f"{shown}{', …' if mask.sum() > 3 else ''} ({int(mask.sum())} value(s))"


def _gk_zones(x: FloatArray, y: FloatArray, ok: BoolArray) -> npt.NDArray[np.int64]:
    """Read the zone of each prefixed easting; raise for missing or impossible prefixes."""
    zone = np.floor(np.where(ok, x, 0.0) / ZONE_PREFIX)
    if (unprefixed := ok & (x < ZONE_PREFIX)).any():
        msg = message(
            f"东坐标 {_examples(x, unprefixed)} 没有带号前缀，无法自动判断带号；"
            "请指定带号或中央经线，如 'gk3:38' 或 'gk3:cm114'",
            f"eastings {_examples(x, unprefixed)} have no zone prefix, so the zone cannot be "
            "detected; give the zone or central meridian, e.g. 'gk3:38' or 'gk3:cm114'",
        )
        raise CRSError(msg)
    known = np.zeros(x.shape, dtype=bool)
    for low, high in GK_ZONES.values():
        known |= (zone >= low) & (zone <= high)
    if (bad := ok & ~known).any():
        swap = (y[bad] >= 1e7).any()  # DOMAIN §5.1: X of 2–6 M with Y of 10–50 M is swapped
        msg = message(
            f"东坐标 {_examples(x, bad)} 的带号前缀不是中国的高斯–克吕格带（6°：13–23，3°：25–45）"
            f"{'；东、北坐标可能填反了' if swap else ''}",
            f"eastings {_examples(x, bad)} carry a zone prefix that is no GK zone in China "
            f"(6°: 13–23, 3°: 25–45){' (looks swapped: X northing / Y easting?)' if swap else ''}"
            "; check the easting column",
        )
        raise CRSError(msg)
    return np.where(known, zone, 0).astype(np.int64)


def _strip_prefix(x: FloatArray, ok: BoolArray, zone: int) -> FloatArray:
    """Remove a ``zone × 1e6`` prefix where present; a different zone's prefix is an error."""
    prefixed = ok & (x >= ZONE_PREFIX)
    if (wrong := prefixed & (np.floor(np.where(prefixed, x, 0.0) / ZONE_PREFIX) != zone)).any():
        msg = message(
            f"东坐标 {_examples(x, wrong)} 的带号前缀与指定的 {zone} 带不符；请核对带号",
            f"eastings {_examples(x, wrong)} carry a zone prefix other than the given zone "
            f"{zone}; check the zone, or use auto-detection ('gk3' / 'gk6')",
        )
        raise CRSError(msg)
    return np.where(prefixed, x - zone * ZONE_PREFIX, x)


def xy_to_lonlat(
    x: npt.ArrayLike, y: npt.ArrayLike, source: str | int | pyproj.CRS | SourceCRS
) -> Pair:
    """
    Convert coordinates in `source` to WGS84 longitude and latitude (degrees).

    ``x`` is always the easting or longitude and ``y`` the northing or latitude, whatever axis
    order the CRS declares. GK eastings are grouped by zone and each group is transformed at
    once, so one array may mix zones. NaN (or a failed transformation) gives NaN.

    Raises
    ------
    CRSError
        For GK eastings without a zone prefix (auto zone), or with a prefix that does not fit.
    """
    src = resolve(source)
    xa, ya = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    shape, xs, ys = xa.shape, xa.ravel(), ya.ravel()
    ok = np.isfinite(xs) & np.isfinite(ys)
    lon, lat = np.full(xs.shape, np.nan), np.full(xs.shape, np.nan)
    if src.kind == "gcj02":
        lon[ok], lat[ok] = gcj02_to_wgs84(xs[ok], ys[ok])
    elif src.kind == "bd09":
        lon[ok], lat[ok] = bd09_to_wgs84(xs[ok], ys[ok])
    elif src.crs is None:  # GK zone auto-detection: zones 13–23 are 6°, 25–45 are 3°
        zones = _gk_zones(xs, ys, ok)
        for zone in np.unique(zones[ok]).tolist():
            family = "6" if zone <= GK_ZONES["6"][1] else "3"
            crs = _gk_crs(src.datum, family, zone, src.towgs84)
            here = ok & (zones == zone)
            lon[here], lat[here] = _transformer(crs).transform(
                xs[here] - zone * ZONE_PREFIX, ys[here]
            )
    else:
        easting = _strip_prefix(xs, ok, src.zone) if src.zone is not None else xs
        lon[ok], lat[ok] = _transformer(src.crs).transform(easting[ok], ys[ok])
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    lon[bad], lat[bad] = np.nan, np.nan
    return lon.reshape(shape), lat.reshape(shape)


def geometries_to_wgs84(
    geoms: npt.ArrayLike, source: str | int | pyproj.CRS | SourceCRS
) -> npt.NDArray[np.object_]:
    """Return the geometries in WGS84 lon/lat; Z is kept, None and empty stay as they are."""
    src = resolve(source)

    def to_lonlat(x: FloatArray, y: FloatArray, *z: FloatArray) -> tuple[FloatArray, ...]:
        return (*xy_to_lonlat(x, y, src), *z)

    arr = np.asarray(geoms, dtype=object)
    return np.asarray(shapely.transform(arr, to_lonlat, include_z=None, interleaved=False))


def to_wgs84(
    gdf: gpd.GeoDataFrame, source: str | int | pyproj.CRS | SourceCRS | None = None
) -> gpd.GeoDataFrame:
    """
    Return a copy of `gdf` with its active geometry in EPSG:4326 (lon, lat).

    `source` overrides ``gdf.crs`` (a file without a .prj, a mislabelled file, GCJ-02 data);
    without it ``gdf.crs`` is used. The input frame is never modified.

    Raises
    ------
    CRSError
        If neither `source` nor ``gdf.crs`` is given.
    """
    if source is None and gdf.crs is None:
        msg = message(
            "数据没有坐标系；请指定来源坐标系（如 'cgcs2000'、'gk3:38'、'gcj02'）",
            "`gdf` has no CRS; pass `source=` (e.g. 'cgcs2000', 'gk3:38', 'gcj02') or set it "
            "with `.set_crs()` when reading the file",
        )
        raise CRSError(msg)
    src = resolve(source if source is not None else gdf.crs)
    geoms = geometries_to_wgs84(gdf.geometry.to_numpy(), src)
    out = gdf.copy()
    out[gdf.geometry.name] = gpd.GeoSeries(geoms, index=gdf.index, crs=WGS84)
    return out
