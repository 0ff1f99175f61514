"""Station readings from CSV/XLSX exports and HJ 212 logs, matched to sections
(geomon.monitoring.readings). Times in files are Beijing time (UTC+8)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hjhelp import framed, hourly

from geomon.errors import ReadError
from geomon.monitoring import READINGS_COLUMNS, readings

SECTIONS = pd.DataFrame({"code": ["S1", "S2"], "station_mn": ["MN01", None]})


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_csv_with_station_ids_labels_and_flag_columns(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "站点编码,监测时间,氨氮,氨氮标记,DO,总磷(以P计)\n"
        "MN01,2023-06-01 08:00,0.52,N,6.1,0.08\n"
        "MN01,2023/6/1 9:00,0.61,M,,0.09\n"  # blank DO: no reading
        "MN01,yesterday,0.7,N,6.0,0.1\n"  # line 4: bad time
        "MN01,2023-06-01 11:00,0.7,N,six,0.1\n",  # line 5: bad number
        encoding="utf-8",
    )
    parsed = readings.read_file(path)

    assert [
        (r.line, "time" in r.reason or "not a number" in r.reason) for r in parsed.rejected
    ] == [
        (4, True),
        (5, True),
    ]
    f = parsed.frame.sort_values(["line", "parameter"]).reset_index(drop=True)
    assert list(zip(f["parameter"], f["value"], f["flag"], f["line"], strict=True)) == [
        ("DO", 6.1, "N", 2),
        ("NH3N", 0.52, "N", 2),
        ("TP", 0.08, "N", 2),
        ("NH3N", 0.61, "M", 3),
        ("TP", 0.09, "N", 3),
    ]
    assert set(f["step"]) == {"hour"}
    assert list(f["time"].drop_duplicates()) == [utc("2023-06-01 00:00"), utc("2023-06-01 01:00")]


def test_csv_of_midnights_is_daily_data_by_section(tmp_path: Path) -> None:
    path = tmp_path / "daily.csv"
    path.write_text("断面编码,日期,高锰酸盐指数\nS1,2023-06-01,4.2\nS1,2023-06-02,4.4\n", "utf-8")
    parsed = readings.read_file(path)
    assert parsed.rejected == []
    assert list(parsed.frame["step"]) == ["day", "day"]
    assert list(parsed.frame["parameter"]) == ["CODMn", "CODMn"]
    assert list(parsed.frame["time"]) == [utc("2023-05-31 16:00"), utc("2023-06-01 16:00")]


def test_xlsx_export_is_read_like_csv(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["MN", "数据时间", "w21003", "w21003-Flag"])
    sheet.append(["MN01", "2023-06-01 08:00:00", 0.52, "N"])
    sheet.append(["MN01", "2023-06-01 09:00:00", 0.58, "D"])
    path = tmp_path / "export.xlsx"
    book.save(path)
    parsed = readings.read_file(path)
    assert parsed.rejected == []
    assert list(parsed.frame["value"]) == [0.52, 0.58]
    assert list(parsed.frame["flag"]) == ["N", "D"]
    assert list(parsed.frame["line"]) == [2, 3]


def test_a_file_without_a_time_column_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("站点编码,氨氮\nMN01,0.5\n", encoding="utf-8")
    with pytest.raises(ReadError, match="time column"):
        readings.read_file(path)


def test_match_sections_by_mn_and_by_code_rejects_unknown_stations(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    log.write_text(
        framed(hourly("MN01", "20230601080000", "w21003-Avg=0.5"))
        + framed(hourly("MN99", "20230601080000", "w21003-Avg=0.9"))  # line 2: no such MN
        + framed(hourly("MN01", "20230601080000", "w21003-Avg=0.6")),  # resent: last wins
        encoding="ascii",
    )
    frame, rejected = readings.match_sections(readings.read_file(log), SECTIONS)
    assert [r.line for r in rejected] == [2]
    assert "MN99" in rejected[0].reason
    assert list(frame.columns) == [*READINGS_COLUMNS, "line"]
    assert list(zip(frame["section_code"], frame["station_mn"], frame["value"], strict=True)) == [
        ("S1", "MN01", 0.6)
    ]

    csv = tmp_path / "by_code.csv"
    csv.write_text(
        "断面编码,时间,氨氮\nS2,2023-06-01 08:00,0.4\nS9,2023-06-01 08:00,0.4\n", "utf-8"
    )
    frame, rejected = readings.match_sections(readings.read_file(csv), SECTIONS)
    assert [r.line for r in rejected] == [3]  # S9 is no section
    assert list(zip(frame["section_code"], frame["station_mn"], strict=True)) == [("S2", "S2")]
