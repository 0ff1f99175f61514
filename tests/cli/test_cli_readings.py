"""``geomon readings import`` and ``geomon series`` as scripts use them: JSON keys, exit codes,
nothing written on failure, duplicates per mode. Packets are framed with the test's own CRC
(tests/monitoring/hjhelp.py, from DOMAIN.md §6.3); DataTime is Beijing time."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from shapely import Point

from geomon import cli
from geomon.store import open_store

sys.path.insert(0, str(Path(__file__).parents[1] / "monitoring"))
from hjhelp import framed, hourly

IMPORT_KEYS = ["path", "rows", "written", "stations", "sections", "from", "to", "rejected"]


@pytest.fixture(params=["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store holding two sections: S1 (river, target Ⅲ, station MN01), S2 (lake, MN02)."""
    url = (
        str(tmp_path / "s.gpkg")
        if request.param == "gpkg"
        else request.getfixturevalue("postgis_url")
    )
    sections = gpd.GeoDataFrame(
        {
            "code": ["S1", "S2"],
            "name": ["一号断面", "湖心"],
            "river": ["玉带河", "鸳鸯湖"],
            "control_level": ["国控", "省控"],
            "target_class": ["III", "II"],
            "water_body_type": ["河流", "湖库"],
            "station_mn": ["MN01", "MN02"],
        },
        geometry=[Point(112.9, 30.4), Point(112.95, 30.45)],
        crs=4326,
    )
    store = open_store(url)
    store.write({"sections": sections})
    if hasattr(store, "dispose"):
        store.dispose()
    return url


def log(tmp_path: Path, packets: list[str], name: str = "log.txt") -> Path:
    path = tmp_path / name
    path.write_text("".join(packets), encoding="ascii")
    return path


def nh3n(mn: str, data_time: str, value: float, flag: str = "N") -> str:
    return framed(hourly(mn, data_time, f"w21003-Avg={value},w21003-Flag={flag}"))


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    code = cli.main(argv)
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip().startswith("{") else {}


def stored(url: str) -> list[tuple]:
    f = open_store(url).read_readings()
    return list(zip(f["section_code"], f["time"].dt.hour, f["value"], f["flag"], strict=True))


def test_import_reads_everything_and_says_what(tmp_path, store_url, capsys) -> None:
    path = log(
        tmp_path,
        [
            nh3n("MN01", "20230601080000", 0.5),
            nh3n("MN01", "20230601090000", 1.3, "N"),
            nh3n("MN02", "20230601080000", 0.2, "M"),
        ],
    )
    code, doc = run(["readings", "import", str(path), "--store", store_url, "--json"], capsys)
    assert code == 0
    assert list(doc) == IMPORT_KEYS
    assert doc | {"path": None} == {
        "path": None,
        "rows": 3,
        "written": 3,
        "stations": 2,
        "sections": 2,
        "from": "2023-06-01T08:00+08:00",
        "to": "2023-06-01T09:00+08:00",
        "rejected": [],
    }
    assert stored(store_url) == [("S1", 0, 0.5, "N"), ("S1", 1, 1.3, "N"), ("S2", 0, 0.2, "M")]


def test_bad_packets_are_rejected_with_their_line_and_nothing_is_written(
    tmp_path, store_url, capsys
) -> None:
    good = nh3n("MN01", "20230601080000", 0.5)
    crc_broken = nh3n("MN01", "20230601090000", 0.6).replace("0.6", "0.9")
    segment = hourly("MN01", "20230601100000", "w21003-Avg=0.7")
    length_broken = framed(segment).replace(f"##{len(segment):04d}", f"##{len(segment) - 1:04d}")
    unknown = nh3n("MN77", "20230601110000", 0.8)
    path = log(tmp_path, [good, crc_broken, length_broken, unknown])

    code, doc = run(["readings", "import", str(path), "--store", store_url, "--json"], capsys)
    assert code == 1
    assert [r["line"] for r in doc["rejected"]] == [2, 3, 4]
    assert "CRC" in doc["rejected"][0]["reason"]
    assert "length" in doc["rejected"][1]["reason"]
    assert "MN77" in doc["rejected"][2]["reason"]
    assert (doc["rows"], doc["written"]) == (1, 0)
    assert stored(store_url) == []

    argv = ["readings", "import", str(path), "--store", store_url, "--json", "--skip-invalid"]
    code, doc = run(argv, capsys)
    assert (code, doc["written"]) == (1, 1)  # the rest is written, the exit still says 1
    assert stored(store_url) == [("S1", 0, 0.5, "N")]


def test_dry_run_writes_nothing(tmp_path, store_url, capsys) -> None:
    path = log(tmp_path, [nh3n("MN01", "20230601080000", 0.5)])
    argv = ["readings", "import", str(path), "--store", store_url, "--json", "--dry-run"]
    code, doc = run(argv, capsys)
    assert (code, doc["rows"], doc["written"]) == (0, 1, 0)
    assert stored(store_url) == []


def test_duplicates_follow_the_mode(tmp_path, store_url, capsys) -> None:
    first = log(tmp_path, [nh3n("MN01", f"202306010{h}0000", 0.5) for h in (8, 9)] + [
        nh3n("MN01", "20230601100000", 0.5)
    ], "a.txt")  # fmt: skip
    run(["readings", "import", str(first), "--store", store_url], capsys)
    later = log(tmp_path, [nh3n("MN01", "20230601090000", 0.7)], "b.txt")
    run(["readings", "import", str(later), "--store", store_url, "--mode", "upsert"], capsys)
    assert stored(store_url) == [("S1", 0, 0.5, "N"), ("S1", 1, 0.7, "N"), ("S1", 2, 0.5, "N")]

    resend = log(
        tmp_path,
        [nh3n("MN01", "20230601080000", 0.6), nh3n("MN01", "20230601100000", 0.6)],
        "c.txt",
    )  # covers 08:00–10:00 without 09:00: replace drops it
    run(["readings", "import", str(resend), "--store", store_url, "--mode", "replace"], capsys)
    assert stored(store_url) == [("S1", 0, 0.6, "N"), ("S1", 2, 0.6, "N")]


def test_unreadable_file_or_store_exits_2(tmp_path, store_url, capsys) -> None:
    missing = tmp_path / "nope.txt"
    code, doc = run(["readings", "import", str(missing), "--store", store_url, "--json"], capsys)
    assert code == 2
    assert list(doc) == IMPORT_KEYS
    assert doc["rejected"][0]["line"] is None
    binary = tmp_path / "x.bin"
    binary.write_bytes(b"\x00\x01garbage")
    assert cli.main(["readings", "import", str(binary), "--store", store_url]) == 2
    good = log(tmp_path, [nh3n("MN01", "20230601080000", 0.5)])
    assert cli.main(["readings", "import", str(good), "--store", str(tmp_path / "no.gpkg")]) == 2
    assert not (tmp_path / "no.gpkg").exists()


def test_series_json_with_classes_by_hand(tmp_path, store_url, capsys) -> None:
    path = log(
        tmp_path,
        [
            nh3n("MN01", "20230601080000", 0.5),  # Ⅱ (≤ 0.5)
            nh3n("MN01", "20230601090000", 1.3),  # Ⅳ (1.0 < 1.3 ≤ 1.5)
            nh3n("MN01", "20230601100000", 2.4, "M"),  # maintenance: no class, not valid
            nh3n("MN01", "20230602080000", 2.0),  # another day: outside --to
        ],
    )
    run(["readings", "import", str(path), "--store", store_url], capsys)
    argv = ["series", "S1", "--param", "氨氮", "--to", "2023-06-01", "--store", store_url, "--json"]
    code, doc = run(argv, capsys)
    assert code == 0
    assert doc == {
        "section": "S1",
        "parameter": "NH3N",
        "unit": "mg/L",
        "target": "III",
        "limit": 1.0,
        "points": [
            {
                "time": "2023-06-01T08:00+08:00",
                "value": 0.5,
                "class": "II",
                "flag": "N",
                "valid": True,
            },
            {
                "time": "2023-06-01T09:00+08:00",
                "value": 1.3,
                "class": "IV",
                "flag": "N",
                "valid": True,
            },
            {
                "time": "2023-06-01T10:00+08:00",
                "value": 2.4,
                "class": None,
                "flag": "M",
                "valid": False,
            },
        ],
    }
    for name in ("NH3N", "w21003", "NH3-N"):  # field name, HJ 212 code, alias: same series
        argv[3] = name
        assert run(argv, capsys)[1] == doc

    argv = ["series", "S1", "--param", "NH3N", "--step", "day", "--store", store_url, "--json"]
    days = run(argv, capsys)[1]["points"]
    # 1 June: 2 valid hours of 24 → mean (0.5 + 1.3) / 2 = 0.9, below the 75 % share: no class
    assert days[0] | {"time": None} == {
        "time": None, "value": 0.9, "class": None, "flag": None, "valid": False, "valid_hours": 2
    }  # fmt: skip


def test_series_refuses_unknown_parameter_or_section(store_url, capsys) -> None:
    assert cli.main(["series", "S1", "--param", "悬浮物x", "--store", store_url]) == 2
    assert cli.main(["series", "S9", "--param", "TP", "--store", store_url]) == 2
