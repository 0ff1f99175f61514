"""``geomon import`` / ``geomon export`` on every backend, with the store from GEOMON_STORE.

`geomon import --mode upsert` of an updated ledger records each change in the history with the
file name as source and the user from ``--user`` (or ``$USER``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from geomon import cli, importer
from geomon import io as gio
from geomon.io import export
from geomon.store import Store

HEADER = (
    "排污口编码,排污口名称,排污口类型,受纳水体,所在区县,行政区划代码,整治进度,整治时限,经度,纬度\n"
)
ROWS = [
    "A001,东城区一号排污口,工业排污口,汉江,东城区,429005,整治中,2023-06-30,112.896,30.402\n",
    "A002,东城区二号排污口,其他排口,汉江,东城区,429005,已排查,2023-12-31,112.897,30.403\n",
]
UPDATED = [
    ROWS[0].replace("整治中", "整治完成"),
    ROWS[1],
    "A003,东城区三号排污口,农业排口,汉江,东城区,429005,已溯源,2024-06-30,112.898,30.404\n",
]


def ledger(folder: Path, name: str, rows: list[str]) -> Path:
    path = folder / name
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def test_import_upsert_and_export_through_geomon_store(
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GEOMON_STORE", store.url)
    monkeypatch.setenv("USER", "ci-user")
    first = ledger(tmp_path, "台账2023.csv", ROWS)
    assert cli.main(["import", str(first), "--layer", "outlets"]) == 0
    capsys.readouterr()
    second = ledger(tmp_path, "台账2024.csv", UPDATED)
    argv = ["import", str(second), "--layer", "outlets", "--mode", "upsert", "--user", "张三"]
    assert cli.main([*argv, "--dry-run", "--json"]) == 0
    diff = json.loads(capsys.readouterr().out)["diff"]
    assert diff["added"] == [["A003"]]
    assert diff["changed"] == [
        {"key": ["A001"], "field": "stage", "old": "整治中", "new": "整治完成"}
    ]
    assert len(store.history("outlets")) == 2  # the dry run wrote nothing

    assert cli.main(argv) == 0
    history = store.history("outlets")
    assert history[["user", "source", "key", "op", "field", "old", "new"]].values.tolist() == [
        ["ci-user", "台账2023.csv", "A001", "insert", None, None, history["new"][0]],
        ["ci-user", "台账2023.csv", "A002", "insert", None, None, history["new"][1]],
        ["张三", "台账2024.csv", "A003", "insert", None, None, history["new"][2]],
        ["张三", "台账2024.csv", "A001", "update", "stage", "整治中", "整治完成"],
    ]
    assert store.info("outlets").source == "台账2024.csv"

    out = tmp_path / "done.geojson"
    capsys.readouterr()
    assert cli.main(["export", "--layer", "outlets", "--where", "stage=整治完成",
                     "--format", "geojson", "-o", str(out)]) == 0  # fmt: skip
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert [f["id"] for f in features] == ["A001"]
    assert "_version" not in features[0]["properties"]
    assert features[0]["geometry"] == {"type": "Point", "coordinates": [112.896, 30.402]}


PLAN = "整治方案.pdf\nhttps://hb.example.cn/pwk/A001/plan.pdf"  # two references, one a link


def attached_ledger(path: Path, attachments: list[str]) -> Path:
    """The ledger `ROWS` with a 附件 column holding `attachments` (quoted: they may span lines)."""
    rows = [
        r.rstrip("\n") + ',"' + a.replace('"', '""') + '"\n'
        for r, a in zip(ROWS, attachments, strict=True)
    ]
    path.write_text(HEADER.rstrip("\n") + ",附件\n" + "".join(rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "csv", "xlsx"])  # shp: see below
def test_attachments_survive_export_and_upsert_records_their_change(
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
) -> None:
    monkeypatch.setenv("GEOMON_STORE", store.url)
    first = attached_ledger(tmp_path / "台账2023.csv", [PLAN, ""])
    assert cli.main(["import", str(first), "--layer", "outlets", "--user", "李四"]) == 0
    assert store.read("outlets")["attachments"].tolist()[0] == PLAN

    out = tmp_path / f"outlets{export.SUFFIX[fmt]}"
    assert cli.main(["export", "--layer", "outlets", "--format", fmt, "-o", str(out)]) == 0
    capsys.readouterr()
    argv = ["import", str(out), "--layer", "outlets", "--mode", "upsert", "--dry-run", "--json"]
    assert cli.main(argv) == 0
    diff = json.loads(capsys.readouterr().out)["diff"]
    assert [c for c in diff["changed"] if c["field"] == "attachments"] == []  # carried unchanged

    second = attached_ledger(
        tmp_path / "台账2024.csv", ["整治方案.pdf；销号材料.pdf", "监测报告 JC-2024-01"]
    )
    argv = ["import", str(second), "--layer", "outlets", "--mode", "upsert", "--user", "张三"]
    assert cli.main(argv) == 0
    history = store.history("outlets")
    updates = history[history["op"] == "update"]
    assert updates[["user", "source", "key", "field", "old", "new"]].values.tolist() == [
        ["张三", "台账2024.csv", "A001", "attachments", PLAN, "整治方案.pdf；销号材料.pdf"],
        ["张三", "台账2024.csv", "A002", "attachments", None, "监测报告 JC-2024-01"],
    ]


def test_attachments_survive_a_shapefile(store: Store, tmp_path: Path) -> None:
    """DBF names have 10 characters: ``attachments`` is written as ``attachment``, an alias.

    (Only this field is checked: the other long field names do not map back yet.)
    """
    first = attached_ledger(tmp_path / "台账2023.csv", [PLAN, ""])
    assert importer.import_file(first, "outlets", store).written
    data = export.export_bytes(store.read("outlets"), "outlets", "shp")

    back = gio.read(data, "outlets", filename="outlets.zip")

    assert back.frame["attachments"].tolist()[0] == PLAN
    assert pd.isna(back.frame["attachments"].tolist()[1])
    assert "attachment" not in [w.field for w in back.report.warnings]


def test_upsert_of_a_ledger_without_the_column_keeps_the_attachments(
    store: Store, tmp_path: Path
) -> None:
    importer.import_file(attached_ledger(tmp_path / "台账2023.csv", [PLAN, ""]), "outlets", store)
    older = ledger(tmp_path, "旧模板台账.csv", UPDATED)  # no 附件 column

    assert importer.import_file(older, "outlets", store, mode="upsert").written

    stored = store.read("outlets").set_index("code")
    assert stored.loc["A001", "stage"] == "整治完成"
    assert stored.loc["A001", "attachments"] == PLAN
