"""The ``geomon`` command as scripts use it: exit codes, JSON shapes, nothing written on failure."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pyogrio
import pytest

from geomon import cli
from geomon.config import DEMO_STORE
from geomon.store import open_store

HEADER = (
    "排污口编码,排污口名称,排污口类型,受纳水体,所在区县,行政区划代码,整治进度,整治时限,经度,纬度\n"
)
GOOD_ROWS = [
    "A001,东城区一号排污口,工业排污口,汉江,东城区,429005,整治完成,2023-06-30,112.896,30.402\n",
    "A002,东城区二号排污口,其他排口,汉江,东城区,429005,整治中,2023/12/31,112°53'50\",30°24'10\"\n",
]
BAD_ROW = "A003,,农业排口,汉江,东城区,42900X,差不多,明年,112.9,30.41\n"


def ledger(tmp_path: Path, rows: list[str], name: str = "ledger.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(argv)
    return code, capsys.readouterr().out


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_validate_valid_file_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(
        ["validate", str(ledger(tmp_path, GOOD_ROWS)), "--layer", "outlets", "--json"], capsys
    )
    assert code == 0
    doc = json.loads(out)
    assert doc == {
        "layer": "outlets",
        "path": str(tmp_path / "ledger.csv"),
        "rows": 2,
        "valid": True,
        "errors": [],
        "warnings": [],
    }


def test_validate_invalid_rows_exit_1_with_row_field_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = ledger(tmp_path, [*GOOD_ROWS, BAD_ROW])
    code, out = run(["validate", str(path), "--layer", "outlets", "--json"], capsys)
    assert code == 1
    doc = json.loads(out)
    assert doc["rows"] == 3 and doc["valid"] is False
    found = {(e["row"], e["field"], e["code"]) for e in doc["errors"]}
    assert found == {
        (3, "name", "missing_value"),
        (3, "district_code", "bad_format"),
        (3, "stage", "bad_enum"),
        (3, "deadline", "bad_date"),
    }
    assert all(set(e) == {"row", "field", "code", "message"} for e in doc["errors"])


@pytest.mark.parametrize(
    ("content", "name"),
    [
        pytest.param(b'{"type": "FeatureCollection", "features": [', "cut.geojson", id="truncated"),
        pytest.param(b"PK\x03\x04broken", "broken.zip", id="broken-zip"),
        pytest.param(b"hello", "notes.docx", id="unsupported"),
    ],
)
def test_unreadable_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, name: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    code, out = run(["validate", str(path), "--layer", "outlets", "--json"], capsys)
    assert code == 2
    doc = json.loads(out)
    assert doc["valid"] is False
    assert doc["errors"][0]["row"] is None
    assert name in doc["errors"][0]["message"]


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", "x.csv", "--layer", "wells"]) == 2
    assert "argument --layer: invalid choice: 'wells'" in capsys.readouterr().err


def test_import_is_all_or_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "s.gpkg"
    code, _ = run(
        ["import", str(ledger(tmp_path, GOOD_ROWS)), "--layer", "outlets", "--store", str(store)],
        capsys,
    )
    assert code == 0
    before = digest(store)
    bad = ledger(tmp_path, [GOOD_ROWS[0].replace("整治完成", "已销号"), BAD_ROW], "bad.csv")
    code, out = run(
        ["import", str(bad), "--layer", "outlets", "--store", str(store), "--json"], capsys
    )
    assert code == 1
    assert json.loads(out)["written"] is False
    assert digest(store) == before
    assert open_store(store).read("outlets")["stage"].tolist() == ["整治完成", "整治中"]


def test_import_skip_invalid_writes_valid_rows_and_names_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.gpkg"
    path = ledger(tmp_path, [*GOOD_ROWS, BAD_ROW])
    code, out = run(
        [
            "import",
            str(path),
            "--layer",
            "outlets",
            "--store",
            str(store),
            "--skip-invalid",
            "--json",
        ],
        capsys,
    )
    doc = json.loads(out)
    assert code == 1
    assert (doc["written"], doc["rows_written"], doc["skipped_rows"]) == (True, 2, [3])
    assert open_store(store).read("outlets")["code"].tolist() == ["A001", "A002"]


def test_import_dry_run_shows_diff_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.gpkg"
    run(
        ["import", str(ledger(tmp_path, GOOD_ROWS)), "--layer", "outlets", "--store", str(store)],
        capsys,
    )
    before = digest(store)
    update = ledger(
        tmp_path,
        [
            GOOD_ROWS[0],
            GOOD_ROWS[1].replace("整治中", "整治完成"),
            GOOD_ROWS[0].replace("A001", "A004"),
        ],
        "update.csv",
    )
    code, out = run(
        ["import", str(update), "--layer", "outlets", "--store", str(store), "--dry-run", "--json"],
        capsys,
    )
    assert code == 0
    diff = json.loads(out)["diff"]
    assert diff["added"] == [["A004"]]
    assert diff["changed"] == [
        {"key": ["A002"], "field": "stage", "old": "整治中", "new": "整治完成"}
    ]
    assert diff["unchanged"] == 1
    assert digest(store) == before


def test_export_with_where_filters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "s.gpkg"
    run(
        ["import", str(ledger(tmp_path, GOOD_ROWS)), "--layer", "outlets", "--store", str(store)],
        capsys,
    )
    out = tmp_path / "doing.geojson"
    code, _ = run(
        [
            "export",
            "--layer",
            "outlets",
            "--store",
            str(store),
            "--where",
            "stage=整治",
            "--format",
            "geojson",
            "-o",
            str(out),
        ],
        capsys,
    )
    assert code == 0
    back = pyogrio.read_dataframe(out)
    assert back["code"].tolist() == ["A002"]  # "整治" is the alias of stage 整治中
    # 112°53'50" = 112.8972222…, 30°24'10" = 30.4027777…
    assert back.geometry.iloc[0].x == pytest.approx(112 + 53 / 60 + 50 / 3600, abs=1e-7)
    assert back.geometry.iloc[0].y == pytest.approx(30 + 24 / 60 + 10 / 3600, abs=1e-7)


def test_export_unknown_where_field_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(
        [
            "export",
            "--layer",
            "outlets",
            "--store",
            str(tmp_path / "s.gpkg"),
            "--where",
            "colour=red",
            "--format",
            "csv",
            "-o",
            str(tmp_path / "o.csv"),
        ]
    )
    assert code == 2
    assert "colour=red" in capsys.readouterr().err


def test_export_of_a_table_layer_as_shapefile_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m.zip"
    argv = ["export", "--layer", "monitoring", "--store", str(DEMO_STORE), "--format", "shp"]
    assert cli.main([*argv, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == "geomon: layer 'monitoring' has no geometry; export it as csv or xlsx\n"
    assert not out.exists()


def test_console_script_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "geomon.cli", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert "validate" in done.stdout and "export" in done.stdout


def test_help_lists_the_commands_in_their_documented_order() -> None:
    # the order of `geomon --help` before the CLI was split into command families
    commands = cli.build_parser()._subparsers._group_actions[0].choices
    assert list(commands) == [
        "validate", "import", "export", "classify", "stats", "trace", "alerts", "check", "user",
        "report", "recheck", "readings", "series", "demo", "problems", "dispatch", "serve",
        "health",
    ]  # fmt: skip
