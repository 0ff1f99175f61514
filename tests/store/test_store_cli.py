"""``geomon import`` / ``geomon export`` on every backend, with the store from GEOMON_STORE.

`geomon import --mode upsert` of an updated ledger records each change in the history with the
file name as source and the user from ``--user`` (or ``$USER``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geomon import cli
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
