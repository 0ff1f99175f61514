"""The outlet record (一口一档): fields, zones, downstream sections, history, printable sheet."""

from __future__ import annotations

from pathlib import Path

import pytest
from apphelp import no_exception, param

from geomon.store import Edit, open_store

PAGE = "outlet"
IN_ZONE = "CJ9001429902GM0001"  # demo outlet inside the 第一水厂 二级 protection zone


def _maps(at) -> int:
    return sum("st_folium" in e.proto.component_name for e in at.get("component_instance"))


def test_record_from_the_url(app, demo_store: Path, downloads) -> None:
    outlet = open_store(demo_store).read("outlets").set_index("code").loc[IN_ZONE]
    at = app(demo_store, PAGE, outlet=IN_ZONE).run()

    no_exception(at)
    assert at.selectbox(key="outlet.code").value == IN_ZONE
    assert at.header[0].value == outlet["name"]
    fields = at.dataframe[0].value
    assert dict(zip(fields["项目"], fields["内容"], strict=True))["所在区县"] == outlet["district"]
    zones = at.dataframe[1].value
    assert "SY42990201-2" in set(zones["编码"])
    assert "水污染防治法 第六十四条" in set(zones["说明/依据"])
    assert _maps(at) == 1
    sheet = downloads.files[f"{IN_ZONE}.html"].decode("utf-8")
    assert outlet["name"] in sheet
    # no GEOMON_PUBLIC_URL and no page address others reach: no QR code, and both say so
    assert "<svg" not in sheet and "localhost" not in sheet
    assert "未设置应用的公开地址（GEOMON_PUBLIC_URL），未生成二维码" in sheet
    assert at.warning[-1].value.startswith("未设置应用的公开地址（`GEOMON_PUBLIC_URL`）")


def test_sheet_qr_code_opens_the_public_address(app, demo_store, downloads, monkeypatch) -> None:
    at = app(demo_store, PAGE, outlet=IN_ZONE)
    monkeypatch.setenv("GEOMON_PUBLIC_URL", "https://gis.example.gov.cn/geomon/")
    at.run()

    no_exception(at)
    sheet = downloads.files[f"{IN_ZONE}.html"].decode("utf-8")
    assert "<svg" in sheet
    assert f"电子档案：https://gis.example.gov.cn/geomon/outlet?outlet={IN_ZONE}" in sheet
    assert not any("GEOMON_PUBLIC_URL" in w.value for w in at.warning)


def test_downstream_sections(app, demo_store: Path) -> None:
    code = "CJ9001429902CS0030"  # on 玉带河, 3.9 km above JHMK03 and 8.8 km above JHSK09
    at = app(demo_store, PAGE, outlet=code).run()

    no_exception(at)
    below = next(d.value for d in at.dataframe if "断面编码" in d.value.columns)
    assert below["断面编码"].tolist() == ["JHMK03", "JHSK09"]
    assert below["沿河距离(公里)"].tolist() == ["3.89", "8.79"]


def test_record_tables_in_english(app, demo_store: Path) -> None:
    # demo outlet GM0001: in the 二级 zone SY42990201-2 and the 优先保护单元 ZH42990210001,
    # 1.70 km above the 省控 section JHSK01
    at = app(demo_store, PAGE, outlet="CJ9001429902GM0001", lang="en").run()

    no_exception(at)
    below = next(d.value for d in at.dataframe if "Section code" in d.value.columns)
    assert below.iloc[0].tolist() == ["JHSK01", "第一水厂取水口", "Provincial", "1.70"]
    zones = next(d.value for d in at.dataframe if "Note / basis" in d.value.columns)
    assert zones.iloc[0, 2].endswith(" Level 2")
    assert zones.iloc[1, 3] == "Priority protection"
    history = next(d.value for d in at.dataframe if "When" in d.value.columns)
    assert history["When"].tolist() == ["2023-06-30 12:00"]  # imported 04:00 UTC


def test_choosing_an_outlet_updates_the_url(app, demo_store: Path) -> None:
    at = app(demo_store, PAGE).run()
    first = at.selectbox(key="outlet.code").value
    assert param(at, "outlet") == [first]

    at.selectbox(key="outlet.code").set_value(IN_ZONE).run()

    no_exception(at)
    assert param(at, "outlet") == [IN_ZONE]


def test_unknown_code(app, demo_store: Path) -> None:
    at = app(demo_store, PAGE, outlet="NOPE").run()

    no_exception(at)
    assert at.warning[0].value == "没有编码为“NOPE”的排污口。"


def test_history_is_shown_when_the_store_keeps_one(app, demo_copy: Path) -> None:
    store = open_store(demo_copy)
    if not hasattr(store, "edit"):
        pytest.skip("this store has no edit/history support yet")
    row = store.read("outlets", with_versions=True).set_index("code").loc[IN_ZONE]
    store.edit("outlets", [Edit(IN_ZONE, {"stage": "整治完成"}, int(row["_version"]))], user="张三")

    at = app(demo_copy, PAGE, outlet=IN_ZONE).run()

    no_exception(at)
    history = next(d.value for d in at.dataframe if "操作人" in d.value.columns)
    assert history["操作人"].tolist() == ["geomon demo", "张三"]  # the demo's import, the edit
    assert history["操作"].tolist() == ["新增", "修改"]
    assert history["字段"].tolist() == ["", "整治进度"]
    assert history["原值"].tolist() == ["", "整治中"]
    assert history["新值"].tolist() == ["", "整治完成"]  # the imported row's JSON is not shown


def test_store_without_outlets(app, tmp_path: Path, tiny_store: Path) -> None:
    empty = tmp_path / "empty.gpkg"
    store = open_store(empty)
    store.write({"districts": open_store(tiny_store).read("districts")})

    at = app(empty, PAGE).run()

    no_exception(at)
    assert at.info[0].value.startswith("数据库中没有排污口")
