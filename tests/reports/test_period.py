"""Period reports on a store with a known history (issue 9), on GeoPackage and PostGIS.

The history (tests/reports/conftest.py, `STEPS`) is dated with ``at=``. Hand counts:

Outlets. Q1 2023 (cut at 2023-03-31 24:00 Beijing): O1 已销号 (closed 03-15), O2 整治中 (due
03-15: overdue 16 days), O3 已溯源 (traced 02-08), O4 已销号 (since 2022), O5 已排查 (found
03-01). Total 5; traced 4 (80.0 %); rectified 2 (40.0 %); closed 2; overdue 1. In Q1: found 1
(O5), traced 1 (O3), rectified 0, closed 1 (O1: 已销号 at the end, not at the start).
Q2 (cut at 2023-06-30 24:00 Beijing): + O6 (found 05-02, traced 05-08); O2 rectified 04-18 and
closed 06-20; O3's rectification was entered 07-01 01:00 Beijing, after the cut, so O3 is still
已溯源 and overdue since 05-31 (30 days). Total 6; traced 5 (83.3 %); rectified 3 (50.0 %);
closed 3 (50.0 %); overdue 1. In Q2: found 1 (O6), traced 1 (O6), rectified 1 (O2), closed 1.

Sections (NH3-N only; III ≤ 1.0, IV ≤ 1.5, V ≤ 2.0 mg/L): S1 国控 0.8 / 0.8 / 1.2 → III, III,
IV (target III); S2 省控 2.5 / 1.8 / 0.4 → 劣V, V, II (target II); S3 省控 0.3 → II (target III).
Q1 vs Q4 2022: 国控 100 % → 100 %; 省控 good 50 % → 50 %, 劣V 50 % → 0 % (ΔG − ΔD = 50:
明显好转); all: good 66.7 %, 劣V 33.3 % → 0 % (明显好转). Q2 vs Q1: 国控 100 % → 0 % (明显变差);
省控 50 % → 100 % (明显好转); all 66.7 % → 66.7 % (无明显变化). S1's June sample was corrected
on 07-20 (1.2 → 0.3: mean 0.9, class III): after the Q2 cut, so the Q2 report keeps IV.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from geomon.analysis import stats
from geomon.errors import ReportError, VersionError
from geomon.reports import period
from geomon.store import Store, open_store

Q1 = ("2023-01-01", "2023-03-31")
Q2 = ("2023-04-01", "2023-06-30")
CUT = {Q1: "2023-03-31T15:59:59.999999+00:00", Q2: "2023-06-30T15:59:59.999999+00:00"}
EXPECTED = {
    Q1: {
        "cumulative": {"total": 5, "traced": 4, "rectified": 2, "closed": 2, "overdue": 1,
                       "traced_pct": 80.0, "rectified_pct": 40.0, "closed_pct": 40.0},
        "in_period": {"found": 1, "traced": 1, "rectified": 0, "closed": 1},
        # district: total, found, traced, rectified, closed in period, overdue
        "by_district": {"东区": (3, 1, 0, 0, 1, 1), "西区": (2, 0, 1, 0, 0, 0)},
        "by_type": {"其他排口": (1, 0, 0, 0, 0, 1), "城镇污水处理厂排污口": (1, 1, 0, 0, 0, 0),
                    "农业排口": (1, 0, 0, 0, 0, 0), "工业排污口": (2, 0, 1, 0, 1, 0)},
        "by_category": {"取缔": (1, 0, 1, 0, 0, 0), "合并": (1, 0, 0, 0, 0, 1),
                        "规范": (2, 0, 0, 0, 1, 0), "（未填）": (1, 1, 0, 0, 0, 0)},
        "overdue": [("O2", 16)],
        # level: good %, 劣V %, ΔG, ΔD, trend, meets target / with target
        "networks": {"国控": (100.0, 0.0, 0.0, 0.0, "无明显变化", 1, 1),
                     "省控": (50.0, 0.0, 0.0, -50.0, "明显好转", 1, 2),
                     "合计": (66.7, 0.0, 0.0, -33.3, "明显好转", 2, 3)},
        # section: class, previous class, change, status levels crossed, meets target
        "sections": {"S1": ("III", "III", "持平", 0, True), "S2": ("V", "劣V", "好转", 1, False),
                     "S3": ("II", "II", "持平", 0, True)},
        "exceedances": [("S2", "氨氮", 1.8, 0.8)],
        # layer: version label, revision, rows
        "versions": {"outlets": ("台账 2023-03", 8, 5), "sections": ("底图 2022", 1, 3),
                     "monitoring": (None, 9, 18), "districts": ("底图 2022", 1, 2),
                     "rivers": ("底图 2022", 1, 1)},
    },
    Q2: {
        "cumulative": {"total": 6, "traced": 5, "rectified": 3, "closed": 3, "overdue": 1,
                       "traced_pct": 83.3, "rectified_pct": 50.0, "closed_pct": 50.0},
        "in_period": {"found": 1, "traced": 1, "rectified": 1, "closed": 1},
        "by_district": {"东区": (3, 0, 0, 1, 1, 0), "西区": (3, 1, 1, 0, 0, 1)},
        "by_type": {"其他排口": (2, 1, 1, 1, 1, 0), "城镇污水处理厂排污口": (1, 0, 0, 0, 0, 0),
                    "农业排口": (1, 0, 0, 0, 0, 0), "工业排污口": (2, 0, 0, 0, 0, 1)},
        "by_category": {"取缔": (1, 0, 0, 0, 0, 1), "合并": (1, 0, 0, 1, 1, 0),
                        "规范": (2, 0, 0, 0, 0, 0), "（未填）": (2, 1, 1, 0, 0, 0)},
        "overdue": [("O3", 30)],
        "networks": {"国控": (0.0, 0.0, -100.0, 0.0, "明显变差", 0, 1),
                     "省控": (100.0, 0.0, 50.0, 0.0, "明显好转", 2, 2),
                     "合计": (66.7, 0.0, 0.0, 0.0, "无明显变化", 2, 3)},
        "sections": {"S1": ("IV", "III", "变差", 1, False), "S2": ("II", "V", "好转", 3, True),
                     "S3": ("II", "II", "持平", 0, True)},
        "exceedances": [("S1", "氨氮", 1.2, 0.2)],
        "versions": {"outlets": ("台账 2023-03", 14, 6), "sections": ("底图 2022", 1, 3),
                     "monitoring": (None, 15, 27), "districts": ("底图 2022", 1, 2),
                     "rivers": ("底图 2022", 1, 1)},
    },
}  # fmt: skip
GROUP_KEYS = ("total", "found_in_period", "traced_in_period", "rectified_in_period",
              "closed_in_period", "overdue")  # fmt: skip


@pytest.mark.parametrize("span", [Q1, Q2], ids=["Q1", "Q2"])
def test_every_figure_matches_the_hand_count(known_store: Store, span: tuple[str, str]) -> None:
    want = EXPECTED[span]
    report = period.period_report(known_store, *span)
    o = report.outlets
    assert report.as_of.at == CUT[span]
    assert o["cumulative"] == want["cumulative"]
    assert o["in_period"] == want["in_period"]
    for name, field in (("by_district", "district"), ("by_type", "type_l1"),
                        ("by_category", "category")):  # fmt: skip
        got = {r[field]: tuple(r[k] for k in GROUP_KEYS) for r in o[name]}
        assert got == want[name], name
    assert [(r["code"], r["days_overdue"]) for r in o["overdue"]] == want["overdue"]
    networks = {
        r["control_level"]: (r["good_pct"], r["worst_pct"], r["delta_good"], r["delta_worst"],
                             r["trend"], r["meets_target"], r["with_target"])
        for r in report.networks
    }  # fmt: skip
    assert networks == want["networks"]
    sections = {
        s["section_code"]: (s["class"], s["previous_class"], s["change"], s["change_levels"],
                            s["meets_target"])
        for s in report.sections
    }  # fmt: skip
    assert sections == want["sections"]
    assert [s["section_code"] for s in report.changed] == [
        code for code, row in want["sections"].items() if row[2] in ("好转", "变差")
    ]
    assert [
        (e["section_code"], e["item"], e["value"], e["multiple"]) for e in report.exceedances
    ] == want["exceedances"]
    versions = {s.layer: (s.version, s.revision, s.rows) for s in report.versions}
    assert versions == want["versions"]
    assert report.notes == ()  # history covers both periods: closed-in-period is known


@pytest.mark.parametrize("span", [Q1, Q2], ids=["Q1", "Q2"])
def test_figures_equal_geomon_stats_when_the_period_was_run(
    known_store: Store,
    history_until: Callable[[Store, str], Store],
    tmp_path: Path,
    span: tuple[str, str],
) -> None:
    """`geomon stats` on the store as it stood at the period's end gives the report's figures,
    although the report is made later, after edits to data of that period."""
    then = history_until(open_store(tmp_path / "then.gpkg"), CUT[span])
    expected = stats.stats_json(then, period=span)
    report = period.period_report(known_store, *span)
    assert report.stats == expected
    assert report.outlets["cumulative"] == expected["outlets"]["total"]
    by_level = {r["control_level"]: r for r in expected["sections"]["by_control_level"]}
    for row in report.networks[:-1]:
        assert row["good_pct"] == by_level[row["control_level"]]["good_pct"]
        assert row["worst_pct"] == by_level[row["control_level"]]["worst_pct"]
    # the store as it is now says otherwise: the report does not drift with later edits
    now = stats.stats_json(known_store, period=span)
    if span == Q2:
        assert now["outlets"]["total"]["rectified"] == 4
        assert now["outlets"]["total"] != report.stats["outlets"]["total"]
        assert now["sections"]["failing"] == [] != report.stats["sections"]["failing"]


def test_in_period_counts_agree_with_the_monthly_progress(known_store: Store) -> None:
    """Traced / rectified in H1 = the monthly cumulative at June minus that at December."""
    h1 = period.period_report(known_store, "2023-01-01", "2023-06-30")
    dec = period.period_report(known_store, "2022-12-01", "2022-12-31", as_of=h1.as_of.at)
    for what in ("traced", "rectified"):
        june, december = h1.outlets["by_month"][-1][what], dec.outlets["by_month"][-1][what]
        assert h1.outlets["in_period"][what] == june - december, what
    assert h1.outlets["in_period"] == {"found": 2, "traced": 2, "rectified": 1, "closed": 2}


def test_later_cutoff_includes_late_entries_and_says_so(known_store: Store) -> None:
    report = period.period_report(known_store, *Q2, as_of="2023-07-31")
    assert report.as_of.at == "2023-07-31T15:59:59.999999+00:00"
    assert report.outlets["cumulative"]["rectified"] == 4  # O3, entered 07-01 Beijing time
    assert report.outlets["in_period"]["rectified"] == 2
    assert {s["section_code"]: s["class"] for s in report.sections}["S1"] == "III"  # corrected
    by_label = period.period_report(known_store, *Q1, as_of="台账 2023-03")
    assert by_label.as_of.label == "台账 2023-03"
    assert by_label.as_of.at == "2023-03-15T02:00:00.000000+00:00"
    assert by_label.outlets["cumulative"]["total"] == 5


def test_district_report_equals_the_district_rows(known_store: Store) -> None:
    whole = period.period_report(known_store, *Q2)
    east = period.period_report(known_store, *Q2, district="东区")
    row = next(r for r in whole.outlets["by_district"] if r["district"] == "东区")
    total = east.outlets["cumulative"]
    assert {k: row[k] for k in total} == total
    assert east.outlets["in_period"] == {
        k: row[f"{k}_in_period"] for k in ("found", "traced", "rectified", "closed")
    }
    district_sections = next(
        r for r in whole.stats["sections"]["by_district"] if r["district"] == "东区"
    )
    assert east.stats["sections"]["total"] == {
        k: v for k, v in district_sections.items() if k != "district"
    }
    assert [s["section_code"] for s in east.sections] == ["S1", "S3"]


def test_period_without_monitoring_or_history(known_store: Store) -> None:
    report = period.period_report(known_store, "2022-01-01", "2022-03-31")
    assert report.outlets is None and report.networks == []
    assert [s["class"] for s in report.sections] == []  # sections not stored yet then
    assert any("尚未入库" in n for n in report.notes)
    demo = period.period_report(open_store(Path("data/demo.gpkg")), "2023-01-01", "2023-06-30")
    assert demo.outlets["in_period"]["closed"] is None  # no history: cannot tell
    assert any("无法统计" in n for n in demo.notes)
    assert any("上期（2022年下半年）无监测数据" in n for n in demo.notes)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        pytest.param({"start": "2023-06-30", "end": "2023-01-01"}, ReportError,
                     "ends .* before it starts", id="reversed"),
        pytest.param({"start": "2023/01/01", "end": "2023-06-30"}, ReportError,
                     "not a date", id="bad-date"),
        pytest.param({"district": "火星区"}, ReportError, "known: ", id="district"),
        pytest.param({"as_of": "红线 2099 版"}, VersionError, "已有版本", id="version"),
    ],
)  # fmt: skip
def test_bad_arguments_are_named(known_store: Store, kwargs: dict, error: type, match: str) -> None:
    args = {"start": "2023-01-01", "end": "2023-06-30", **kwargs}
    with pytest.raises(error, match=match):
        period.period_report(known_store, args.pop("start"), args.pop("end"), **args)


@pytest.mark.parametrize(
    ("start", "end", "previous", "label"),
    [
        ("2023-01-01", "2023-06-30", ("2022-07-01", "2022-12-31"), "2023年上半年"),
        ("2023-07-01", "2023-12-31", ("2023-01-01", "2023-06-30"), "2023年下半年"),
        ("2023-04-01", "2023-06-30", ("2023-01-01", "2023-03-31"), "2023年第二季度"),
        ("2023-01-01", "2023-12-31", ("2022-01-01", "2022-12-31"), "2023年"),
        ("2023-03-01", "2023-03-31", ("2023-02-01", "2023-02-28"), "2023年3月"),
        ("2023-01-01", "2023-05-31", ("2022-08-01", "2022-12-31"), "2023年1–5月"),
        ("2023-03-10", "2023-03-19", ("2023-02-28", "2023-03-09"), "2023年3月10日至2023年3月19日"),
    ],
)
def test_previous_period_and_label(start: str, end: str, previous: tuple, label: str) -> None:
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    assert tuple(d.isoformat() for d in period.previous_period(first, last)) == previous
    assert period.period_label(first, last) == label


def test_report_json_round_trips(known_store: Store) -> None:
    doc = period.period_report(known_store, *Q2).to_json()
    again = json.loads(json.dumps(doc, ensure_ascii=False, allow_nan=False))
    assert again["label"] == "2023年第二季度"
    assert again["previous"]["label"] == "2023年第一季度"
    assert again["as_of"]["at"] == CUT[Q2]
