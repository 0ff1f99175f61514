"""The printable section sheet's charts (inline SVG, `geomon.app.present.svg_chart`): the limit
line at the y worked out by hand, one mark per point, class colours, escaped text; and the
sheet built from hand-made readings and lab results.

Plot area: top y = 22, height 120 px, axis from 0 to `nice_max(1.05 × largest)`, so a value v
sits at y = 22 + 120 × (1 − v / top)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from geomon.app.present import section_sheet, section_view, svg_chart
from geomon.monitoring import months, typed
from geomon.rules import water_quality as wq


@pytest.mark.parametrize(
    ("value", "top"),
    [(1.62, 2.0), (0.0, 1.0), (9.0, 10.0), (0.211, 0.25), (19.9, 20.0), (2.5, 2.5), (31, 50)],
)
def test_nice_max(value: float, top: float) -> None:
    assert svg_chart.nice_max(value) == top


def points(rows: list[tuple[str, float, str | None, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["time", "value", "class", "source"]).assign(
        time=lambda f: pd.to_datetime(f["time"])
    )


def test_limit_line_and_one_mark_per_point() -> None:
    # largest 1.62 × 1.05 = 1.701 → top 2; the Ⅲ limit 1.0 → y = 22 + 120 × (1 − 1/2) = 82.0
    data = points([
        ("2023-06-01", 0.4, "II", "auto"),
        ("2023-06-02", 1.62, "V", "auto"),
        ("2023-06-03", 0.8, None, "auto"),  # not valid: grey
        ("2023-06-02", 1.2, "IV", "lab"),
    ])  # fmt: skip

    svg = svg_chart.series_svg(data, limit=1.0, title="氨氮 <mg/L>", limit_label="Ⅲ类限值")

    (limit,) = re.findall(r'<line class="limit"[^>]*/>', svg)
    assert 'y1="82.0"' in limit and 'y2="82.0"' in limit
    circles = re.findall(
        r'<circle class="pt auto" cx="([\d.]+)" cy="([\d.]+)"[^>]*fill="([^"]+)"', svg
    )
    # x: 44 + 284 × (day − 1) / 2 → 44, 186, 328; y: 0.4 → 22 + 120 × 0.8 = 118,
    # 1.62 → 22 + 120 × 0.19 = 44.8, 0.8 → 22 + 120 × 0.6 = 94, the lab's 1.2 → 70 (± 5 diamond)
    assert circles == [
        ("44.0", "118.0", wq.CLASS_COLORS["II"]),
        ("186.0", "44.8", wq.CLASS_COLORS["V"]),
        ("328.0", "94.0", svg_chart.NO_CLASS),
    ]
    (diamond,) = re.findall(r'<path class="pt lab" d="([^"]+)" fill="([^"]+)"', svg)
    assert diamond == ("M186.0,65.0 L191.0,70.0 L186.0,75.0 L181.0,70.0 Z", wq.CLASS_COLORS["IV"])
    assert "氨氮 &lt;mg/L&gt;" in svg and "<mg/L>" not in svg


def test_ph_range_draws_two_lines() -> None:
    # pH 6–9: top nice_max(9 × 1.05 = 9.45) = 10; y(6) = 22 + 48 = 70, y(9) = 22 + 12 = 34
    data = points([("2023-06-01", 7.5, "I", "auto")])
    svg = svg_chart.series_svg(data, limit=[6.0, 9.0], title="pH值")
    ys = re.findall(r'<line class="limit"[^>]*y1="([\d.]+)"', svg)
    assert ys == ["70.0", "34.0"]
    assert re.findall(r'<circle class="pt auto" cx="([\d.]+)"', svg) == ["186.0"]  # centred


def readings(parameter: str, values: list[float]) -> pd.DataFrame:
    """One hourly value a day from 1 June 00:00 Beijing, at section S1."""
    start = pd.Timestamp("2023-06-01", tz="Asia/Shanghai")
    return typed(
        pd.DataFrame(
            {
                "section_code": "S1",
                "station_mn": "MN1",
                "parameter": parameter,
                "time": [start + pd.Timedelta(days=i) for i in range(len(values))],
                "step": "day",  # stored daily values (CN 2031)
                "value": values,
                "flag": "N",
            }
        )
    )


def test_sheet_charts_5_plus_x_with_the_station_span() -> None:
    """A station sends 3 daily NH3-N values (1.2, 0.8, 0.6) in June; the lab has pH and NH3-N
    in May and June, and Cu (beyond the Ⅰ target) in May, BOD5 within it. Charted: pH (one of
    the 5), NH3-N (station), Cu (X: beyond the target); not BOD5. The NH3-N chart spans the
    station's days: 3 circles and the June lab result only (the May one is before them)."""
    station = readings("NH3N", [1.2, 0.8, 0.6])
    lab = pd.DataFrame({
        "section_code": "S1", "date": ["2023-05-10", "2023-06-02"], "pH": [7.1, 7.3],
        "NH3N": [0.1, 0.12], "Cu": [0.02, None], "BOD5": [2.0, 2.5],
    })  # fmt: skip
    over = section_view.exceedances(station, lab, "S1", "I", lang="key")
    assert set(over["parameter"]) == {"NH3N", "Cu"}  # Ⅰ: NH3-N ≤ 0.15, Cu ≤ 0.01

    charts = section_sheet.parameter_charts(
        station, lab, "S1", "I", "river", exceeded=over["parameter"].unique()
    )

    assert [re.search(r'aria-label="([^"]+)"', c).group(1) for c in charts] == [
        "氨氮（mg/L）",
        "pH值",
        "铜（mg/L）",
    ]  # fmt: skip  (station parameters first, then 表1 order, as on the page)
    nh3n, ph, cu = charts
    assert (ph.count('class="pt lab"'), ph.count('class="pt auto"')) == (2, 0)
    assert (nh3n.count('class="pt auto"'), nh3n.count('class="pt lab"')) == (3, 1)
    # Ⅰ NH3-N limit 0.15; top nice_max(1.26) = 2 → y = 22 + 120 × (1 − 0.075) = 133.0
    assert re.findall(r'<line class="limit"[^>]*y1="([\d.]+)"', nh3n) == ["133.0"]
    assert cu.count('class="pt lab"') == 1  # the blank June Cu is no point

    classes = months.section_months(station, lab, "S1")
    sheet = section_sheet.section_sheet(
        facts=[("断面编码", "S1")], name="<测试>断面", code="S1", link=None, latest=None,
        target="I", classes=classes, exceedances=section_view.exceedances(station, lab, "S1", "I"),
        completeness=section_view.completeness(station, "S1"), trend=None, charts=charts,
    )  # fmt: skip
    assert sheet.count('<svg class="series"') == 3
    assert "&lt;测试&gt;断面" in sheet and "<测试>" not in sheet
    assert "<script" not in sheet and "http" not in sheet.split("</style>")[1].replace(
        "http://www.w3.org/2000/svg", ""
    )  # offline: no script, no external URL but the SVG namespace
