"""Early warnings (预警) on small hand-made frames: every expected value worked out by hand.

Limits are GB 3838-2002 表1 as in geomon/rules/gb3838.toml: class III NH3-N ≤ 1.0, TP ≤ 0.2
(river) and ≤ 0.05 (lake), DO ≥ 5, pH 6–9. Rules are geomon/rules/alerts.toml unless a test
writes its own.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely import Point

from geomon.errors import AlertError
from geomon.monitoring import alerts
from geomon.rules import water_quality as wq

RULES = alerts.load_rules()
AS_OF = pd.Timestamp("2023-06-30T12:00Z")


def sections(**targets: str) -> gpd.GeoDataFrame:
    """One section per code → target class; code "L…" is a lake (湖库), the others rivers."""
    codes = list(targets) or ["S1"]
    return gpd.GeoDataFrame(
        {
            "code": codes,
            "name": [f"断面{c}" for c in codes],
            "river": "汉江",
            "control_level": "国控",
            "target_class": [targets.get(c, "III") for c in codes],
            "water_body_type": ["湖库" if c.startswith("L") else "河流" for c in codes],
            "district_code": "429005",
        },
        geometry=[Point(112.8 + i / 100, 30.4) for i in range(len(codes))],
        crs=4326,
    )


def readings(*rows: tuple) -> pd.DataFrame:
    """Readings from (section, parameter, UTC time, step, value, flag); station "MN-<section>"."""
    return pd.DataFrame(
        {
            "section_code": [r[0] for r in rows],
            "station_mn": [f"MN-{r[0]}" for r in rows],
            "parameter": [r[1] for r in rows],
            "time": pd.to_datetime([r[2] for r in rows], utc=True),
            "step": [r[3] for r in rows],
            "value": [float(r[4]) for r in rows],
            "flag": [r[5] for r in rows],
        }
    )


def kinds(found: list[alerts.Alert], kind: str) -> list[alerts.Alert]:
    return [a for a in found if a.kind == kind]


# ------------------------------------------------------------------------------ rules


def test_rules_load_with_valid_flags_and_a_standard_for_every_kind() -> None:
    assert RULES.valid_flags == {"N"}
    assert set(RULES.rules) == set(alerts.KINDS)
    for kind in alerts.KINDS:
        assert RULES[kind].severity in alerts.SEVERITIES
        assert RULES[kind].text().startswith(f"{kind}：")
    assert "GB 3838-2002 表1" in RULES["exceedance"].standard
    assert "环办〔2011〕22号" in RULES["trend_worsening"].standard


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        pytest.param(('severity = "low"', 'severity = "urgent"'), "overdue.severity", id="sev"),
        pytest.param(("hours = 6", "hours = -1"), r"data_gap.hours must be a number", id="neg"),
        pytest.param(('compare = "previous_month"', 'compare = "x"'), "compare", id="compare"),
        pytest.param(
            ("max_history_days = ", "valid_flags = 1\nmax_history_days = "),
            "valid_flags",
            id="flags",
        ),
    ],
)
def test_a_bad_rule_names_the_file_and_key(tmp_path: Path, edit: tuple, match: str) -> None:
    text = (Path(alerts.__file__).parents[1] / "rules" / "alerts.toml").read_text("utf-8")
    old, new = edit
    if old == 'severity = "low"':  # the overdue rule's severity, the last in the file
        head, _, tail = text.rpartition('severity = "high"')
        text = head + 'severity = "urgent"' + tail
    else:
        text = text.replace(old, new, 1)
    path = tmp_path / "alerts.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AlertError, match=match) as info:
        alerts.load_rules(path)
    assert str(path) in str(info.value)


# ------------------------------------------------------------------------------ exceedance


@pytest.mark.parametrize(
    ("section", "parameter", "value", "limit"),
    [
        pytest.param("S1", "NH3N", 1.01, 1.0, id="nh3n-above-III"),
        pytest.param("S1", "DO", 4.9, 5.0, id="do-below-III"),
        pytest.param("S1", "pH", 9.2, 9.0, id="ph-above-9"),
        pytest.param("S1", "pH", 5.8, 6.0, id="ph-below-6"),
        pytest.param("L1", "TP", 0.06, 0.05, id="lake-tp-above-III"),
    ],
)
def test_a_valid_hourly_value_worse_than_the_target_is_an_exceedance(
    section: str, parameter: str, value: float, limit: float
) -> None:
    frame = readings((section, parameter, "2023-06-30T10:00Z", "hour", value, "N"))
    found = alerts.evaluate(
        sections=sections(**{section: "III"}), outlets=None, monitoring=None,
        readings=frame, as_of=AS_OF,
    )  # fmt: skip
    (alert,) = found
    assert (alert.kind, alert.layer, alert.feature_id, alert.parameter) == (
        "exceedance", "sections", section, parameter,
    )  # fmt: skip
    assert alert.value == value
    assert alert.limit == limit
    assert alert.since == "2023-06-30T10:00Z"
    assert "GB 3838-2002 表1" in alert.rule


@pytest.mark.parametrize(
    ("section", "parameter", "value", "flag"),
    [
        pytest.param("S1", "NH3N", 1.0, "N", id="equal-to-limit-meets"),
        pytest.param("S1", "DO", 5.0, "N", id="do-equal-meets"),
        pytest.param("S1", "TP", 0.06, "N", id="river-tp-0.06-is-class-II"),
        pytest.param("S1", "NH3N", 3.0, "M", id="maintenance-flag-not-valid"),
        pytest.param("S1", "TN", 9.0, "N", id="tn-not-assessed"),
    ],
)
def test_no_exceedance_within_the_target_or_from_invalid_data(
    section: str, parameter: str, value: float, flag: str
) -> None:
    frame = readings((section, parameter, "2023-06-30T10:00Z", "hour", value, flag))
    found = alerts.evaluate(
        sections=sections(), outlets=None, monitoring=None, readings=frame, as_of=AS_OF
    )
    assert kinds(found, "exceedance") == []


def test_exceedance_since_is_the_start_of_the_unbroken_run() -> None:
    # 07:00 meets, 08:00 (M, ignored) 09:00 and 10:00 exceed → since 09:00; 劣V (2.5 > 2.0) is high
    frame = readings(
        ("S1", "NH3N", "2023-06-30T07:00Z", "hour", 0.8, "N"),
        ("S1", "NH3N", "2023-06-30T08:00Z", "hour", 5.0, "M"),
        ("S1", "NH3N", "2023-06-30T09:00Z", "hour", 1.2, "N"),
        ("S1", "NH3N", "2023-06-30T10:00Z", "hour", 2.5, "N"),
    )
    (alert,) = alerts.evaluate(
        sections=sections(), outlets=None, monitoring=None, readings=frame, as_of=AS_OF
    )
    assert (alert.since, alert.value, alert.severity) == ("2023-06-30T09:00Z", 2.5, "high")
    # an hour later the situation is the same: same id, so an acknowledgement sticks
    (later,) = alerts.evaluate(
        sections=sections(), outlets=None, monitoring=None, readings=frame,
        as_of=AS_OF + pd.Timedelta(hours=1),
    )  # fmt: skip
    assert later.id == alert.id == "exceedance/sections/S1/NH3N/MN-S1/hour/2023-06-30T09:00Z"


def test_an_exceedance_older_than_the_lookback_is_not_current() -> None:
    # lookback 24 h: a value for 10:00-11:00 on 06-29 ended 25 h before 2023-06-30T12:00Z
    frame = readings(("S1", "NH3N", "2023-06-29T10:00Z", "hour", 1.5, "N"))
    found = alerts.evaluate(
        sections=sections(), outlets=None, monitoring=None, readings=frame, as_of=AS_OF
    )
    assert kinds(found, "exceedance") == []


def test_lab_monthly_mean_worse_than_target() -> None:
    # June NH3-N 1.2 and 1.4 → mean 1.30 (82号: 2 decimals) → class IV, worse than III (≤ 1.0)
    monitoring = pd.DataFrame(
        {
            "section_code": ["S1", "S1", "S1"],
            "date": pd.to_datetime(["2023-06-05", "2023-06-20", "2023-05-10"]),
            "NH3N": [1.2, 1.4, 0.3],
        }
    )
    found = alerts.evaluate(
        sections=sections(), outlets=None, monitoring=monitoring, readings=None,
        as_of="2023-06-30",
    )  # fmt: skip
    (alert,) = kinds(found, "exceedance")
    assert (alert.parameter, alert.value, alert.limit) == ("NH3N", 1.3, 1.0)
    assert alert.since == "2023-06-01"
    assert alert.id == "exceedance/sections/S1/NH3N/monthly/2023-06-01"
    # May 0.3 (class II) → June IV: 优 → 轻度污染, two status levels: 明显变化, high
    (trend,) = kinds(found, "trend_worsening")
    assert (trend.value, trend.limit, trend.severity) == ("IV", "II", "high")


def test_trend_one_level_is_medium_and_no_change_is_no_alert() -> None:
    monitoring = pd.DataFrame(
        {
            "section_code": ["S1", "S1", "S2", "S2"],
            "date": pd.to_datetime(["2023-05-10", "2023-06-10"] * 2),
            # S1: II (0.5) → III (0.8): 优 → 良好, one level; S2: I (0.1) → II (0.4): both 优
            "NH3N": [0.5, 0.8, 0.1, 0.4],
        }
    )
    found = alerts.evaluate(
        sections=sections(S1="III", S2="III"), outlets=None, monitoring=monitoring,
        readings=None, as_of="2023-06-30",
    )  # fmt: skip
    (trend,) = kinds(found, "trend_worsening")
    assert (trend.feature_id, trend.value, trend.limit, trend.severity) == (
        "S1", "III", "II", "medium",
    )  # fmt: skip


# ------------------------------------------------------------------------------ persistent


def daily(*values: float, last: str = "2023-06-30") -> pd.DataFrame:
    """Daily NH3-N values at S1 ending on Beijing day `last` (a day's UTC start is 16:00Z)."""
    end = pd.Timestamp(last)
    rows = []
    for i, v in enumerate(values):
        day = end - pd.Timedelta(days=len(values) - 1 - i)
        start = (day - pd.Timedelta(hours=8)).strftime("%Y-%m-%dT%H:%MZ")
        rows.append(("S1", "NH3N", start, "day", v, "N"))
    return readings(*rows)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param((0.8, 1.2, 1.3), None, id="N-1-days"),
        pytest.param((1.1, 1.2, 1.3), ("2023-06-28", 3), id="N-days"),
        pytest.param((1.1, 1.1, 1.2, 1.3), ("2023-06-27", 4), id="N+1-days"),
    ],
)
def test_persistent_exceedance_needs_n_consecutive_days(values: tuple, expected: tuple) -> None:
    assert RULES.number("persistent_exceedance", "days") == 3
    found = alerts.evaluate(
        sections=sections(), outlets=None, monitoring=None, readings=daily(*values),
        as_of="2023-06-30",
    )  # fmt: skip
    persistent = kinds(found, "persistent_exceedance")
    if expected is None:
        assert persistent == []
    else:
        (alert,) = persistent
        assert (alert.since, alert.value, alert.limit) == (*expected, 1.0)


def test_a_missing_day_breaks_the_run() -> None:
    frame = pd.concat([daily(1.2, last="2023-06-27"), daily(1.2, 1.3, last="2023-06-30")])
    found = alerts.evaluate(
        sections=sections(), outlets=None, monitoring=None, readings=frame, as_of="2023-06-30"
    )
    assert kinds(found, "persistent_exceedance") == []  # 06-28 missing: 2 days, not 3


def test_daily_means_of_hourly_values_per_beijing_day() -> None:
    # 2023-06-29T16:00Z and 2023-06-30T15:00Z are both Beijing 2023-06-30; pH via [H+]:
    # −log10((1e-7 + 1e-9) / 2) = 7.29670…
    frame = readings(
        ("S1", "NH3N", "2023-06-29T16:00Z", "hour", 1.2, "N"),
        ("S1", "NH3N", "2023-06-30T15:00Z", "hour", 1.4, "N"),
        ("S1", "NH3N", "2023-06-30T16:00Z", "hour", 9.0, "N"),  # Beijing 07-01
        ("S1", "NH3N", "2023-06-30T10:00Z", "hour", 9.0, "D"),  # fault: not valid
        ("S1", "pH", "2023-06-30T01:00Z", "hour", 7.0, "N"),
        ("S1", "pH", "2023-06-30T02:00Z", "hour", 9.0, "N"),
    )
    out = alerts.daily_values(frame, RULES)
    got = {(r.parameter, r.day.isoformat()): r.value for r in out.itertuples()}
    assert set(got) == {("NH3N", "2023-06-30"), ("NH3N", "2023-07-01"), ("pH", "2023-06-30")}
    assert got[("NH3N", "2023-06-30")] == pytest.approx(1.3)
    assert got[("NH3N", "2023-07-01")] == 9.0
    assert got[("pH", "2023-06-30")] == pytest.approx(7.296708, abs=1e-6)


# ------------------------------------------------------------------------------ data gaps


@pytest.mark.parametrize(
    ("last_valid", "gap"),
    [
        pytest.param("2023-06-30T05:00Z", 6, id="exactly-N-hours"),
        pytest.param("2023-06-30T06:00Z", None, id="N-1-hours"),
    ],
)
def test_data_gap_of_n_hours(last_valid: str, gap: int | None) -> None:
    # rule: 6 hours; the hour starting 05:00 ends at 06:00, 6 hours before 12:00
    assert RULES.number("data_gap", "hours") == 6
    frame = readings(
        ("S1", "DO", "2023-06-30T04:00Z", "hour", 7.0, "N"),
        ("S1", "DO", last_valid, "hour", 7.0, "N"),
        ("S1", "DO", "2023-06-30T09:00Z", "hour", 7.0, "M"),  # maintenance: no valid data
        ("S1", "DO", "2023-06-30T10:00Z", "hour", 7.0, "B"),
    )
    found = kinds(
        alerts.evaluate(
            sections=sections(), outlets=None, monitoring=None, readings=frame, as_of=AS_OF
        ),
        "data_gap",
    )
    if gap is None:
        assert found == []
    else:
        (alert,) = found
        assert (alert.value, alert.limit, alert.since) == (gap, 6, "2023-06-30T06:00Z")
        assert alert.id == "data_gap/sections/S1/MN-S1/2023-06-30T06:00Z"


def test_valid_flags_come_from_the_rules(tmp_path: Path) -> None:
    text = (Path(alerts.__file__).parents[1] / "rules" / "alerts.toml").read_text("utf-8")
    path = tmp_path / "alerts.toml"
    path.write_text(
        text.replace("max_history_days =", 'valid_flags = ["N", "S"]\nmax_history_days ='), "utf-8"
    )
    frame = readings(("S1", "NH3N", "2023-06-30T10:00Z", "hour", 1.5, "S"))  # manual input
    with_s = alerts.evaluate(
        sections=sections(), outlets=None, monitoring=None, readings=frame, as_of=AS_OF,
        rules=alerts.load_rules(path),
    )  # fmt: skip
    without = alerts.evaluate(
        sections=sections(), outlets=None, monitoring=None, readings=frame, as_of=AS_OF
    )
    assert [a.kind for a in with_s] == ["exceedance"]
    # flag S not valid: no exceedance, and no gap yet (invalid since 10:00: 2 h < 6 h)
    assert without == []


# ------------------------------------------------------------------------------ outlets


def outlets(*rows: tuple[str, str, str | None]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "code": [r[0] for r in rows],
            "name": [f"排污口{r[0]}" for r in rows],
            "stage": [r[1] for r in rows],
            "deadline": pd.to_datetime([r[2] for r in rows]),
            "district_code": "429005",
        },
        geometry=[Point(112.8, 30.4)] * len(rows),
        crs=4326,
    )


@pytest.mark.parametrize(
    ("deadline", "stage", "kind", "value"),
    [
        pytest.param("2023-07-30", "整治中", "deadline_near", 30, id="N-days-left"),
        pytest.param("2023-07-31", "整治中", None, None, id="N+1-days-left"),
        pytest.param("2023-06-30", "整治中", "deadline_near", 0, id="due-today-not-overdue"),
        pytest.param("2023-06-29", "整治中", "overdue", 1, id="one-day-overdue"),
        pytest.param("2023-06-29", "整治完成", None, None, id="rectified-never-overdue"),
        pytest.param("2023-07-10", "已销号", None, None, id="rectified-not-near"),
        pytest.param(None, "整治中", None, None, id="no-deadline"),
    ],
)
def test_deadline_near_and_overdue(
    deadline: str | None, stage: str, kind: str | None, value: int | None
) -> None:
    assert RULES.number("deadline_near", "days") == 30
    found = alerts.evaluate(
        sections=None, outlets=outlets(("A1", stage, deadline)), monitoring=None,
        readings=None, as_of=dt.date(2023, 6, 30),
    )  # fmt: skip
    if kind is None:
        assert found == []
    else:
        (alert,) = found
        assert (alert.kind, alert.value, alert.limit) == (kind, value, deadline)
        assert alert.district_code == "429005"


def test_json_has_exactly_the_issue_keys() -> None:
    found = alerts.evaluate(
        sections=None, outlets=outlets(("A1", "整治中", "2023-01-31")), monitoring=None,
        readings=None, as_of="2023-06-30",
    )  # fmt: skip
    doc = alerts.alerts_json(found, "2023-06-30")
    assert doc["as_of"] == "2023-06-30"
    (row,) = doc["alerts"]
    assert tuple(row) == alerts.JSON_KEYS
    assert row == {
        "kind": "overdue",
        "severity": "high",
        "layer": "outlets",
        "id": "A1",  # the feature, with `layer` and `name`; the alert's own id is Alert.id
        "name": "排污口A1",
        "parameter": None,
        "value": 150,  # Feb 28 + Mar 31 + Apr 30 + May 31 + Jun 30 days = 150
        "limit": "2023-01-31",
        "since": "2023-02-01",
        "message": row["message"],
        "rule": "overdue：国办函〔2022〕17号；逾期未完成整治（以台账整治时限为准）",
    }
    assert "150" in row["message"]


def test_as_of_a_date_is_the_end_of_the_beijing_day() -> None:
    assert alerts.as_of_instant("2023-06-30") == pd.Timestamp("2023-06-30T16:00Z")
    assert alerts.as_of_instant(dt.date(2023, 6, 30)) == pd.Timestamp("2023-06-30T16:00Z")
    assert alerts.as_of_instant("2023-06-30 08:00") == pd.Timestamp("2023-06-30T00:00Z")
    assert alerts.beijing_day(pd.Timestamp("2023-06-30T16:00Z")) == dt.date(2023, 6, 30)


def _edges(item) -> list[float]:
    """Every class limit of an item, a hair either side of it, and 0."""
    limits = [v for t in (item.low, item.high, item.lake_high) if t for v in t]
    return sorted({0.0, *limits, *(v * 1.001 for v in limits), *(v * 0.999 for v in limits)})


@pytest.mark.parametrize("water_body", ["river", "lake"])
@pytest.mark.parametrize("target", ["I", "II", "III", "IV", "V"])
def test_beyond_the_target_bounds_is_a_worse_class(target: str, water_body: str) -> None:
    # the vectorised comparison agrees with the single-factor class of every value near a limit
    for key in wq.ASSESSED:
        for value in _edges(wq.ITEMS[key]):
            klass = wq.item_class(key, value, water_body=water_body)
            expected = klass is not None and wq.class_rank(klass) > wq.class_rank(target)
            assert alerts.worse_than_target(key, value, target, water_body) is expected, (
                key, value, klass,
            )  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "detail", "source"),
    [
        ("exceedance", "4299JHGK05/hour", "station_hour"),
        ("exceedance", "4299JHGK05/day", "station_day"),
        ("exceedance", "monthly", "lab_month"),
        ("persistent_exceedance", "4299JHGK05", "station_day"),
        ("data_gap", "4299JHGK05", "station"),
        ("trend_worsening", "previous_month", "lab_month"),
        ("overdue", "", "ledger"),
        ("deadline_near", "", "ledger"),
    ],
)
def test_data_source_tells_a_station_hour_from_a_lab_month(
    kind: str, detail: str, source: str
) -> None:
    """Two alerts with the same item and value (a station's hourly TP 0.086 and the lab's
    monthly mean 0.086) differ in their source, which the frame carries beside the JSON keys."""
    alert = alerts.Alert(
        kind, "medium", "sections", "JHGK05", "鸳鸯湖湖心", "TP", 0.086, 0.05, "2023-06-01",
        "m", "r", "420102", detail,
    )  # fmt: skip
    assert alerts.data_source(alert) == source
    frame = alerts.alerts_frame([alert])
    assert frame["source"].tolist() == [source]
    assert list(frame.columns) == [*alerts.JSON_KEYS, "feature_id", "district_code", "source"]
    assert set(alerts.alerts_json([alert], "2023-06-30")["alerts"][0]) == set(alerts.JSON_KEYS)


@pytest.mark.parametrize(
    ("parameter", "value", "limit", "text"),
    [
        ("TP", 0.089125, 0.05, "0.089"),  # 82号 decimals (TP 3)
        ("NH3N", 1.4955, 1.0, "1.50"),
        ("DO", 4.94, 5.0, "4.9"),
        ("DO", 4.96, 5.0, "4.96"),  # 5.0 would read as the limit itself: one more digit
        ("TP", 0.2004, 0.2, "0.2004"),
        ("TP", 0.2, 0.2, "0.200"),  # equal is equal
    ],
)
def test_value_text_never_rounds_an_exceedance_onto_its_limit(
    parameter: str, value: float, limit: float, text: str
) -> None:
    assert alerts.value_text(parameter, value, limit) == text
