"""The period report's HTML and XLSX: what a reader sees, escaped, offline (issue 9)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from shapely import Point

from geomon import validate
from geomon.reports import period, period_html, period_xlsx
from geomon.store import Store, open_store

DEMO = Path(__file__).parents[2] / "data" / "demo.gpkg"
WHEN = dt.datetime(2023, 7, 5, 1, 30, tzinfo=dt.UTC)  # 09:30 Beijing
Q2 = ("2023-04-01", "2023-06-30")
SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil.example","点我")'


@pytest.fixture(scope="module")
def demo_copy(tmp_path_factory: pytest.TempPathFactory) -> Store:
    path = tmp_path_factory.mktemp("demo") / "demo.gpkg"
    shutil.copyfile(DEMO, path)
    return open_store(path)


def _text(html: str) -> str:
    """The visible text of `html` (tags removed; SVG labels kept)."""
    return re.sub(r"<[^>]+>", "", html)


def test_html_reads_like_a_bureau_report(known_store: Store) -> None:
    html = period_html.render(period.period_report(known_store, *Q2), generated_at=WHEN)
    text = _text(html)
    assert "<h1>2023年第二季度水生态环境监管工作报告</h1>" in html
    headings = re.findall(r"<h2>(.*?)</h2>", html)
    assert headings == ["一、总体情况", "二、入河排污口排查整治", "三、地表水环境质量",
                        "四、断面水质与排污口分布", "五、数据版本与说明"]  # fmt: skip
    for sentence in (
        "2023年第二季度，全市新增排查入河排污口1个，完成溯源1个，完成整治1个，本期销号1个。",
        "累计排查入河排污口6个，其中已溯源5个（83.3%），已完成整治3个（50.0%），已销号3个（50.0%）；"
        "逾期未完成整治1个。",
        "全市3个地表水监测断面中，Ⅰ–Ⅲ类（优良）断面2个，占66.7%；劣Ⅴ类断面0个，占0.0%。",
        "与上期（2023年第一季度）相比，优良比例持平，劣Ⅴ类比例持平，总体水质无明显变化。",
        "水质好转的断面1个：断面S2（Ⅴ类→Ⅱ类）；水质变差的断面1个：断面S1（Ⅲ类→Ⅳ类）。",
        "未达到水质目标的断面1个：断面S1（国控，Ⅳ类，目标Ⅲ类，超标项目：氨氮 超标0.2倍）。",
        "截至2023年6月30日，超过整治时限仍未完成整治的排污口1个",
        "数据截至：2023-06-30 23:59",
        "生成时间：2023-07-05 09:30",
    ):
        assert sentence in text, sentence
    assert html.count("<svg") == 4  # monthly lines, district bars, class bars, the map
    assert "表10 本报告使用的数据版本" in text and "台账 2023-03" in text
    assert "<script" not in html and "http" not in html  # nothing runs, nothing is fetched


def test_demo_h1_report_states_the_demo_figures(demo_copy: Store) -> None:
    report = period.period_report(demo_copy, "2023-01-01", "2023-06-30")
    text = _text(period_html.render(report, generated_at=WHEN))
    for sentence in (
        "累计排查入河排污口129个，其中已溯源124个（96.1%），已完成整治112个（86.8%），"
        "已销号73个（56.6%）；逾期未完成整治3个。",
        "河流排污口113个、已完成整治110个（97.3%）；湖库排污口16个、已完成整治2个（12.5%）",
        "国控断面6个，优良（Ⅰ–Ⅲ类）比例83.3%；省控断面9个，优良（Ⅰ–Ⅲ类）比例88.9%",
        "柳溪河下游（JHMK02）未设定水质目标",
        "演示数据 2023H1",
    ):
        assert sentence in text, sentence


@pytest.fixture
def hostile(tmp_path: Path) -> Store:
    """One outlet and one section whose names are markup or a spreadsheet formula."""
    store = open_store(tmp_path / "x.gpkg")
    outlet = gpd.GeoDataFrame(
        [{"code": "X1", "name": SCRIPT, "type_l1": "工业排污口", "receiving_water": FORMULA,
          "district": "<b>东区</b>", "district_code": "429901", "stage": "整治中",
          "survey_date": "2023-02-01", "deadline": "2023-03-01", "responsible_unit": FORMULA}],
        geometry=[Point(114.0, 30.4)], crs=4326,
    )  # fmt: skip
    section = gpd.GeoDataFrame(
        [{"code": "S<1>", "name": '<img src=x onerror="alert(1)">', "river": SCRIPT,
          "control_level": "国控", "district": "<b>东区</b>", "target_class": "III"}],
        geometry=[Point(114.01, 30.4)], crs=4326,
    )  # fmt: skip
    samples = pd.DataFrame({"section_code": ["S<1>"], "date": ["2023-02-10"], "NH3N": [1.6]})
    store.write(
        {
            "outlets": validate.apply_dtypes(outlet, "outlets"),
            "sections": validate.apply_dtypes(section, "sections"),
            "monitoring": validate.apply_dtypes(samples, "monitoring"),
        },
        source="<script>src</script>.xlsx",
        version="<i>v1</i>",
        at="2023-01-05T00:00:00Z",
    )
    return store


def test_html_escapes_every_user_text(hostile: Store) -> None:
    report = period.period_report(hostile, "2023-01-01", "2023-03-31", district="<b>东区</b>")
    html = period_html.render(report)
    for raw in ("<script", "<img", "<b>东区", "<i>v1</i>"):
        assert raw not in html, raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "&lt;i&gt;v1&lt;/i&gt;" in html
    assert "（&lt;b&gt;东区&lt;/b&gt;）" in html  # the report's scope


def test_xlsx_has_one_sheet_per_table_with_the_figures(known_store: Store, tmp_path: Path) -> None:
    path = period_xlsx.write(period.period_report(known_store, *Q2), tmp_path / "q2.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["概况", "排污口进展", "分区县", "分类型", "分整治类型", "按月进展",
                             "逾期清单", "各级断面", "河流水质", "断面水质", "类别变化",
                             "超标项目", "数据版本", "说明"]  # fmt: skip

    def rows(sheet: str) -> list[list[object]]:
        return [list(r) for r in wb[sheet].iter_rows(values_only=True)]

    assert rows("排污口进展")[0] == ["工作环节", "本期完成（个）", "累计（个）", "累计占比"]
    assert rows("排污口进展")[1:] == [
        ["排查", 1, 6, None], ["溯源", 1, 5, 83.3], ["整治完成", 1, 3, 50],
        ["销号", 1, 3, 50], ["逾期未完成整治", None, 1, None],
    ]  # fmt: skip
    district = {r[0]: tuple(r[1:6]) for r in rows("分区县")[1:]}
    assert district == {"东区": (3, 0, 0, 1, 1), "西区": (3, 1, 1, 0, 0)}
    levels = {r[0]: (r[4], r[-1]) for r in rows("各级断面")[1:]}
    assert levels == {
        "国控": (0, "明显变差"),
        "省控": (100, "明显好转"),
        "合计": (66.7, "无明显变化"),
    }
    sections = {r[0]: (r[6], r[9], r[10]) for r in rows("断面水质")[1:]}
    assert sections["S1"] == ("Ⅳ类", "Ⅲ类", "变差")
    assert rows("逾期清单")[1][0] == "O3"
    assert rows("数据版本")[1][:4] == ["入河排污口", "outlets", 6, "台账 2023-03"]


def test_xlsx_keeps_formula_text_as_text(hostile: Store, tmp_path: Path) -> None:
    path = period_xlsx.write(
        period.period_report(hostile, "2023-01-01", "2023-03-31"), tmp_path / "x.xlsx"
    )
    cell = openpyxl.load_workbook(path)["逾期清单"]["F2"]
    assert cell.value == FORMULA and cell.data_type == "s"
