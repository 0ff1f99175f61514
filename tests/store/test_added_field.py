"""A field added to a layer spec after a store was written: outlets' ``attachments`` (附件).

A store written before the field existed has no such column. Reading gives the field empty,
an edit of it is saved and recorded like any other, and `geomon validate` passes a ledger
without the column. Runs on both backends (the `store` fixture).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely import Point

from geomon import cli, validate
from geomon.store import Edit, Store

LEDGER = (
    "排污口编码,排污口名称,排污口类型,受纳水体,所在区县,行政区划代码,整治进度,经度,纬度\n"
    "A001,东城区一号排污口,工业排污口,汉江,东城区,429005,整治中,112.896,30.402\n"
)


def _outlets() -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {"code": ["A1", "A2"], "name": ["一号", "二号"], "type_l1": "其他排口",
         "receiving_water": "汉江", "district": "东城区", "district_code": "429005",
         "stage": "整治中", "notes": ["旧备注", None]},
        geometry=[Point(112.8, 30.4), Point(112.9, 30.5)],
        crs=4326,
    )  # fmt: skip
    return validate.apply_dtypes(frame, "outlets")


def _drop_column(store: Store, column: str) -> None:
    """Make `store`'s outlets table look as if written before `column` was in the spec."""
    if store.url.startswith("postgresql"):
        import sqlalchemy as sa

        with store.engine.begin() as conn:
            conn.execute(sa.text(f'ALTER TABLE outlets DROP COLUMN "{column}"'))
        return
    with sqlite3.connect(store.url) as db:
        db.execute(f'ALTER TABLE outlets DROP COLUMN "{column}"')


@pytest.fixture
def older(store: Store) -> Store:
    """`store` holding two outlets in a table without the ``attachments`` column."""
    store.write({"outlets": _outlets()}, user="导入")
    _drop_column(store, "attachments")
    return store


def test_a_store_without_the_column_reads_it_as_empty_and_edits_it(older: Store) -> None:
    rows = older.read("outlets", with_versions=True)
    assert rows["attachments"].isna().all()
    assert rows["notes"].tolist()[0] == "旧备注"  # the other columns are as stored

    result = older.edit(
        "outlets", [Edit("A1", {"attachments": "整治方案.pdf；监测报告 JC-01"}, 1)], user="张三"
    )

    assert result.versions == {("A1",): 2}
    after = older.read("outlets").set_index("code")
    assert after.loc["A1", "attachments"] == "整治方案.pdf；监测报告 JC-01"
    assert pd.isna(after.loc["A2", "attachments"])
    history = older.history("outlets")
    update = history[history["op"] == "update"]
    assert update[["key", "field", "old", "new", "user"]].values.tolist() == [
        ["A1", "attachments", None, "整治方案.pdf；监测报告 JC-01", "张三"]
    ]


def test_a_ledger_without_the_column_is_valid(tmp_path: Path, capsys) -> None:
    path = tmp_path / "台账.csv"
    path.write_text(LEDGER, encoding="utf-8")

    assert cli.main(["validate", str(path), "--layer", "outlets", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["valid"], report["rows"], report["errors"]) == (True, 1, [])
