"""Section series (geomon.monitoring.series): classes worked by hand from GB 3838-2002 表1
(DOMAIN.md §1.2: limits inclusive, DO "≥", pH 6–9), validity by flag, and day/month means.

Policy: means rounded per 82号 before they are classed (the default, DOMAIN §0 item 1), except
where a test says raw."""

from __future__ import annotations

import pandas as pd
import pytest

from geomon.monitoring import series

START = pd.Timestamp("2023-06-01 00:00", tz="Asia/Shanghai").tz_convert("UTC")


def frame(
    parameter: str, values: list[float], flags: list[str] | None = None, **kw
) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame(
        {
            "section_code": "S1",
            "station_mn": "MN01",
            "parameter": parameter,
            "time": pd.date_range(START, periods=n, freq=kw.get("freq", "h")),
            "step": kw.get("step", "hour"),
            "value": values,
            "flag": flags or ["N"] * n,
        }
    )


@pytest.mark.parametrize(
    ("parameter", "values", "classes", "water_body"),
    [
        pytest.param(
            "NH3N",
            [0.15, 0.5, 0.51, 1.0, 1.5, 2.0, 2.01],
            ["I", "II", "III", "III", "IV", "V", "劣V"],
            "river",
            id="nh3n-limits-inclusive",
        ),
        pytest.param(
            "DO", [7.5, 7.49, 5.0, 2.0, 1.99], ["I", "II", "III", "V", "劣V"], "river", id="do-ge"
        ),
        pytest.param("pH", [6.0, 9.0, 9.1, 5.9], ["I", "I", "劣V", "劣V"], "river", id="ph-range"),
        pytest.param("TP", [0.06, 0.06], ["II", "II"], "river", id="tp-river"),
        pytest.param("TP", [0.06, 0.01], ["IV", "I"], "lake", id="tp-lake"),
    ],
)
def test_hourly_points_are_classed_single_item(
    parameter: str, values: list[float], classes: list[str], water_body: str
) -> None:
    result = series.section_series(frame(parameter, values), "S1", parameter, water_body=water_body)
    assert list(result.points["class"]) == classes
    assert list(result.points["valid"]) == [True] * len(values)


def test_a_reading_that_does_not_count_has_no_class() -> None:
    result = series.section_series(frame("NH3N", [0.4, 3.0], ["N", "M"]), "S1", "NH3N")
    assert list(result.points["class"]) == ["II", None]
    assert list(result.points["valid"]) == [True, False]
    assert list(result.points["flag"]) == ["N", "M"]


@pytest.mark.parametrize(
    ("parameter", "target", "water_body", "limit"),
    [
        ("NH3N", "III", "river", 1.0),
        ("DO", "III", "river", 5.0),  # "≥": the lower limit
        ("TP", "III", "lake", 0.05),
        ("TP", "II", "river", 0.1),
        ("pH", "II", "river", [6.0, 9.0]),
        ("NH3N", None, "river", None),
    ],
)
def test_limit_is_the_target_class_limit(parameter, target, water_body, limit) -> None:
    assert series.target_limit(parameter, target, water_body=water_body) == limit


def test_day_mean_is_rounded_per_82_before_its_class() -> None:
    # 12 h at 1.004 and 12 h at 1.006: mean 1.005 → 1.00 (half even, 2 decimals) → Ⅲ;
    # the raw mean 1.005 is above the Ⅲ limit 1.0 → Ⅳ
    data = frame("NH3N", [1.004] * 12 + [1.006] * 12)
    rounded = series.section_series(data, "S1", "NH3N", step="day")
    raw = series.section_series(data, "S1", "NH3N", step="day", rounded=False)
    assert (rounded.points["value"].iloc[0], rounded.points["class"].iloc[0]) == (1.0, "III")
    assert raw.points["value"].iloc[0] == pytest.approx(1.005)
    assert raw.points["class"].iloc[0] == "IV"
    assert rounded.points["valid_hours"].iloc[0] == 24


def test_ph_day_mean_goes_through_hydrogen_ions() -> None:
    # [H+] mean of pH 7 and 8 = (1e-7 + 1e-8) / 2 = 5.5e-8 → pH 7.2596 (raw), 7 rounded (0 dp)
    data = frame("pH", [7.0] * 12 + [8.0] * 12)
    raw = series.section_series(data, "S1", "pH", step="day", rounded=False)
    assert raw.points["value"].iloc[0] == pytest.approx(7.259637, abs=1e-6)
    rounded = series.section_series(data, "S1", "pH", step="day")
    assert rounded.points["value"].iloc[0] == 7.0


def test_month_mean_of_valid_hours_and_its_share() -> None:
    # June: 720 h. 600 valid hours at 0.8 and 120 maintenance hours at 5.0 → mean 0.8, Ⅲ,
    # 600/720 = 83 % ≥ 75 % → counts. With 500 valid (69 %) it does not: no class.
    ok = frame("NH3N", [0.8] * 600 + [5.0] * 120, ["N"] * 600 + ["M"] * 120)
    month = series.section_series(ok, "S1", "NH3N", step="month").points
    assert list(month["value"]) == [0.8]
    assert list(month["class"]) == ["III"]
    assert list(month["valid_hours"]) == [600]
    assert list(month["valid"]) == [True]
    assert month["time"].iloc[0] == START

    short = frame("NH3N", [0.8] * 500 + [5.0] * 220, ["N"] * 500 + ["M"] * 220)
    month = series.section_series(short, "S1", "NH3N", step="month").points
    assert (month["valid_hours"].iloc[0], month["valid"].iloc[0], month["class"].iloc[0]) == (
        500,
        False,
        None,
    )


def test_stored_daily_readings_come_before_means_of_hours() -> None:
    daily = frame("CODMn", [4.2], step="day", freq="D")
    hours = frame("CODMn", [9.0] * 24).assign(time=lambda f: f["time"] + pd.Timedelta(days=1))
    points = series.section_series(pd.concat([daily, hours]), "S1", "CODMn", step="day").points
    assert list(points["value"]) == [4.2, 9.0]  # 1 June stored; 2 June from its 24 hours
    assert list(points["class"]) == ["III", "IV"]
    assert list(points["flag"]) == ["N", None]


def test_series_json_shape_and_beijing_times() -> None:
    result = series.section_series(frame("NH3N", [0.4]), "S1", "NH3N", target="II")
    doc = series.series_json(result)
    assert list(doc) == ["section", "parameter", "unit", "target", "limit", "points"]
    assert doc["unit"] == "mg/L"
    assert doc["limit"] == 0.5
    assert doc["points"] == [
        {"time": "2023-06-01T00:00+08:00", "value": 0.4, "class": "II", "flag": "N", "valid": True}
    ]


def test_month_is_the_mean_of_valid_daily_means_with_valid_days() -> None:
    # 1 June: 24 valid hours at 0.4; 2 June: 18 valid hours at 1.0 (exactly 75 %: counts);
    # 3 June: 17 valid hours at 3.0 (< 18: the day does not count). Daily means 0.4 and 1.0
    # → June 0.70 (Ⅲ), 2 valid days of 30 (< 75 %): the month does not count, so no class.
    # (The mean of all 59 valid hours would be (9.6 + 18 + 51) / 59 = 1.33.)
    data = pd.concat(
        [
            frame("NH3N", [0.4] * 24),
            frame("NH3N", [1.0] * 18).assign(time=lambda f: f["time"] + pd.Timedelta(days=1)),
            frame("NH3N", [3.0] * 17).assign(time=lambda f: f["time"] + pd.Timedelta(days=2)),
        ]
    )
    result = series.section_series(data, "S1", "NH3N", step="month")
    month = result.points.iloc[0]
    assert (month["value"], month["valid_days"], month["valid_hours"]) == (0.7, 2, 59)
    assert (month["valid"], month["class"]) == (False, None)
    (point,) = series.series_json(result)["points"]
    assert point["valid_days"] == 2 and point["valid_hours"] == 59
