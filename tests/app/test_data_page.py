"""The data page: a validation report before anything is written, all-or-nothing import, export."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from apphelp import metrics, no_exception, sha256

from geomon.io import export
from geomon.store import open_store

PAGE = "data"
HEADER = "排污口编码,排污口名称,排污口类型,受纳水体名称,所在区县,行政区划代码,整治进度,经度,纬度\n"
GOOD = "TEST0001,测试排污口,工业排污口,玉带河,明珠区,429902,已排查,112.95,30.40\n"
BAD = (
    "TEST0002,坏记录一,不存在的类型,玉带河,明珠区,42990,已排查,112.95,30.40\n"  # type, code
    "TEST0003,坏记录二,工业排污口,玉带河,明珠区,429902,已排查,999,30.40\n"  # longitude
)


def _upload(at, layer: str, name: str, text: str):
    at.selectbox(key="data.layer").set_value(layer)
    at.file_uploader(key="data.file").set_value((name, text.encode("utf-8"), "text/csv"))
    return at.run()


def test_bad_file_gets_a_row_level_report_and_writes_nothing(app, demo_copy: Path) -> None:
    before = sha256(demo_copy)
    at = _upload(app(demo_copy, PAGE).run(), "outlets", "bad.csv", HEADER + GOOD + BAD)

    no_exception(at)
    assert at.error[0].value.startswith("发现")
    assert metrics(at)["有错误的记录"] == "2"
    report = at.dataframe[0].value
    assert list(report.columns) == ["行号", "字段", "问题代码", "说明", "级别"]
    assert set(report["行号"]) == {2, 3}  # file rows 2 and 3 (header not counted)
    assert {"type_l1", "district_code"} <= set(report.loc[report["行号"] == 2, "字段"])
    # each message in the page's language only (the library writes "中文 / English")
    row3 = report.loc[report["行号"] == 3, "说明"].tolist()
    assert row3 == ["经度“999”无法解析：超出 ±180", "缺少几何/坐标"]
    assert at.button(key="data.go").disabled
    at.run()  # (AppTest, like a browser, cannot click the disabled button)
    assert sha256(demo_copy) == before


def test_valid_file_is_imported_after_the_preview(app, demo_copy: Path) -> None:
    before = sha256(demo_copy)
    at = _upload(app(demo_copy, PAGE).run(), "outlets", "good.csv", HEADER + GOOD)

    no_exception(at)
    assert at.success[0].value.startswith("校验通过")
    assert metrics(at)["将新增"] == "1"
    assert sha256(demo_copy) == before  # the preview wrote nothing

    at.text_input(key="data.version").input("2023年6月台账")
    at.button(key="data.go").click().run()

    no_exception(at)
    assert any(s.value.startswith("已导入") for s in at.success)
    store = open_store(demo_copy)
    outlets = store.read("outlets")
    assert "TEST0001" in set(outlets["code"])
    assert store.info("outlets").version == "2023年6月台账"


def test_unreadable_file(app, demo_copy: Path) -> None:
    at = app(demo_copy, PAGE).run()
    at.file_uploader(key="data.file").set_value(("x.gpkg", b"not a geopackage", "application/x"))
    at.run()

    no_exception(at)
    assert at.error[0].value.startswith("无法读取文件")


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_export_the_filtered_view(app, demo_store: Path, downloads, fmt: str) -> None:
    outlets = open_store(demo_store).read("outlets")
    expected = sorted(outlets.loc[outlets["district"] == "沙洲区", "code"])
    at = app(demo_store, PAGE, district="沙洲区").run()
    at.selectbox(key="data.export_layer").set_value("outlets")
    at.selectbox(key="data.format").set_value(fmt).run()

    no_exception(at)
    data = downloads.files[f"outlets{export.SUFFIX[fmt]}"]
    if fmt == "geojson":
        codes = [f["properties"]["code"] for f in json.loads(data)["features"]]
    elif fmt == "csv":
        codes = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")["排污口编码(国家统一赋码)"]
    elif fmt == "xlsx":
        codes = pd.read_excel(io.BytesIO(data), engine="openpyxl")["排污口编码(国家统一赋码)"]
    elif fmt == "gpkg":
        assert data.startswith(b"SQLite format 3")
        codes = export_read(data, ".gpkg")["code"]
    else:
        assert zipfile.ZipFile(io.BytesIO(data)).namelist()
        codes = export_read(data, ".zip")["code"]
    assert sorted(codes) == expected


def export_read(data: bytes, suffix: str) -> pd.DataFrame:
    """Read an exported GPKG or zipped Shapefile back through geomon's own reader."""
    from geomon.io import read

    return read(data, "outlets", filename=f"x{suffix}").frame


def test_export_starts_on_outlets(app, demo_store: Path) -> None:
    at = app(demo_store, PAGE).run()

    no_exception(at)
    assert at.selectbox(key="data.layer").value == "outlets"  # the import tab too
    box = at.selectbox(key="data.export_layer")
    assert box.options[0] != box.format_func("outlets")  # outlets are not the first layer listed
    assert box.value == "outlets"


def test_non_spatial_layer_exports_as_tables_only(app, demo_store: Path) -> None:
    at = app(demo_store, PAGE).run()
    at.selectbox(key="data.export_layer").set_value("monitoring").run()

    no_exception(at)
    assert at.selectbox(key="data.format").options == ["CSV", "Excel (XLSX)"]


def test_versions_tab_lists_layers(app, demo_store: Path) -> None:
    at = app(demo_store, PAGE).run()

    versions = at.dataframe[-1].value
    assert "入河排污口 (outlets)" in set(versions["图层"])
    outlets = versions.loc[versions["图层"] == "入河排污口 (outlets)"].iloc[0]
    assert outlets["记录数"] == 129
    assert open_store(demo_store).info("outlets").imported_at == "2023-06-30T04:00:00+00:00"
    assert outlets[versions.columns[3]] == "2023-06-30 12:00"  # Beijing time, to the minute
    assert "None" not in versions.astype(str).to_numpy().ravel().tolist()


def test_validation_report_in_english(app, demo_copy: Path) -> None:
    at = _upload(app(demo_copy, PAGE, lang="en").run(), "outlets", "bad.csv", HEADER + GOOD + BAD)

    no_exception(at)
    report = at.dataframe[0].value
    message = report.columns[3]
    assert report.loc[report.iloc[:, 0] == 3, message].tolist() == [
        "longitude '999' cannot be parsed: beyond ±180",
        "no geometry",
    ]
