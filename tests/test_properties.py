"""Property-based tests (hypothesis) for the DMS parser, CRS round trips and outlet codes.

tests/crs/test_crs_offsets.py already checks the GCJ-02 round trip as a property and BD-09 on a
grid; here: DMS text in every form `parse_dms` documents, Gauss–Krüger (pyproj forward, geomon
inverse, with and without the zone prefix) and BD-09 round trips at random points, and outlet
codes built from the segment table of ``geomon/rules/outlets.toml`` (GH issue 8).
"""

from __future__ import annotations

import functools
import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer

from geomon import crs
from geomon.io.dms import parse_dms
from geomon.rules import _outlets_toml
from geomon.rules.outlets import parse_code

GEOD = Geod(ellps="WGS84")
CHINA_LON = st.floats(min_value=73.5, max_value=134.7, allow_nan=False)
CHINA_LAT = st.floats(min_value=18.2, max_value=53.5, allow_nan=False)

# --- DMS -------------------------------------------------------------------------------------

FULL_WIDTH = str.maketrans("0123456789.:", "０１２３４５６７８９．：")
FORMS = {
    "ascii": "{d}°{m}'{s}\"",
    "primes": "{d}°{m}′{s}″",
    "chinese": "{d}度{m}分{s}秒",
    "spaces": "{d} {m} {s}",
    "colons": "{d}:{m}:{s}",
    "decimal-minutes": "{d}°{dm}'",
    "decimal": "{dd}",
    "masculine-ordinal": "{d}º{m}’{s}”",  # º and curly quotes, as Word autocorrects them
}


def _dms_parts(value: float) -> dict[str, str]:
    """Degrees, minutes and seconds (9 decimals) of |value|, exactly carried, as text."""
    exact = Fraction(abs(value))
    d = math.floor(exact)
    m = math.floor((exact - d) * 60)
    s = Decimal((exact - d - Fraction(m, 60)) * 3600 * 10**9 // 1) / 10**9
    if s >= 60:  # cannot happen after the floors, but never print 60"
        s, m = s - 60, m + 1
    dm = Decimal((exact - d) * 60 * 10**12 // 1) / 10**12
    dd = Decimal(exact * 10**12 // 1) / 10**12
    return {"d": str(d), "m": str(m), "s": f"{s:f}", "dm": f"{dm:f}", "dd": f"{dd:f}"}


@settings(max_examples=300, deadline=None)
@given(
    value=st.floats(min_value=-180, max_value=180, allow_nan=False),
    form=st.sampled_from(sorted(FORMS)),
    axis=st.sampled_from(["lon", "lat"]),
    marks=st.sampled_from(["sign", "letter-before", "letter-after", "chinese", "full-width"]),
)
def test_dms_text_parses_back_to_the_value(value: float, form: str, axis: str, marks: str) -> None:
    if axis == "lat":
        value = value / 2  # ±90
    text = FORMS[form].format(**_dms_parts(value))
    negative = value < 0
    hemi = {"lon": ("E", "W", "东经", "西经"), "lat": ("N", "S", "北纬", "南纬")}[axis]
    if marks == "sign":
        text = ("-" if negative else "") + text
    elif marks == "letter-before":
        text = hemi[1 if negative else 0] + text
    elif marks == "letter-after":
        text = text + hemi[1 if negative else 0]
    elif marks == "chinese":
        text = hemi[3 if negative else 2] + text
    else:
        text = ("-" if negative else "") + text.translate(FULL_WIDTH)

    assert abs(parse_dms(text) - value) <= 1e-9, text


@settings(max_examples=200, deadline=None)
@given(
    d=st.integers(0, 179),
    m=st.integers(0, 59),
    s=st.decimals(min_value=0, max_value=Decimal("59.999999"), places=6),
)
def test_dms_sum_is_exact(d: int, m: int, s: Decimal) -> None:
    expected = float(d + Fraction(m, 60) + Fraction(s) / 3600)
    assert parse_dms(f"{d}°{m}'{s}\"") == expected
    assert parse_dms(f"{d}度{m}分{s}秒") == expected


@settings(max_examples=100, deadline=None)
@given(
    d=st.integers(0, 179),
    m=st.integers(60, 99),
    sep=st.sampled_from(["°{m}'0\"", "度{m}分", " {m} 0"]),
)
def test_dms_minutes_of_60_or_more_are_refused(d: int, m: int, sep: str) -> None:
    text = f"{d}" + sep.format(m=m)
    try:
        parse_dms(text)
    except ValueError as exc:
        assert f"minutes {m} ≥ 60" in str(exc)
    else:
        raise AssertionError(f"{text!r} was accepted")


# --- CRS round trips ---------------------------------------------------------------------------


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2])


@functools.cache
def _forward(epsg: int) -> Transformer:
    return Transformer.from_crs(4326, epsg, always_xy=True)


@settings(max_examples=150, deadline=None)
@given(lon=CHINA_LON, lat=CHINA_LAT, prefixed=st.booleans())
def test_gk3_round_trip_through_pyproj_forward(lon: float, lat: float, prefixed: bool) -> None:
    zone = crs.gk3_zone(lon)
    assume(75 <= 3 * zone <= 135)
    plane = crs.metric_crs_for(lon)
    x, y = _forward(plane.to_epsg()).transform(lon, lat)
    source = "gk3" if prefixed else f"gk3:cm{3 * zone}"
    easting = x + zone * 1_000_000 if prefixed else x

    back_lon, back_lat = crs.xy_to_lonlat(easting, y, source)

    assert _metres(lon, lat, float(back_lon), float(back_lat)) <= 0.5


@settings(max_examples=150, deadline=None)
@given(lon=CHINA_LON, lat=CHINA_LAT, zone_form=st.sampled_from(["zone", "cm", "epsg"]))
def test_gk3_forward_inverse_with_every_zone_form(lon: float, lat: float, zone_form: str) -> None:
    zone = crs.gk3_zone(lon)
    assume(75 <= 3 * zone <= 135)
    plane = crs.metric_crs_for(lon)
    x, y = _forward(plane.to_epsg()).transform(lon, lat)
    source = {"zone": f"gk3:{zone}", "cm": f"gk3:{3 * zone}", "epsg": plane.to_epsg()}[zone_form]

    back = crs.xy_to_lonlat(np.array([x]), np.array([y]), source)

    assert _metres(lon, lat, float(back[0][0]), float(back[1][0])) <= 0.5


def _wgs84_to_bd09(lon: object, lat: object) -> tuple:
    """Test input in BD-09: WGS84 → GCJ-02 → BD-09 (geomon only reads BD-09)."""
    return crs.gcj02_to_bd09(*crs.wgs84_to_gcj02(lon, lat))


@settings(max_examples=200, deadline=None)
@given(lon=CHINA_LON, lat=CHINA_LAT)
def test_bd09_round_trips(lon: float, lat: float) -> None:
    back = crs.bd09_to_wgs84(*_wgs84_to_bd09(lon, lat))
    assert _metres(lon, lat, float(back[0]), float(back[1])) <= 0.5
    gcj = crs.wgs84_to_gcj02(lon, lat)
    back_gcj = crs.bd09_to_gcj02(*crs.gcj02_to_bd09(*gcj))
    assert _metres(float(gcj[0]), float(gcj[1]), float(back_gcj[0]), float(back_gcj[1])) <= 0.5


@settings(max_examples=100, deadline=None)
@given(lon=CHINA_LON, lat=CHINA_LAT)
def test_gcj02_and_bd09_sources_undo_their_shift(lon: float, lat: float) -> None:
    for source, forward in (("gcj02", crs.wgs84_to_gcj02), ("bd09", _wgs84_to_bd09)):
        x, y = forward(lon, lat)
        back = crs.xy_to_lonlat(x, y, source)
        assert _metres(lon, lat, float(back[0]), float(back[1])) <= 0.5


# --- outlet codes ------------------------------------------------------------------------------

RULES = _outlets_toml.load_rules()
SEGMENTS = {s.name: s for s in RULES.segments}
UPPER_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@st.composite
def valid_codes(draw: st.DrawFn) -> str:
    """A code every segment of the table accepts (characters, pattern and lookup)."""
    parts = []
    for seg in RULES.segments:
        if seg.lookup is not None:
            parts.append(draw(st.sampled_from(sorted(seg.lookup))))
        elif seg.name == "district":  # pattern [1-8][0-9]{5}
            parts.append(
                draw(st.sampled_from("12345678"))
                + draw(st.text("0123456789", min_size=5, max_size=5))
            )
        else:
            alphabet = "0123456789" if seg.chars == "[0-9]" else UPPER_DIGITS
            parts.append(draw(st.text(alphabet, min_size=seg.width, max_size=seg.width)))
    return "".join(parts)


def _district_span() -> tuple[int, int]:
    start = 0
    for seg in RULES.segments:
        if seg.name == "district":
            return start, start + seg.width
        start += seg.width
    raise AssertionError("no district segment in outlets.toml")


@settings(max_examples=300, deadline=None)
@given(code=valid_codes())
def test_valid_codes_parse_without_problems(code: str) -> None:
    parts, problems = parse_code(code)
    assert problems == []
    assert "".join(parts[s.name] for s in RULES.segments) == code


@settings(max_examples=300, deadline=None)
@given(code=valid_codes(), offset=st.integers(0, 5), data=st.data())
def test_one_corrupt_district_character_names_the_district_segment(
    code: str, offset: int, data: st.DataObject
) -> None:
    start, end = _district_span()
    pos = start + offset
    # any character the district segment cannot hold there: a non-digit, or 0/9 in front
    bad = "ABOIlo -_.。０/" + ("09" if offset == 0 else "")
    char = data.draw(st.sampled_from(bad))
    corrupt = code[:pos] + char + code[pos + 1 :]

    _, problems = parse_code(corrupt)

    district = [p for p in problems if p.segment == "district"]
    assert len(district) == 1
    problem = district[0]
    assert problem.severity == "error"
    assert (problem.start, problem.end) == (start + 1, end)
    assert "district code (GB/T 2260)" in problem.message
    assert corrupt[start:end] in problem.message
    assert all(p.segment == "district" for p in problems)  # no other segment is blamed
