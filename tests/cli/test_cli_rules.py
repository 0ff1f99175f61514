"""``geomon classify / stats / trace`` on the demo store: the figures bureaus report."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from shapely import Point, box

from geomon import cli
from geomon.config import DEMO_STORE
from geomon.store import open_store
from geomon.validate import apply_dtypes


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    code = cli.main([*argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def no_sections_store(tmp_path: Path) -> Path:
    """A store without a sections layer (one that does not exist at all is exit 2)."""
    path = tmp_path / "no-sections.gpkg"
    district = gpd.GeoDataFrame(
        {"code": ["420102"], "name": ["江岸区"], "level": ["区县"]},
        geometry=[box(114.2, 30.55, 114.4, 30.7)],
        crs=4326,
    )
    open_store(path).write({"districts": apply_dtypes(district, "districts")})
    return path


def test_stats_on_demo_h1_2023(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = run_json(
        ["stats", "--store", str(DEMO_STORE), "--from", "2023-01-01", "--to", "2023-06-30"], capsys
    )
    assert code == 0
    river = next(r for r in doc["outlets"]["by_water_body_kind"] if r["water_body_kind"] == "河流")
    assert (river["total"], river["rectified"]) == (113, 110)
    levels = {r["control_level"]: r for r in doc["sections"]["by_control_level"]}
    assert levels["国控"]["good_pct"] == 83.3  # 5 of 6 (data/README.md)
    assert levels["省控"]["good_pct"] == 88.9  # 8 of 9


def test_classify_period_all_json_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # hand-worked: NH3-N mean (0.9 + 1.3) / 2 = 1.1 → class IV (1.0 < 1.1 ≤ 1.5), multiple 0.1
    path = tmp_path / "m.csv"
    path.write_text(
        "断面编码,采样日期,pH值,溶解氧,高锰酸盐指数,氨氮,总磷,水质目标\n"
        "S1,2023-01-10,7.5,8.0,3.0,0.9,0.05,III\n"
        "S1,2023-02-10,7.5,8.0,3.0,1.3,0.05,III\n",
        encoding="utf-8",
    )
    store = no_sections_store(tmp_path)
    code, doc = run_json(["classify", str(path), "--period", "all", "--store", str(store)], capsys)
    assert code == 0
    [r] = doc["results"]
    assert (r["section_code"], r["class"], r["target"], r["meets_target"]) == (
        "S1",
        "IV",
        "III",
        False,
    )
    assert r["limiting"] == ["NH3N"]
    assert r["params"]["NH3N"]["value"] == pytest.approx(1.1)
    assert r["params"]["NH3N"]["class"] == "IV"
    assert r["exceedances"] == [
        {
            "parameter": "NH3N",
            "value": pytest.approx(1.1),
            "limit": 1.0,
            "multiple": pytest.approx(0.1),
        }
    ]


def test_classify_month_gives_one_result_per_month(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "m.csv"
    path.write_text(
        "section_code,date,pH,DO,CODMn,NH3N,TP\n"
        "S1,2023-01-10,7.5,8.0,3.0,0.9,0.05\n"
        "S1,2023-02-10,7.5,8.0,3.0,1.3,0.05\n",
        encoding="utf-8",
    )
    store = str(no_sections_store(tmp_path))
    code, doc = run_json(["classify", str(path), "--store", store], capsys)
    assert code == 0
    assert [(r["period"], r["class"]) for r in doc["results"]] == [
        ("2023-01", "III"),
        ("2023-02", "IV"),
    ]


def test_trace_lists_outlets_upstream(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = run_json(["trace", "JHGK02", "--store", str(DEMO_STORE), "--km", "10"], capsys)
    assert code == 0
    distances = [o["distance_m"] for o in doc["outlets"]]
    assert doc["count"] == len(distances) > 0
    assert distances == sorted(distances)
    assert max(distances) <= 10_000


def test_trace_unknown_section_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["trace", "NOPE", "--store", str(DEMO_STORE)]) == 2
    assert "NOPE" in capsys.readouterr().err


def test_check_exit_codes_and_json_shape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # demo project XM2023-007 (quarry inside the forest red line) → prohibited, exit 1
    projects = tmp_path / "p.geojson"
    assert (
        cli.main(
            [
                "export",
                "--layer",
                "projects",
                "--store",
                str(DEMO_STORE),
                "--where",
                "id=XM2023-007",
                "--where",
                "id=XM2023-011",
                "--format",
                "geojson",
                "-o",
                str(projects),
            ]
        )
        == 0
    )
    capsys.readouterr()
    code, doc = run_json(["check", str(projects), "--store", str(DEMO_STORE)], capsys)
    assert code == 1
    verdicts = {p["id"]: p["verdict"] for p in doc["projects"]}
    assert verdicts == {"XM2023-007": "prohibited", "XM2023-011": "clear"}
    conflict = doc["projects"][0]["conflicts"][0]
    assert set(conflict) >= {
        "layer",
        "feature_id",
        "name",
        "level",
        "relation",
        "overlap_area_m2",
        "overlap_ratio",
        "distance_m",
        "rule",
    }


@pytest.mark.parametrize(
    ("lang", "first", "red_line"),
    [
        (None, "XM2023-007  青石山建筑用石料矿开采项目  禁止  相关要素 2 个",
         "    生态保护红线 HX4299230003 青石山森林生态保护红线  位于其内  重叠 174,999 m²  禁止"),
        ("en", "XM2023-007  青石山建筑用石料矿开采项目  prohibited  features involved: 2",
         "    Ecological protection red lines HX4299230003 青石山森林生态保护红线  inside"
         "  overlap 174,999 m²  prohibited"),
    ],
)  # fmt: skip
def test_check_text_speaks_one_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, lang, first, red_line
) -> None:
    # demo project XM2023-007: a quarry inside the 青石山 forest red line (and its control unit)
    monkeypatch.delenv("GEOMON_LANG", raising=False)
    projects = tmp_path / "p.geojson"
    argv = ["export", "--layer", "projects", "--store", str(DEMO_STORE), "--where",
            "id=XM2023-007", "--format", "geojson", "-o", str(projects)]  # fmt: skip
    assert cli.main(argv) == 0
    capsys.readouterr()

    extra = ["--lang", lang] if lang else []
    assert cli.main(["check", str(projects), "--store", str(DEMO_STORE), *extra]) == 1
    lines = capsys.readouterr().out.splitlines()

    assert lines[0] == first
    assert lines[1].startswith(red_line)
    assert lines[1].endswith("  依据：自然资发〔2022〕142号" if not lang else
                             "  basis: 自然资发〔2022〕142号")  # fmt: skip
    assert "距离" not in lines[1] and "distance" not in lines[1]  # inside: no distance to give
    assert len(lines) == 3  # the project, the red line, the control unit
    if not lang:  # Chinese throughout: no codes of verdicts, layers or relations
        text = "\n".join(lines)
        for code in ("prohibited", "red_lines", "control_units", "inside", "overlaps"):
            assert code not in text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        pytest.param(["--report", "x.pdf"],
                     "`--report` 'x.pdf': use a file name ending in .html or .xlsx",
                     id="report-suffix"),
        pytest.param(["--buffer-m", "-5"],
                     "`buffer_m` must be a distance in metres ≥ 0, got -5.0", id="negative-buffer"),
    ],
)  # fmt: skip
def test_check_bad_arguments_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, extra: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    project = gpd.GeoDataFrame({"id": ["P1"], "name": ["仓库"]}, geometry=[Point(112.9, 30.4)])
    project.set_crs(4326).to_file("p.geojson")
    assert cli.main(["check", "p.geojson", "--store", str(DEMO_STORE), *extra]) == 2
    assert capsys.readouterr().err == f"geomon: {message}\n"
    assert not Path("x.pdf").exists()


def test_check_unreadable_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "p.geojson"
    bad.write_text("{", encoding="utf-8")
    assert cli.main(["check", str(bad), "--store", str(DEMO_STORE)]) == 2


def test_stats_for_a_period_without_samples(capsys: pytest.CaptureFixture[str]) -> None:
    # regression: a period with no monitoring data crashed with KeyError 'meets_target'
    code, doc = run_json(
        ["stats", "--store", str(DEMO_STORE), "--from", "2022-07-01", "--to", "2022-12-31"], capsys
    )
    assert code == 0
    national = next(r for r in doc["sections"]["by_control_level"] if r["control_level"] == "国控")
    assert (national["assessed"], national["good_pct"]) == (0, None)
    assert doc["sections"]["failing"] == []
