"""Monthly classes from automatic readings and lab results (geomon.monitoring.months), worked by
hand from GB 3838-2002 表1 (Ⅲ: NH3-N ≤ 1.0, COD ≤ 20; Ⅳ: NH3-N ≤ 1.5, COD ≤ 30), the 82号
priority of automatic data (DOMAIN.md §1.3) and the completeness shares of stations.toml
(0.75 of a day's 24 hours, 0.75 of a month's days; [M] placeholders).

Policy: means rounded per 82号 before they are classed (the default, DOMAIN §0 item 1)."""

from __future__ import annotations

import pandas as pd
import pytest

from geomon.monitoring import MIN_DAY_SHARE, MIN_MONTH_SHARE, empty_readings, months

JUNE = pd.Timestamp("2023-06-01 00:00", tz="Asia/Shanghai")


def test_the_shares_are_the_rules_data() -> None:
    assert (MIN_DAY_SHARE, MIN_MONTH_SHARE) == (0.75, 0.75)  # stations.toml [aggregation]


def hours(
    parameter: str, day: int, values: list[float], flags: list[str] | None = None
) -> pd.DataFrame:
    """Hourly readings of June `day` at section S1, from 00:00 Beijing, one per value."""
    start = JUNE + pd.Timedelta(days=day - 1)
    return pd.DataFrame(
        {
            "section_code": "S1",
            "station_mn": "MN1",
            "parameter": parameter,
            "time": pd.date_range(start, periods=len(values), freq="h").tz_convert("UTC"),
            "step": "hour",
            "value": values,
            "flag": flags or ["N"] * len(values),
        }
    )


def june_nh3n() -> pd.DataFrame:
    """June NH3-N: days 1–14 at 0.6 and 15–28 at 1.4 (24 valid hours each); day 29 17 valid
    hours at 5.0 and 7 in maintenance (17 < 18 = 75 % of 24: the day does not count); day 30
    18 valid hours at 1.0 (exactly 75 %: counts), 6 hours missing.

    Valid daily means: 14 × 0.6 + 14 × 1.4 + 1.0 = 29.0 over 29 days → 1.00 → Ⅲ (limit 1.0
    inclusive). The mean of all valid hours would be (336 × 0.6 + 336 × 1.4 + 17 × 5.0 +
    18 × 1.0) / 707 = 775 / 707 = 1.096 → Ⅳ: the month is a mean of days, not of hours."""
    parts = [hours("NH3N", d, [0.6] * 24) for d in range(1, 15)]
    parts += [hours("NH3N", d, [1.4] * 24) for d in range(15, 29)]
    parts.append(hours("NH3N", 29, [5.0] * 24, ["N"] * 17 + ["M"] * 7))
    parts.append(hours("NH3N", 30, [1.0] * 18))
    return pd.concat(parts, ignore_index=True)


def test_station_month_is_the_mean_of_valid_daily_means() -> None:
    out = months.station_months(june_nh3n(), "S1")

    assert out.to_dict("records") == [
        {"parameter": "NH3N", "month": "2023-06", "value": 1.0, "valid_days": 29, "days": 30,
         "valid_hours": 14 * 24 + 14 * 24 + 17 + 18, "hours": 720, "complete": True,
         "class": "III"},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("valid_days", "complete", "klass"),
    [
        pytest.param(23, True, "II", id="23-of-30-days-counts"),  # 23 ≥ 0.75 × 30 = 22.5
        pytest.param(22, False, None, id="22-of-30-days-incomplete"),
    ],
)
def test_a_month_below_the_share_is_incomplete_and_not_classed(
    valid_days: int, complete: bool, klass: str | None
) -> None:
    # NH3-N 0.4 (Ⅱ) on `valid_days` full days, then 12 valid hours a day (< 18: not counted)
    parts = [hours("NH3N", d, [0.4] * 24) for d in range(1, valid_days + 1)]
    parts += [hours("NH3N", d, [0.4] * 12) for d in range(valid_days + 1, 31)]
    readings = pd.concat(parts, ignore_index=True)

    (row,) = months.station_months(readings, "S1").to_dict("records")
    assert (row["valid_days"], row["days"], row["complete"], row["class"]) == (
        valid_days, 30, complete, klass,
    )  # fmt: skip
    assert row["value"] == 0.4  # the mean is still shown

    (month,) = months.section_months(readings, None, "S1").to_dict("records")
    assert (month["class"], month["auto_class"], month["source"]) == (klass, klass, (
        "auto" if complete else None
    ))  # fmt: skip
    assert (month["auto_complete"], month["auto_parameters"]) == (int(complete), 1)


def lab(rows: list[dict]) -> pd.DataFrame:
    """Lab results (the monitoring layer) at S1."""
    return pd.DataFrame([{"section_code": "S1", **r} for r in rows])


def test_automatic_data_take_priority_for_their_items_the_lab_for_the_rest() -> None:
    """June: lab NH3-N 0.4 (Ⅱ), COD 18 (Ⅲ), Cu 0.005 (Ⅰ) → lab class Ⅲ. The station's
    complete June: NH3-N 1.2 (Ⅳ, a priority item: it replaces the lab's 0.4) and COD 35 (Ⅴ,
    not a priority item: the lab's 18 stays). Combined: worst of NH3-N Ⅳ, COD Ⅲ, Cu Ⅰ = Ⅳ,
    from both sources. May: lab only (Ⅲ). July: station only, incomplete (10 days): no class."""
    station = pd.concat(
        [hours("NH3N", d, [1.2] * 24) for d in range(1, 31)]
        + [hours("COD", d, [35.0] * 24) for d in range(1, 31)]
        + [hours("NH3N", d, [0.3] * 24) for d in range(31, 41)],  # 1–10 July
        ignore_index=True,
    )
    results = lab([
        {"date": "2023-05-10", "NH3N": 0.9, "COD": 16.0},
        {"date": "2023-06-12", "NH3N": 0.4, "COD": 18.0, "Cu": 0.005},
    ])  # fmt: skip

    out = months.section_months(station, results, "S1")

    assert out["month"].tolist() == ["2023-05", "2023-06", "2023-07"]
    assert out["class"].tolist() == ["III", "IV", None]
    assert out["source"].tolist() == ["lab", "both", None]
    assert out["lab_class"].tolist() == ["III", "III", None]
    assert out["auto_class"].tolist() == [None, "V", None]  # station alone: COD 35 is Ⅴ
    assert out["auto_complete"].tolist() == [0, 2, 0]
    assert out["auto_parameters"].tolist() == [0, 2, 1]
    assert out["values"][1] == {"NH3N": (1.2, "auto"), "COD": (18.0, "lab"), "Cu": (0.005, "lab")}


def test_months_without_data_between_two_samples_are_listed() -> None:
    results = lab([{"date": "2023-01-05", "NH3N": 0.4}, {"date": "2023-03-05", "NH3N": 0.4}])
    out = months.section_months(empty_readings(), results, "S1")
    assert out["month"].tolist() == ["2023-01", "2023-02", "2023-03"]
    assert out["class"].tolist() == ["II", None, "II"]


def test_lab_means_of_a_month_are_rounded_per_82() -> None:
    # two June samples: NH3-N 1.004 and 1.006 → mean 1.005 → 1.00 (2 decimals, half even) → Ⅲ
    results = lab([{"date": "2023-06-03", "NH3N": 1.004}, {"date": "2023-06-20", "NH3N": 1.006}])
    assert months.lab_month_means(results, "S1") == {"2023-06": {"NH3N": 1.0}}
    assert months.section_months(empty_readings(), results, "S1")["class"].tolist() == ["III"]


@pytest.mark.parametrize(
    ("classes", "levels", "word"),
    [
        pytest.param(["III", "IV"], 1, "worse1", id="good-to-slightly-polluted"),
        pytest.param(["II", None, "V"], 3, "worse2", id="excellent-to-moderately"),
        pytest.param(["I", "II"], 0, "same", id="both-excellent"),
        pytest.param(["劣V", "IV", "V"], -1, "better1", id="heavily-to-moderately"),
        pytest.param(["劣V", "III"], -3, "better2", id="heavily-to-good"),
    ],
)
def test_trend_by_status_levels_of_the_first_and_last_classed_month(
    classes: list, levels: int, word: str
) -> None:
    frame = pd.DataFrame({"month": [f"2023-0{i + 1}" for i in range(len(classes))],
                          "class": classes})  # fmt: skip
    found = months.trend(frame)
    assert (found.first_class, found.last_class) == (classes[0], classes[-1])
    assert (found.levels, found.word) == (levels, word)
    assert months.trend(frame.iloc[:1]) is None


def test_trend_over_combined_months() -> None:
    """January lab Ⅲ (良好); June the station's complete NH3-N 1.8 (Ⅴ, 中度污染) replaces the
    lab's 0.8: two status levels worse, 明显变差."""
    station = pd.concat([hours("NH3N", d, [1.8] * 24) for d in range(1, 31)], ignore_index=True)
    results = lab([{"date": "2023-01-10", "NH3N": 0.8}, {"date": "2023-06-10", "NH3N": 0.8}])

    classes = months.section_months(station, results, "S1")

    found = months.trend(classes)
    assert found == months.Trend("2023-01", "III", "2023-06", "V", 2, "worse2")
