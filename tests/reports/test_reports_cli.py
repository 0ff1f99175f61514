"""``geomon report`` and ``geomon recheck``: outputs and exit codes (0 ok, 1 changed, 2 usage)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest

from geomon import cli
from geomon.store import open_store

DEMO = Path(__file__).parents[2] / "data" / "demo.gpkg"
H1 = ["--from", "2023-01-01", "--to", "2023-06-30"]


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    path = tmp_path / "demo.gpkg"
    shutil.copyfile(DEMO, path)
    return path


def test_report_writes_html_xlsx_and_json(demo: Path, tmp_path: Path, capsys) -> None:
    for name in ("h1.html", "h1.xlsx", "h1.json"):
        code = cli.main(["report", *H1, "--store", str(demo), "-o", str(tmp_path / name)])
        assert code == 0, name
    assert "2023年上半年水生态环境监管工作报告" in (tmp_path / "h1.html").read_text("utf-8")
    assert openpyxl.load_workbook(tmp_path / "h1.xlsx").sheetnames[0] == "概况"
    assert "数据截至 2023-06-30 23:59" in capsys.readouterr().out


def test_report_figures_equal_geomon_stats(demo: Path, tmp_path: Path, capsys) -> None:
    """The acceptance check of issue 9: the report states what `geomon stats` prints."""
    assert cli.main(["stats", *H1, "--store", str(demo), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    out = tmp_path / "h1.json"
    assert cli.main(["report", *H1, "--store", str(demo), "-o", str(out)]) == 0
    doc = json.loads(out.read_text("utf-8"))
    assert doc["stats"] == printed
    assert doc["outlets"]["cumulative"] == printed["outlets"]["total"]
    levels = {r["control_level"]: r for r in printed["sections"]["by_control_level"]}
    assert {r["control_level"]: r["good_pct"] for r in doc["networks"]} == {
        **{k: v["good_pct"] for k, v in levels.items()},
        "合计": printed["sections"]["total"]["good_pct"],
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param([*H1, "-o", "x.pdf"], "ending in .html", id="suffix"),
        pytest.param(["--from", "2023-06-30", "--to", "2023-01-01", "-o", "x.html"],
                     "--from '2023-06-30' is after --to '2023-01-01'", id="reversed"),
        pytest.param(["--from", "1.1.2023", "--to", "2023-06-30", "-o", "x.html"],
                     "not a date", id="bad-date"),
        pytest.param([*H1, "--district", "火星区", "-o", "x.html"], "known:", id="district"),
        pytest.param([*H1, "--as-of", "不存在的版本", "-o", "x.html"], "已有版本", id="as-of"),
    ],
)  # fmt: skip
def test_report_bad_usage_exits_2(demo: Path, tmp_path: Path, capsys, args, message) -> None:
    args = [a if a not in ("x.pdf", "x.html") else str(tmp_path / a) for a in args]
    assert cli.main(["report", *args, "--store", str(demo)]) == 2
    assert message in capsys.readouterr().err


def test_report_unreadable_store_exits_2(tmp_path: Path, capsys) -> None:
    broken = tmp_path / "broken.gpkg"
    broken.write_text("not a geopackage", encoding="utf-8")
    code = cli.main(["report", *H1, "--store", str(broken), "-o", str(tmp_path / "x.html")])
    assert code == 2
    assert "not a readable GeoPackage" in capsys.readouterr().err


@pytest.fixture
def revised_demo(demo: Path) -> Path:
    """The demo with the wetland red line (the first) enlarged by ~300 m as a new version."""
    store = open_store(demo)
    red = store.read("red_lines")
    red.loc[0, "geometry"] = red.geometry.iloc[0].buffer(0.003)
    store.write({"red_lines": red}, source="调整.shp", version="红线 2024 调整版")
    return demo


def test_recheck_exit_codes_json_and_reports(revised_demo: Path, tmp_path: Path, capsys) -> None:
    base = ["recheck", "store:projects", "--store", str(revised_demo)]
    code = cli.main([*base, "--against", "演示数据 2023H1", "--to", "红线 2024 调整版", "--json"])
    assert code == 1
    doc = json.loads(capsys.readouterr().out)
    assert [p["id"] for p in doc["projects"] if p["changed"]] == ["XM2023-003", "XM2023-004"]
    assert cli.main([*base, "--against", "红线 2024 调整版", "--to", "current"]) == 0
    assert "0 个有变化" in capsys.readouterr().out
    for name in ("rc.html", "rc.xlsx"):
        out = tmp_path / name
        args = [*base, "--against", "演示数据 2023H1", "--to", "current", "-o", str(out)]
        assert cli.main(args) == 1 and out.stat().st_size > 1000


def test_recheck_from_a_project_file(revised_demo: Path, tmp_path: Path, capsys) -> None:
    projects = open_store(revised_demo).read("projects").iloc[[2, 7]]  # XM2023-003, XM2023-008
    path = tmp_path / "projects.geojson"
    projects.to_file(path, driver="GeoJSON")
    args = ["recheck", str(path), "--store", str(revised_demo), "--against", "演示数据 2023H1",
            "--to", "红线 2024 调整版"]  # fmt: skip
    assert cli.main(args) == 1
    out = capsys.readouterr().out
    assert "复核 2 个项目" in out and "XM2023-003" in out and "XM2023-008" not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["store:projects", "--against", "无此版本", "--to", "current"], "已有版本",
                     id="version"),
        pytest.param(["missing.geojson", "--against", "current", "--to", "current"],
                     "missing.geojson", id="no-file"),
        pytest.param(["store:projects", "--against", "current", "--to", "current", "-o",
                      "x.pdf"], "ending in .html", id="suffix"),
    ],
)  # fmt: skip
def test_recheck_bad_usage_exits_2(demo: Path, capsys, args, message) -> None:
    assert cli.main(["recheck", *args, "--store", str(demo)]) == 2
    assert message in capsys.readouterr().err


def test_commands_are_registered() -> None:
    commands = cli.build_parser()._subparsers._group_actions[0].choices
    assert {"report", "recheck"} <= set(commands)
