"""`geomon.app.present.section_view` on small hand-made frames: exceedances and 超标倍数,
completeness per Beijing month, trend wording by status level (2011 method)."""

from __future__ import annotations

import pandas as pd
import pytest

from geomon.app.present import section_view as sv
from geomon.monitoring import typed


def _readings(rows: list[tuple[str, str, str, float, str]]) -> pd.DataFrame:
    """(parameter, Beijing time, step, value, flag) at section S1."""
    return typed(
        pd.DataFrame(
            {
                "section_code": "S1",
                "station_mn": "MN1",
                "parameter": [r[0] for r in rows],
                "time": [pd.Timestamp(r[1], tz="Asia/Shanghai") for r in rows],
                "step": [r[2] for r in rows],
                "value": [r[3] for r in rows],
                "flag": [r[4] for r in rows],
            }
        )
    )


def test_exceedances_against_the_target_class() -> None:
    readings = _readings([
        ("TP", "2023-03-01 08:00", "hour", 0.312, "N"),  # Ⅲ limit 0.2: (0.312 − 0.2)/0.2 = 0.56
        ("TP", "2023-03-01 09:00", "hour", 0.200, "N"),  # at the limit: meets (limits inclusive)
        ("TP", "2023-03-01 10:00", "hour", 0.900, "M"),  # maintenance: does not count
        ("DO", "2023-03-01 08:00", "hour", 4.0, "N"),  # below Ⅲ's 5: beyond, no multiple
        ("pH", "2023-03-01 08:00", "hour", 9.2, "N"),  # outside 6–9: beyond, no multiple
    ])  # fmt: skip

    out = sv.exceedances(readings, None, "S1", "III", lang="key")

    assert out["parameter"].tolist() == ["TP", "DO", "pH"]
    assert out["time"].tolist() == ["2023-03-01 08:00"] * 3  # Beijing time, to the minute
    assert out["limit"].tolist() == ["0.2", "5", "6–9"]
    assert out["multiple"].tolist()[0] == 0.56
    assert out["multiple"].isna().tolist()[1:] == [True, True]
    assert sv.multiple_text(0.56, "zh") == "超标0.56倍"
    assert sv.exceedances(readings, None, "S1", None).empty  # no target, nothing judged


def test_completeness_counts_valid_hours_of_each_beijing_month() -> None:
    # 2023-02-01 00:00 Beijing is still January in UTC: it counts for February (672 hours)
    readings = _readings([
        ("NH3N", "2023-02-01 00:00", "hour", 0.5, "N"),
        ("NH3N", "2023-02-01 01:00", "hour", 0.5, "M"),
        ("NH3N", "2023-02-01 02:00", "hour", 0.5, "N"),
        ("NH3N", "2023-02-01 00:00", "day", 0.5, "N"),  # not an hour; 1 valid day of 28
    ])  # fmt: skip

    out = sv.completeness(readings, "S1")

    assert out.to_dict("records") == [
        {"parameter": "NH3N", "month": "2023-02", "valid_hours": 2, "hours": 672,
         "share": pytest.approx(2 / 672), "valid_days": 1, "days": 28, "complete": False},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("classes", "word"),
    [
        (["III", "IV"], "section.trend.worse1"),  # 良好 → 轻度污染
        (["II", "V"], "section.trend.worse2"),  # 优 → 中度污染
        (["I", "II"], "section.trend.same"),  # both 优
        (["劣V", "V"], "section.trend.better1"),
        (["劣V", None, "III"], "section.trend.better2"),  # months without a class are skipped
    ],
)
def test_trend_by_status_levels(classes: list, word: str) -> None:
    months = [f"2023-0{i + 1}" for i in range(len(classes))]
    frame = pd.DataFrame({"month": months, "class": classes})

    assert sv.trend(frame)[-1] == word
    assert sv.trend(frame.iloc[:1]) is None
