"""Bad command-line input never crashes: one bilingual message naming the option and the value,
exit 2 (bad usage), nothing written; and a reader that closes stdout early ends the command
quietly. Run on the demo store (read-only) or a copy of it (for the one command that writes)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from geomon import cli
from geomon.cli import _args
from geomon.config import DEMO_STORE

ROOT = Path(__file__).resolve().parents[2]
STORE = str(DEMO_STORE)
SERIES = ["series", "JHSK08", "--param", "氨氮", "--store", STORE]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- 1. every date option of every command: one parser, one message, exit 2 -------------------

DATE_CASES = [
    pytest.param([*SERIES, "--from", "{bad}"], "--from", id="series-from"),
    pytest.param([*SERIES, "--from", "2023-06-01", "--to", "{bad}"], "--to", id="series-to"),
    pytest.param(
        ["stats", "--store", STORE, "--from", "{bad}", "--to", "2023-07-01"],
        "--from",
        id="stats-from",
    ),
    pytest.param(
        ["stats", "--store", STORE, "--from", "2023-06-01", "--to", "{bad}"], "--to", id="stats-to"
    ),
    pytest.param(["stats", "--store", STORE, "--as-of", "{bad}"], "--as-of", id="stats-as-of"),
    pytest.param(["alerts", "--store", STORE, "--as-of", "{bad}"], "--as-of", id="alerts-as-of"),
    pytest.param(
        ["problems", "list", "--store", STORE, "--as-of", "{bad}"],
        "--as-of",
        id="problems-list-as-of",
    ),
    pytest.param(
        [
            "problems",
            "add",
            "--store",
            STORE,
            "--layer",
            "outlets",
            "--id",
            "X",
            "--title",
            "t",
            "--source",
            "巡查",
            "--unit",
            "u",
            "--deadline",
            "{bad}",
        ],
        "--deadline",
        id="problems-add-deadline",
    ),
    pytest.param(
        ["report", "--store", STORE, "--from", "{bad}", "--to", "2023-06-30", "-o", "x.html"],
        "--from",
        id="report-from",
    ),
    pytest.param(
        ["report", "--store", STORE, "--from", "2023-01-01", "--to", "{bad}", "-o", "x.html"],
        "--to",
        id="report-to",
    ),
]


@pytest.mark.parametrize("bad", ["2023-13-01", "2023-06-31", "2023-02-30", "2023-99-01", "昨天"])
@pytest.mark.parametrize(("argv", "option"), DATE_CASES)
def test_a_bad_date_is_refused_naming_option_and_value(
    argv: list[str], option: str, bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run([a.format(bad=bad) for a in argv], capsys)
    assert (code, out) == (2, "")
    assert f"argument {option}: 无法识别的日期或时间：{bad!r}（例如 2023-06-30）" in err
    assert f"not a date or time: {bad!r} (e.g. 2023-06-30)" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("bad", ["2023-13", "2023-6", "六月", "2023-06-01"])
def test_a_bad_month_is_refused(bad: str, tmp_path: Path, capsys) -> None:
    out_file = tmp_path / "d.html"
    argv = ["dispatch", "--store", STORE, "--month", bad, "-o", str(out_file)]
    code, out, err = run(argv, capsys)
    assert (code, out) == (2, "")
    assert f"argument --month: 无法识别的月份：{bad!r}（格式 YYYY-MM，例如 2023-06）" in err
    assert f"not a month: {bad!r} (use YYYY-MM, e.g. 2023-06)" in err
    assert not out_file.exists()


def test_the_date_parser_reads_dates_and_times_in_beijing_time() -> None:
    assert _args.date_arg(" 2023-06-30 ") == "2023-06-30"  # the text, stripped
    read = _args.parse_date_or_time
    assert read("2023-06-30").isoformat() == "2023-06-30T00:00:00"
    assert read("2023-06-30 08:00").isoformat() == "2023-06-30T08:00:00"
    assert read("2023-06-30T20:00+00:00").isoformat() == "2023-07-01T04:00:00"  # UTC → +8 h
    assert _args.month_arg("2023-06") == "2023-06"


# --- 2. input that used to be accepted silently --------------------------------------------------


@pytest.mark.parametrize(
    ("given", "missing"), [(["--from", "2023-06-01"], "--to"), (["--to", "2023-06-30"], "--from")]
)
def test_stats_needs_both_ends_of_a_period(given, missing, capsys) -> None:
    code, out, err = run(["stats", "--store", STORE, *given], capsys)
    assert (code, out) == (2, "")
    option, value = given
    assert f"{option} {value!r} 需要同时给出 {missing}" in err
    assert f"{option} {value!r} needs {missing} as well" in err


def test_series_refuses_a_period_the_wrong_way_round(capsys) -> None:
    code, out, err = run([*SERIES, "--from", "2023-06-30", "--to", "2023-06-01", "--json"], capsys)
    assert (code, out) == (2, "")
    assert "--from '2023-06-30' 晚于 --to '2023-06-01'" in err
    assert "--from '2023-06-30' is after --to '2023-06-01'" in err


def test_series_one_day_from_and_to_is_that_whole_day(capsys) -> None:
    code, out, _ = run([*SERIES, "--from", "2023-06-30", "--to", "2023-06-30", "--json"], capsys)
    assert code == 0
    points = json.loads(out)["points"]
    assert len(points) == 24  # the demo's 24 hourly readings of that day
    assert (points[0]["time"], points[-1]["time"]) == ("2023-06-30T00:00+08:00",
                                                        "2023-06-30T23:00+08:00")  # fmt: skip


def test_problems_list_refuses_an_unknown_status_listing_the_known_ones(capsys) -> None:
    code, out, err = run(["problems", "list", "--store", STORE, "--status", "bogus"], capsys)
    assert (code, out) == (2, "")
    assert "--status 'bogus'：未知状态；可用：待整改、整改中、待核查、已销号" in err
    assert "--status 'bogus': unknown status; use one of 待整改, 整改中, 待核查, 已销号" in err
    code, out, _ = run(["problems", "list", "--store", STORE, "--status", "销号"], capsys)
    assert code == 0  # an alias still works: the demo's two closed problems
    assert out.splitlines()[-1] == "共 2 个问题 / 2 problems"


@pytest.mark.parametrize("km", ["-5", "0", "nan", "inf", "ten"])
def test_trace_refuses_a_distance_that_is_not_above_zero(km: str, capsys) -> None:
    code, out, err = run(["trace", "JHSK08", "--store", STORE, "--km", km], capsys)
    assert (code, out) == (2, "")
    assert f"argument --km: 距离须为大于 0 的公里数：{km!r}" in err
    assert f"the distance must be a number of km above 0: {km!r}" in err


# --- 4. one language style in messages and text output ------------------------------------------


def test_series_errors_are_bilingual(capsys) -> None:
    code, out, err = run(["series", "NOPE", "--param", "氨氮", "--store", STORE], capsys)
    assert (code, out) == (2, "")
    assert err == "geomon: 存储中没有断面“NOPE” / no section with code 'NOPE' in the store\n"
    code, out, err = run(["series", "JHSK08", "--param", "nope", "--store", STORE], capsys)
    assert (code, out) == (2, "")
    assert err.startswith("geomon: --param：无法识别的监测项目 'nope'")
    assert " / --param: unknown parameter 'nope'" in err


def test_alerts_text_prints_words_and_json_keeps_codes(capsys) -> None:
    code, out, _ = run(["alerts", "--store", STORE, "--as-of", "2023-06-30"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[1].startswith("  [高] 持续超标 水质监测断面 鸳鸯湖湖心：")
    assert lines[-2].startswith("  [低] 整治时限临近 入河排污口 ")
    assert "persistent_exceedance" not in out and "[high]" not in out
    code, out, _ = run(["alerts", "--store", STORE, "--as-of", "2023-06-30", "--json"], capsys)
    first = json.loads(out)["alerts"][0]
    assert (first["severity"], first["kind"], first["layer"]) == (
        "high", "persistent_exceedance", "sections"
    )  # fmt: skip


def test_stats_text_writes_classes_as_the_app_does(capsys) -> None:
    argv = ["stats", "--store", STORE, "--from", "2023-06-01", "--to", "2023-06-30"]
    code, out, _ = run(argv, capsys)
    assert code == 0
    assert "  未达标 JHGK05 鸳鸯湖湖心：Ⅳ类（目标 Ⅲ类）总磷 超标0.72倍" in out.splitlines()
    assert "IV类" not in out


def test_problems_update_of_an_unknown_problem_is_bad_usage(tmp_path: Path, capsys) -> None:
    store = tmp_path / "demo.gpkg"
    shutil.copyfile(DEMO_STORE, store)
    before = digest(store)
    argv = ["problems", "update", "P9999", "--status", "整改中", "--store", str(store)]
    code, out, err = run(argv, capsys)
    assert (code, out) == (2, "")
    assert err == "geomon: ID：没有问题 'P9999' / ID: no problem 'P9999'\n"
    argv = ["problems", "update", "P2023-001", "--status", "bogus", "--store", str(store)]
    code, out, err = run(argv, capsys)
    assert (code, out) == (2, "")
    assert "--status 'bogus': unknown status" in err
    assert digest(store) == before


# --- 5. an unknown --crs: one message before any file is read -----------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_check_refuses_an_unknown_crs_once(lang: str, capsys) -> None:
    code, out, err = run(["check", STORE, "--crs", "foo", "--lang", lang, "--store", STORE], capsys)
    assert (code, out) == (2, "")
    assert "argument --crs: 无法识别坐标系 'foo'：可接受：" in err  # both halves, whatever --lang
    assert err.count("unknown CRS 'foo': accepted: ") == 1
    assert "missing_geometry" not in err and "crs_mismatch" not in err


@pytest.mark.parametrize("command", ["validate", "import"])
def test_validate_and_import_refuse_an_unknown_crs(command: str, tmp_path: Path, capsys) -> None:
    store = tmp_path / "new.gpkg"
    argv = [command, STORE, "--layer", "outlets", "--crs", "foo", "--json"]
    code, out, err = run(argv + (["--store", str(store)] if command == "import" else []), capsys)
    assert (code, out) == (2, "")
    assert f"geomon {command}: error: argument --crs: 无法识别坐标系 'foo'" in err
    assert err.count("unknown CRS 'foo'") == 1
    assert not store.exists()


# --- 3. a reader that closes stdout early --------------------------------------------------------


def test_a_closed_stdout_ends_the_command_quietly() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "geomon.cli", *SERIES, "--json"]
    full = subprocess.run(argv, capture_output=True, env=env, cwd=ROOT, check=True).stdout
    assert len(full) > 65536  # more than a pipe holds: the writer must meet the closed end
    geomon = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    head = subprocess.run(["head", "-n", "2"], stdin=geomon.stdout, capture_output=True)
    geomon.stdout.close()  # only `head` held the read end: now nobody does
    err = geomon.stderr.read().decode()
    assert geomon.wait(timeout=120) == 0
    geomon.stderr.close()
    assert head.stdout == b"".join(full.splitlines(keepends=True)[:2])
    assert err == ""


def test_stats_text_names_its_dates(capsys: pytest.CaptureFixture[str]) -> None:
    # the demo: outlets judged on 2023-12-31; its lab samples run 2023-01-10 … 2023-06-15
    code, out, _ = run(["stats", "--store", STORE, "--as-of", "2023-12-31"], capsys)

    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("入河排污口 129 个（截至 2023-12-31）：")
    assert "断面水质（监测数据 2023-01-10 至 2023-06-15）：" in lines
    city = "市控断面 3 个：优良（Ⅰ–Ⅲ类）比例 100.0%，劣Ⅴ类 0.0%，达标 2/2（有水质目标的断面）"
    assert city in lines  # one 市控 section has no target: 2 of 2 with one
