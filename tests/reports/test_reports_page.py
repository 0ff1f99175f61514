"""The Reports page (geomon/app/pages/reports.py) in AppTest: build, download, re-check."""

from __future__ import annotations

import shutil
from pathlib import Path

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
    assert at.dataframe[-1].value["id"].tolist() == ["XM2023-003", "XM2023-004"]


def test_page_speaks_english(at: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEOMON_LANG", "en")  # strings.toml reports.*, through geomon.app.i18n
    at.run()
    assert not at.exception
    assert at.title[0].value == "Reports"
    assert [t.label for t in at.tabs] == ["Period report", "Re-check after a revision"]
    assert at.button(key="reports.build").label == "Build the report"
