"""Dashboard charts (geomon.app.present.charts): whole-number count axes, words in the page's
language, month labels that cannot overlap, legends that fit half a page."""

from __future__ import annotations

import pandas as pd

from geomon.app.present import charts


def _spec(chart) -> tuple[dict, list[dict]]:
    spec = chart.to_dict()
    rows = next(iter(spec["datasets"].values()))
    return spec, rows


def test_progress_bars_count_whole_outlets_in_english() -> None:
    # 5 industrial outlets: 3 rectified, 1 overdue ⇒ 1 open and not overdue
    rows = [{"type_l1": "工业排污口", "total": 5, "rectified": 3, "overdue": 1}]
    spec, data = _spec(charts.progress_bars(rows, "type_l1", lang="en"))

    assert {(r["group"], r["part"], r["n"]) for r in data} == {
        ("Industrial", "Rectified", 3),
        ("Industrial", "Open, not overdue", 1),
        ("Industrial", "Overdue", 1),
    }
    axis = spec["encoding"]["x"]["axis"]
    assert (axis["format"], axis["tickMinStep"]) == ("d", 1)


def test_class_bars_levels_by_name_and_whole_counts() -> None:
    rows = [{"control_level": "国控", "counts": {"II": 1, "III": 4, "IV": 1}}]
    spec, data = _spec(charts.class_bars(rows, "control_level", lang="en"))

    assert sorted((r["group"], r["class"], r["n"]) for r in data) == [
        ("National", "Class II", 1),
        ("National", "Class III", 4),
        ("National", "Class IV", 1),
    ]
    assert spec["encoding"]["y"]["axis"]["format"] == "d"
    assert spec["encoding"]["color"]["legend"]["columns"] == 3  # "Worse than V" was cut
    zh, _ = _spec(charts.class_bars(rows, "control_level", lang="zh"))
    assert zh["encoding"]["x"]["sort"] == ["国控"]


def test_monthly_heatmap_slants_months_and_wraps_its_legend() -> None:
    monthly = pd.DataFrame(
        {
            "section_code": ["S1"] * 12,
            "name": ["宗关"] * 12,
            "month": [f"2023-{m:02d}" for m in range(1, 13)],
            "class": ["III"] * 11 + ["劣V"],
        }
    )
    spec = charts.monthly_heatmap(monthly, lang="zh").to_dict()
    layer = spec["layer"][0]

    x = layer["encoding"]["x"]["axis"]
    assert x["labelAngle"] == -45 and x["orient"] == "top"  # "2023-01" needs ~45 px; cells ~30
    assert layer["encoding"]["color"]["legend"]["columns"] == 3  # six classes in two rows
    data = next(iter(spec["datasets"].values()))
    assert [r["label"] for r in data][-1] == "劣Ⅴ类"


def test_heatmap_cells_fit_in_english() -> None:
    monthly = pd.DataFrame(
        {"section_code": ["S1", "S1"], "name": ["宗关", "宗关"], "month": ["2023-01", "2023-02"],
         "class": ["III", "劣V"]}
    )  # fmt: skip
    spec = charts.monthly_heatmap(monthly, lang="en").to_dict()
    data = next(iter(spec["datasets"].values()))

    assert [(r["label"], r["cell"]) for r in data] == [("Class III", "III"), ("Worse than V", ">V")]
    assert spec["layer"][1]["encoding"]["text"]["field"] == "cell"
