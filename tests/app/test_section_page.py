"""The section record (一断面一档) on the demo: facts, latest class, the chart with the target
limit, monthly classes, exceedances with 超标倍数, data completeness, trend, printable sheet.

Expected values come from data/README.md ("Automatic stations", "Planted problems") and
GB 3838-2002 表1 (Ⅲ: NH3-N ≤ 1.0 mg/L, DO ≥ 5 mg/L, TP ≤ 0.2 mg/L).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
from apphelp import metrics, no_exception, param

from geomon.monitoring import typed
from geomon.store import open_store

PAGE = "section"


def _chart(at) -> tuple[dict, dict]:
    """The page's one chart: its Vega-Lite spec and its datasets as frames, by name."""
    (chart,) = at.get("vega_lite_chart")
    datasets = {d.name: pa.ipc.open_stream(d.data.data).read_pandas() for d in chart.proto.datasets}
    return json.loads(chart.proto.spec), datasets


def _table(at, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_jhsk08_record_from_the_url(app, demo_store: Path, downloads) -> None:
    """JHSK08 (省控, target Ⅲ) is continuously above target on NH3-N: the chart opens on it, with
    the Ⅲ limit 1.0 mg/L drawn; June's lab class is Ⅴ (未达标)."""
    at = app(demo_store, PAGE, code="JHSK08").run()

    no_exception(at)
    assert at.selectbox(key="section.code").value == "JHSK08"
    assert at.header[0].value == "兴农运河入河口"
    facts = _table(at, "内容")
    shown = dict(zip(facts["项目"], facts["内容"], strict=True))
    assert shown["控制级别"] == "省控"
    assert shown["水质目标"] == "Ⅲ类"
    assert shown["所在区县"] == "沙洲区"
    assert shown["自动站"] == "4299JHSK08"
    cards = metrics(at)
    assert cards["2023-06 水质类别"] == "Ⅴ类"
    (card,) = [m for m in at.metric if m.label == "2023-06 水质类别"]
    assert card.proto.delta == "中度污染 · 自动站+人工监测"
    assert cards["是否达标"] == "未达标"
    # 2023-01 劣Ⅴ (重度污染) → 2023-06 Ⅴ (中度污染): one status level better (2011 method)
    assert cards["变化趋势"] == "有所好转"

    assert at.selectbox(key="section.parameter").value == "NH3N"  # most values over target
    assert param(at, "parameter") == ["NH3N"]
    spec, data = _chart(at)
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["line", "point", "rule"]
    limit = data[spec["layer"][2]["data"]["name"]]
    assert limit["limit"].tolist() == [1.0]
    points = data[spec["layer"][1]["data"]["name"]]
    assert (points["source"] == "自动站").sum() == 720  # June, hourly
    assert (points["source"] == "人工监测").sum() == 1  # the lab sample of 2023-06-12
    assert "红色虚线：水质目标Ⅲ类限值 1 mg/L" in at.caption[0].value

    monthly = _table(at, "评价依据")
    assert monthly["月份"].tolist() == [f"2023-0{m}" for m in range(1, 7)]
    assert monthly["水质类别"].tolist() == ["劣Ⅴ类", "Ⅴ类", "Ⅴ类", "Ⅴ类", "Ⅴ类", "Ⅴ类"]
    # June: the station's complete month (NH3-N mean of daily means 1.52 → Ⅴ) for its five
    # items (82号 priority), the lab sample for the rest
    assert monthly["评价依据"].tolist() == ["人工监测"] * 5 + ["自动站+人工监测"]
    assert monthly["自动站类别"].tolist() == ["—"] * 5 + ["Ⅴ类"]
    assert monthly["自动站数据"].tolist() == ["—"] * 5 + ["完整"]
    assert any("优先采用自动站月均值（环办监测函〔2020〕82号）" in c.value for c in at.caption)

    over = _table(at, "超标倍数")
    assert len(over) == 500  # the page lists 500 (the CSV, made on click, holds them all)
    (count,) = [c.value for c in at.caption if c.value.startswith("共 ")]
    counted = int(count.split("共 ")[1].split(" 条")[0])
    assert counted > 500  # NH3-N alone is above 1.0 in most of June's 720 hours
    assert (over["项目"] == "氨氮").sum() > (over["项目"] == "总磷").sum()
    sheet = downloads.files["JHSK08.html"].decode("utf-8")
    assert "地表水监测断面信息档案" in sheet and "兴农运河入河口" in sheet
    assert "2023-06 水质类别：Ⅴ类（中度污染），未达到水质目标。评价依据：自动站+人工监测。" in sheet
    # 5+X: the station's pH, DO, CODMn, NH3-N, TP and the lab's COD (20.3 in April > 20);
    # FC is beyond Ⅲ too but not assessed (2011 method): no chart
    labels = re.findall(r'<svg class="series"[^>]*aria-label="([^"]+)"', sheet)
    assert labels == [
        "pH值",
        "溶解氧（mg/L）",
        "高锰酸盐指数（mg/L）",
        "氨氮（mg/L）",
        "总磷（mg/L）",
        "化学需氧量（mg/L）",
    ]  # fmt: skip  (station parameters first, as on the page)
    assert sheet.count('class="pt auto"') == 5 * 30  # June's daily values, one mark each


def test_jhgk02_planted_nh3n_exceedance(app, demo_store: Path) -> None:
    """JHGK02 NH3-N 2023-06-14 02:00–05:00 Beijing: 1.32, 1.62, 1.38, 1.12 mg/L over the Ⅲ
    limit 1.0: 超标 0.32, 0.62, 0.38, 0.12 倍 ((C − 1.0) / 1.0)."""
    at = app(demo_store, PAGE, code="JHGK02").run()

    no_exception(at)
    over = _table(at, "超标倍数")
    nh3n = over[(over["项目"] == "氨氮") & (over["来源"] == "自动站")]
    assert nh3n["时间（北京时间）"].tolist() == [
        "2023-06-14 05:00", "2023-06-14 04:00", "2023-06-14 03:00", "2023-06-14 02:00",
    ]  # fmt: skip
    assert nh3n["浓度"].tolist() == [1.12, 1.38, 1.62, 1.32]
    assert nh3n["目标限值"].tolist() == ["1"] * 4
    assert nh3n["超标倍数"].tolist() == ["超标0.12倍", "超标0.38倍", "超标0.62倍", "超标0.32倍"]
    do = over[over["项目"] == "溶解氧"]
    assert len(do) and set(do["超标倍数"]) == {""}  # no multiple for DO (2011 method)
    assert (do["浓度"] < 5).all() and set(do["目标限值"]) == {"5"}  # DO: ≥ 5 for Ⅲ


def test_jhgk03_maintenance_gap_completeness(app, demo_store: Path) -> None:
    """JHGK03 2023-06-20: 4 hours flagged M and 4 hours missing: 712 of June's 720 hours valid
    for every parameter (98.9 %), 29 of 30 days."""
    at = app(demo_store, PAGE, code="JHGK03").run()

    no_exception(at)
    complete = _table(at, "数据完整率")
    assert set(complete["月份"]) == {"2023-06"}
    assert set(complete["有效小时数"]) == {712}
    assert set(complete["应有小时数"]) == {720}
    assert set(complete["数据完整率"]) == {"98.9%"}
    # 20 June has 16 valid hours (< 75 % of 24): its daily mean does not count; 29 of 30 days
    # do (≥ 75 %), so June's monthly mean counts
    assert set(complete["有效天数"]) == {29}
    assert set(complete["应有天数"]) == {30}
    assert set(complete["月均值"]) == {"完整"}
    assert len(complete) == 5  # pH, DO, CODMn, NH3-N, TP


def test_incomplete_station_month_is_not_classed(app, demo_copy: Path, downloads) -> None:
    """JHSK08's station also sent NH3-N for 1–10 May (10 of 31 days < 75 %): May is 不完整,
    not classed from station data; May keeps its lab class (Ⅴ)."""
    start = pd.Timestamp("2023-05-01", tz="Asia/Shanghai")
    may = typed(
        pd.DataFrame(
            {
                "section_code": "JHSK08", "station_mn": "4299JHSK08", "parameter": "NH3N",
                "time": pd.date_range(start, periods=240, freq="h"), "step": "hour",
                "value": 0.3, "flag": "N",
            }
        )
    )  # fmt: skip
    open_store(demo_copy).write_readings(may)

    at = app(demo_copy, PAGE, code="JHSK08").run()

    no_exception(at)
    monthly = _table(at, "评价依据").set_index("月份")
    assert monthly.loc["2023-05"].tolist() == [
        "Ⅴ类", "人工监测", "Ⅴ类", "—", "不完整", "未达标",
    ]  # fmt: skip
    complete = _table(at, "有效天数")
    may_row = complete[complete["月份"] == "2023-05"]
    assert may_row[
        ["项目", "有效小时数", "应有小时数", "有效天数", "应有天数", "月均值"]
    ].values.tolist() == [["氨氮", 240, 744, 10, 31, "不完整"]]
    sheet = downloads.files["JHSK08.html"].decode("utf-8")
    assert (
        "<td>2023-05</td><td>Ⅴ类</td><td>人工监测</td><td>Ⅴ类</td><td>—</td><td>不完整</td>"
        in sheet
    )


def test_monthly_step_and_english(app, demo_store: Path) -> None:
    """?lang=en; the month step gives June's mean of the valid hours (one point) and the six
    monthly lab results."""
    at = app(demo_store, PAGE, code="JHSK08", lang="en").run()
    at.segmented_control(key="section.step").set_value("month").run()

    no_exception(at)
    assert at.title[0].value == "Section record"
    assert metrics(at)["Class in 2023-06"] == "Class V"
    spec, data = _chart(at)
    points = data[spec["layer"][1]["data"]["name"]]
    assert (points["source"] == "Station").sum() == 1
    assert (points["source"] == "Lab").sum() == 6
    assert spec["layer"][0]["encoding"]["x"]["axis"]["format"] == "%Y-%m"


def test_section_without_station_or_target(app, demo_store: Path) -> None:
    """JHMK02 has no target class (data/README.md) and no automatic station."""
    at = app(demo_store, PAGE, code="JHMK02").run()

    no_exception(at)
    facts = _table(at, "内容")
    shown = dict(zip(facts["项目"], facts["内容"], strict=True))
    assert (shown["水质目标"], shown["自动站"]) == ("—", "无")
    assert "该断面未设水质目标，不判定达标与超标。" in [c.value for c in at.caption]
    assert "无自动站数据。" in [c.value for c in at.caption]


def test_unknown_code(app, demo_store: Path) -> None:
    at = app(demo_store, PAGE, code="NOPE").run()

    no_exception(at)
    assert at.warning[0].value == "没有编码为“NOPE”的断面。"


def test_choosing_a_section_updates_the_url(app, demo_store: Path) -> None:
    at = app(demo_store, PAGE).run()
    first = at.selectbox(key="section.code").value
    assert param(at, "code") == [first]

    at.selectbox(key="section.code").set_value("JHGK02").run()

    no_exception(at)
    assert param(at, "code") == ["JHGK02"]


def test_map_search_offers_the_section_record(app, demo_store: Path) -> None:
    at = app(demo_store).run()  # the map
    at.text_input(key="map_search").input("JHSK08").run()

    no_exception(at)
    (link,) = at.page_link
    assert link.label == "打开断面档案：JHSK08"
    assert (link.proto.page, link.proto.query_string) == ("section", "code=JHSK08")
