"""The Reports page (geomon/app/pages/reports.py) in AppTest: build, download, re-check."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from geomon.store import open_store

PAGE = str(Path(__file__).parents[2] / "geomon" / "app" / "pages" / "reports.py")
DEMO = Path(__file__).parents[2] / "data" / "demo.gpkg"


@pytest.fixture
def at(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    path = tmp_path / "demo.gpkg"
    shutil.copyfile(DEMO, path)
    store = open_store(path)
    red = store.read("red_lines")
    red.loc[0, "geometry"] = red.geometry.iloc[0].buffer(0.003)
    store.write({"red_lines": red}, version="红线 2024 调整版")
    monkeypatch.setenv("GEOMON_STORE", str(path))
    return AppTest.from_file(PAGE, default_timeout=60)


def test_period_report_is_built_and_offered_for_download(at: AppTest) -> None:
    at.run()
    assert not at.exception
    assert at.date_input(key="reports.start").value.isoformat() == "2023-01-01"
    assert at.date_input(key="reports.end").value.isoformat() == "2023-06-30"
    at.button(key="reports.build").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert [m.value for m in at.metric] == ["129", "59", "88.9%", "3"]
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels[:2] == ["下载 HTML 报告", "下载 XLSX 报表"]
    at.selectbox(key="reports.district").set_value("明珠区").run()  # inputs changed: stale
    assert len(at.get("download_button")) == 0 and len(at.metric) == 0


def test_recheck_lists_the_changed_projects(at: AppTest) -> None:
    at.run()
    assert at.selectbox(key="reports.before").options == ["演示数据 2023H1", "红线 2024 调整版",
                                                          "当前数据"]  # fmt: skip
    at.selectbox(key="reports.after").set_value("红线 2024 调整版")
    at.button(key="reports.run").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.warning[0].value == "2 个项目有变化（共 11 个）"
    changed = at.dataframe[-1].value
    assert changed["项目编号"].tolist() == ["XM2023-003", "XM2023-004"]
    assert "verdict_before" not in changed.columns and "None" not in changed.to_string()


def test_page_speaks_english(at: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEOMON_LANG", "en")  # strings.toml reports.*, through geomon.app.i18n
    at.run()
    assert not at.exception
    assert at.title[0].value == "Reports"
    assert [t.label for t in at.tabs] == ["Period report", "Re-check after a revision"]
    assert at.button(key="reports.build").label == "Build the report"


@pytest.mark.parametrize(
    ("lang", "caption", "levels", "header"),
    [
        ("zh", "2023年上半年（2023-01-01 至 2023-06-30）｜数据截至 2023-06-30 23:59",
         ["国控", "省控", "市控", "合计"], "优良比例(%)"),
        ("en", "2023-01-01 to 2023-06-30 | data as of 2023-06-30 23:59",
         ["National", "Provincial", "Municipal", "Total"], "Good (%)"),
    ],
)  # fmt: skip
def test_period_report_for_people(
    at: AppTest, monkeypatch: pytest.MonkeyPatch, lang, caption, levels, header
) -> None:
    monkeypatch.setenv("GEOMON_LANG", lang)
    at.run()
    at.button(key="reports.build").click().run()
    assert not at.exception, [e.message for e in at.exception]

    # the cut is the end of 30 June, Beijing time (15:59:59.999999 UTC), shown to the minute
    assert at.caption[0].value.replace("\\", "") == caption
    table = at.dataframe[0].value
    assert not any(c.islower() and "_" in c for c in table.columns)  # no raw keys
    assert table.iloc[:, 0].tolist() == levels
    # demo 2023H1: 国控 5/6 good, 省控 8/9, 市控 3/3, all 16/18 (one decimal)
    assert table[header].tolist() == [83.3, 88.9, 100.0, 88.9]
    shown = _display(at.dataframe[0])  # what the browser draws
    assert shown[header].tolist() == ["83.3", "88.9", "100.0", "88.9"]
    # no previous period: no change known. Streamlit draws an empty number as "None" whatever
    # the Styler says, so the cells themselves hold "—"
    assert table[table.columns[4]].tolist() == shown[table.columns[4]].tolist() == ["—"] * 4
    assert "None" not in shown.to_string()
    notes = [e.label for e in at.expander]
    assert notes == ([] if lang == "zh" else ["Notes in the report (in Chinese, as the report)"])


def _display(element) -> pd.DataFrame:
    """The display values of a Styler-formatted ``st.dataframe`` (the texts the browser shows)."""
    data = element.proto.arrow_data.styler.display_values
    return pa.ipc.open_stream(data).read_all().to_pandas()
