"""Upload limits in the library: settings, every source kind, archives, honest files still read.

The hostile archives themselves (zip-slip, bombs, too many members) are in the corpus
(test_corpus.py); here are the rules around them (GH issue 8).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from geomon import config
from geomon.errors import ReadError
from geomon.io import READABLE_SUFFIXES, limits, read
from geomon.io.limits import MIB, UploadLimits

GEOJSON = json.dumps(
    {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "A1", "name": "一号"},
                "geometry": {"type": "Point", "coordinates": [112.95, 30.40]},
            }
        ],
    },
    ensure_ascii=False,
).encode()
SMALL = UploadLimits(max_bytes=len(GEOJSON) - 1)


def test_settings_from_env_and_limits_from_settings() -> None:
    settings = config.from_env(
        {
            "GEOMON_MAX_UPLOAD_MB": "5",
            "GEOMON_MAX_UNZIPPED_MB": "50",
            "GEOMON_MAX_FILES": "7",
            "GEOMON_MAX_ZIP_RATIO": "30",
            "GEOMON_ALLOWED_TYPES": "CSV, .xlsx,zip",
        }
    )
    assert settings.allowed_types == (".csv", ".xlsx", ".zip")

    got = UploadLimits.from_settings(settings)

    assert got == UploadLimits(5 * MIB, 50 * MIB, 7, 30.0, (".csv", ".xlsx", ".zip"))


def test_defaults_accept_every_format_read_supports() -> None:
    settings = config.from_env({})
    assert UploadLimits.from_settings(settings) == UploadLimits()
    # config sits below geomon.io and cannot import it: its default must equal the reader's list
    assert settings.allowed_types == config.ALLOWED_TYPES == READABLE_SUFFIXES
    assert (settings.max_upload_mb, settings.max_unzipped_mb, settings.max_files) == (
        200,
        1024,
        100,
    )


class CountingStream(io.BytesIO):
    """An upload that records how many bytes were asked for."""

    asked = 0

    def read(self, size: int | None = -1) -> bytes:
        self.asked += size if size is not None and size >= 0 else len(self.getvalue())
        return super().read(size)


@pytest.mark.parametrize("kind", ["path", "bytes", "stream"])
def test_size_limit_for_every_source_kind(kind: str, tmp_path: Path) -> None:
    path = tmp_path / "o.geojson"
    path.write_bytes(GEOJSON)
    source = {"path": path, "bytes": GEOJSON, "stream": CountingStream(GEOJSON)}[kind]
    name = None if kind == "path" else "o.geojson"

    with pytest.raises(ReadError, match=r"o\.geojson is too large") as info:
        read(source, "outlets", filename=name, limits=SMALL)

    assert info.value.code == "too_large"
    if kind == "stream":
        assert source.asked == SMALL.max_bytes + 1  # never more than one byte past the limit


def test_file_at_the_limit_is_read() -> None:
    result = read(GEOJSON, "outlets", filename="o.geojson", limits=UploadLimits(len(GEOJSON)))
    assert result.frame["code"].tolist() == ["A1"]


def test_limits_default_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEOMON_MAX_UPLOAD_MB", "1")
    with pytest.raises(ReadError) as info:
        read(b" " * (MIB + 1), "outlets", filename="big.csv")
    assert info.value.code == "too_large"


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        pytest.param("o.geojson", "file type '.geojson' of o.geojson is not accepted", id="known"),
        pytest.param("o.docx", "unsupported format '.docx'", id="unknown"),
    ],
)
def test_allowed_types(name: str, fragment: str) -> None:
    only_csv = UploadLimits(allowed_types=(".csv",))
    with pytest.raises(ReadError, match=fragment) as info:
        read(GEOJSON, "outlets", filename=name, limits=only_csv)
    assert info.value.code == "unsupported_format"


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_small_members_may_compress_as_much_as_they_like() -> None:
    data = _zip({"pad.bin": bytes(MIB - 1)})  # ~1000:1, but under 1 MiB
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert [i.filename for i in limits.check_archive(zf, "a.zip", UploadLimits())] == [
            "pad.bin"
        ]


def test_macos_forks_are_skipped_not_refused() -> None:
    data = _zip({"__MACOSX/._a.shp": b"x", "a/._b.dbf": b"x", "a.txt": b"x"})
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert [i.filename for i in limits.check_archive(zf, "a.zip", UploadLimits())] == ["a.txt"]


@pytest.mark.parametrize(
    ("member", "safe"),
    [
        ("a/b.shp", True),
        ("排污口/a.shp", True),
        ("a..b.shp", True),
        ("../a.shp", False),
        ("a/../../b.shp", False),
        ("/etc/a.shp", False),
        ("C:/a.shp", False),
        ("c:\\a.shp", False),
        ("..\\a.shp", False),
    ],
)
def test_is_safe_member(member: str, *, safe: bool) -> None:
    assert limits.is_safe_member(member) is safe


def test_member_count_does_not_apply_to_spreadsheets() -> None:
    data = _zip({f"xl/worksheets/sheet{i}.xml": b"<x/>" for i in range(5)})
    tight = UploadLimits(max_files=3)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert len(limits.check_archive(zf, "a.xlsx", tight, count_members=False)) == 5
        with pytest.raises(ReadError, match="holds 5 files; at most 3") as info:
            limits.check_archive(zf, "a.zip", tight)
    assert info.value.code == "too_many_files"


def test_read_member_counts_inflated_bytes() -> None:
    data = _zip({"a.dbf": bytes(3 * MIB)})
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert len(limits.read_member(zf, zf.getinfo("a.dbf"), "a.zip", 3 * MIB)) == 3 * MIB
        with pytest.raises(ReadError, match="unpacks to more than the limit") as info:
            limits.read_member(zf, zf.getinfo("a.dbf"), "a.zip", 2 * MIB)
    assert info.value.code == "zip_bomb"


def test_batch_limits() -> None:
    tight = UploadLimits(max_bytes=10, max_files=2)
    limits.check_batch([("a.csv", 10), ("b.zip", 1)], tight)
    for files, code in [
        ([("a.csv", 1)] * 3, "too_many_files"),
        ([("a.csv", 11)], "too_large"),
        ([("a.exe", 1)], "unsupported_format"),
    ]:
        with pytest.raises(ReadError) as info:
            limits.check_batch(files, tight)
        assert info.value.code == code


def test_honest_kmz_still_reads() -> None:
    kml = (
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        "<Document><Placemark><name>一号</name><Point><coordinates>112.95,30.40</coordinates>"
        "</Point></Placemark></Document></kml>"
    )
    result = read(_zip({"doc.kml": kml.encode()}), "outlets", filename="a.kmz")
    assert result.frame.geometry.iloc[0].x == pytest.approx(112.95)


def test_bomb_limits_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _zip({"doc.kml": b"<kml/>", "pad.bin": bytes(2 * MIB)})  # ~1000:1
    with pytest.raises(ReadError) as info:
        read(data, "outlets", filename="a.kmz")
    assert info.value.code == "zip_bomb"
    monkeypatch.setenv("GEOMON_MAX_ZIP_RATIO", "5000")
    with pytest.raises(ReadError) as info:  # past the ratio check: an empty KML has no placemarks
        read(data, "outlets", filename="a.kmz")
    assert info.value.code != "zip_bomb"
