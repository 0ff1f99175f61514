"""DMS parsing and D/M/S columns (geomon.io.dms).

Every expected decimal is worked out by hand: 112°53'45.6" = 112 + 53/60 + 45.6/3600
= 112 + 0.883333… + 0.012666… = 112.896, and 30°24'07.2" = 30 + 0.4 + 0.002 = 30.402
(DOMAIN §5.1 worked example, Qianjiang).
"""

from __future__ import annotations

import math

import pytest

from geomon.errors import CoordinateParseError, GeomonError
from geomon.io.dms import dms_columns_to_degrees, parse_dms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("112.896", 112.896, id="decimal"),
        pytest.param(" 112.896 ", 112.896, id="decimal-padded"),
        pytest.param(112.896, 112.896, id="float-cell"),
        pytest.param(-112.896, -112.896, id="negative-float-cell"),
        pytest.param("-112.896", -112.896, id="negative-decimal"),
        pytest.param("112°53'45.6\"", 112.896, id="symbols"),
        pytest.param("112°53′45.6″", 112.896, id="primes"),
        pytest.param("112°53’45.6”", 112.896, id="curly-quotes"),
        pytest.param("112º53'45.6\"", 112.896, id="ordinal-as-degree"),
        pytest.param("112°53'45.6''", 112.896, id="two-apostrophes"),
        pytest.param("112°53'45.6", 112.896, id="seconds-unmarked"),
        pytest.param("112度53分45.6秒", 112.896, id="chinese"),
        pytest.param("东经112°53'45.6\"", 112.896, id="dongjing-prefix"),
        pytest.param("北纬30°24'07.2\"", 30.402, id="beiwei-prefix"),
        pytest.param("东经112度53分45.6秒", 112.896, id="dongjing-chinese"),
        pytest.param("E112°53'45.6\"", 112.896, id="E-prefix"),
        pytest.param("E 112°53'45.6\"", 112.896, id="E-space"),
        pytest.param("N:30°24′07.2″", 30.402, id="N-colon"),
        pytest.param("112°53'45.6\"E", 112.896, id="E-suffix"),
        pytest.param("30°24'07.2\"N", 30.402, id="N-suffix"),
        pytest.param("S30°24'07.2\"", -30.402, id="S-negative"),
        pytest.param("112°53'45.6\"W", -112.896, id="W-negative"),
        pytest.param("西经112度53分45.6秒", -112.896, id="xijing-negative"),
        pytest.param("南纬30°24'07.2\"", -30.402, id="nanwei-negative"),
        pytest.param("-112°53'45.6\"", -112.896, id="minus-dms"),
        pytest.param("112 53 45.6", 112.896, id="space-separated"),
        pytest.param("112:53:45.6", 112.896, id="colon-separated"),
        pytest.param("112°53.76'", 112.896, id="decimal-minutes"),  # 53.76/60 = 0.896
        pytest.param("112 53.76", 112.896, id="decimal-minutes-spaces"),
        pytest.param("114°04'30\"", 114.075, id="zero-padded-minutes"),  # 4/60 + 30/3600
        pytest.param("112°", 112.0, id="degrees-only"),
        pytest.param("１１２°５３′４５．６″", 112.896, id="full-width-digits"),
        pytest.param("１１２°５３＇４５．６＂", 112.896, id="full-width-apostrophes"),
        pytest.param("东经：112°53'45.6\"", 112.896, id="full-width-colon"),
        pytest.param("112°\u300053'45.6\"", 112.896, id="ideographic-space"),
    ],
)
def test_parse_dms(text: str | float, expected: float) -> None:
    # exact: the parts are summed as fractions, so no float drift
    assert parse_dms(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("112°61'", "minutes 61 ≥ 60", id="minutes-61"),
        pytest.param("112°60'00\"", "minutes 60 ≥ 60", id="minutes-60"),
        pytest.param("30°24'60\"", "seconds 60 ≥ 60", id="seconds-60"),
        pytest.param("112 53 75.5", "seconds 75.5 ≥ 60", id="seconds-spaces"),
        pytest.param("200°", "degrees 200 > 180", id="degrees-200"),
        pytest.param("abc", "cannot read 'abc' as a number", id="garbage"),
        pytest.param("112°53'x", "cannot read 'x' as a number", id="trailing-garbage"),
        pytest.param("", "empty value", id="empty"),
        pytest.param("  ", "empty value", id="blank"),
        pytest.param(float("nan"), "empty value", id="nan"),
        pytest.param(
            "112.5°30'", "only the last part may have decimals: degrees 112.5", id="dec-deg"
        ),
        pytest.param("112°53.5'10\"", "only the last part may have decimals", id="dec-min"),
        pytest.param("112 53 45 10", "parts out of order or too many", id="four-parts"),
        pytest.param("53'112°", "parts out of order", id="out-of-order"),
        pytest.param("N30°24'E", "two hemisphere marks", id="two-hemispheres"),
        pytest.param("-30°24'S", "both a minus sign and a hemisphere", id="minus-and-S"),
        pytest.param(True, "not a coordinate", id="bool"),
    ],
)
def test_parse_dms_rejects_with_reason(text: str | float, reason: str) -> None:
    with pytest.raises(ValueError, match=f"^{reason}"):
        parse_dms(text)


def test_parse_dms_error_carries_chinese_reason() -> None:
    with pytest.raises(CoordinateParseError) as info:
        parse_dms("112度61分")
    assert isinstance(info.value, GeomonError) and isinstance(info.value, ValueError)
    assert (str(info.value), info.value.zh) == ("minutes 61 ≥ 60", "分 61 ≥ 60")


def test_dms_columns_to_degrees() -> None:
    d = [112, "112", -112, 30, 30, None, "x", "112°", 30, 112.5, 112.5, 112, " "]
    m = [53, "53", 53, 24, 61, 1, 0, "53′", "y", 30, 0, 53.76, None]
    s = [45.6, "45.6", 45.6, None, 0, 1, 0, "45.6″", 0, 0, None, None, None]

    result = dms_columns_to_degrees(d, m, s)

    expected = [112.896, 112.896, -112.896, 30.4, None, None, None, 112.896, None]
    expected += [None, 112.5, 112.896, None]  # 112.5° 30' is ambiguous; 53.76' is fine
    assert len(result) == len(expected)
    for got, want in zip(result, expected, strict=True):
        if want is None:
            assert math.isnan(got)
        else:
            assert got == pytest.approx(want, abs=1e-12)
