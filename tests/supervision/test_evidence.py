"""Evidence files: type by magic bytes, limits, EXIF time and GPS position, thumbnails.

The photo with EXIF is made here with Pillow's Exif API, with a time and a position chosen by
hand: 30°36'36" N = 30.61, 114°18'0" E = 114.3.
"""

from __future__ import annotations

import io

import pytest
from suphelp import jpeg

from geomon.errors import EvidenceError
from geomon.rules.supervision import EvidenceLimits, rules
from geomon.supervision import evidence


def exif_jpeg(
    *, lat_ref: str = "N", lon_ref: str = "E", size: tuple[int, int] = (800, 600)
) -> bytes:
    """A JPEG whose EXIF says 2023-07-20 09:14:30 at 30°36'36" lat_ref, 114°18'0" lon_ref."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x0132] = "2023:07:20 10:00:00"  # DateTime (file changed): not the one we want
    exif.get_ifd(0x8769)[0x9003] = "2023:07:20 09:14:30"  # DateTimeOriginal
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = lat_ref, (30.0, 36.0, 36.0)
    gps[3], gps[4] = lon_ref, (114.0, 18.0, 0.0)
    out = io.BytesIO()
    Image.new("RGB", size, (120, 160, 200)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_exif_time_and_position_are_read_from_a_hand_made_jpeg() -> None:
    got = evidence.check_evidence("现场.jpg", exif_jpeg())
    assert got.media_type == "image/jpeg"
    assert got.taken_at == "2023-07-20T09:14:30"  # DateTimeOriginal wins over DateTime
    assert got.lat == pytest.approx(30.61, abs=1e-9)
    assert got.lon == pytest.approx(114.3, abs=1e-9)


def test_south_and_west_are_negative() -> None:
    got = evidence.check_evidence("x.jpg", exif_jpeg(lat_ref="S", lon_ref="W"))
    assert (round(got.lat, 6), round(got.lon, 6)) == (-30.61, -114.3)


def test_a_photo_without_exif_has_no_time_or_position() -> None:
    got = evidence.check_evidence("x.jpg", jpeg())
    assert (got.taken_at, got.lon, got.lat) == (None, None, None)


def test_the_thumbnail_is_a_small_jpeg_without_the_exif() -> None:
    from PIL import Image

    got = evidence.check_evidence("x.jpg", exif_jpeg(size=(800, 600)))
    with Image.open(io.BytesIO(got.thumbnail)) as thumb:
        assert thumb.format == "JPEG"
        assert thumb.size == (320, 240)  # longest side 320 (rules/supervision.toml)
        assert 0x8825 not in thumb.getexif()  # the position does not travel with the thumbnail


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="PNG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.parametrize(
    ("name", "data", "media_type"),
    [
        ("a.png", _png(), "image/png"),
        ("report.pdf", PDF, "application/pdf"),
        ("photo.dat", jpeg(), "image/jpeg"),  # the content decides, not the name
    ],
)
def test_allowed_types_by_their_magic_bytes(name: str, data: bytes, media_type: str) -> None:
    got = evidence.check_evidence(name, data)
    assert got.media_type == media_type
    assert (got.thumbnail is None) == (media_type == "application/pdf")


@pytest.mark.parametrize(
    ("name", "data", "match"),
    [
        ("photo.jpg", b"<html><script>alert(1)</script></html>", "not an allowed file type"),
        ("x.jpg", b"GIF89a" + bytes(20), "not an allowed file type"),
        ("x.jpg", b"MZ\x90\x00" + bytes(60), "not an allowed file type"),
        ("x.jpg", b"\xff\xd8\xff\xe0" + bytes(40), "cannot be read"),  # JPEG magic, no image
        ("empty.jpg", b"", "empty"),
    ],
)
def test_refused_files(name: str, data: bytes, match: str) -> None:
    with pytest.raises(EvidenceError, match=match):
        evidence.check_evidence(name, data)


def test_size_and_count_limits() -> None:
    small = EvidenceLimits(
        max_bytes=1000, max_files=2, types=rules().evidence.types, thumbnail_px=64
    )
    big = exif_jpeg()
    assert len(big) > 1000
    with pytest.raises(EvidenceError, match=r"over the 0.000953674 MB limit"):
        evidence.check_evidence("big.jpg", big, limits=small)
    assert evidence.check_evidence("ok.pdf", PDF, limits=small).size == len(PDF)
    with pytest.raises(EvidenceError, match="at most 2 files per step, got 3"):
        evidence.check_files([("a.pdf", PDF)] * 3, limits=small)
    assert rules().evidence.max_bytes == 10 * 1024 * 1024  # the table's 10 MB


def test_pdf_only_limits_refuse_images() -> None:
    pdf_only = EvidenceLimits(
        max_bytes=10**6, max_files=5, types=("application/pdf",), thumbnail_px=64
    )
    with pytest.raises(EvidenceError, match="not an allowed file type"):
        evidence.check_evidence("a.jpg", jpeg(), limits=pdf_only)


def test_names_are_reduced_to_a_plain_base_name() -> None:
    assert evidence.safe_name("../../etc/passwd") == "passwd"
    assert evidence.safe_name("C:\\Users\\x\\照片 1.jpg") == "照片 1.jpg"
    assert evidence.safe_name("a\x00b\n.jpg") == "ab.jpg"


def test_a_decompression_bomb_is_refused() -> None:
    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, format="PNG")  # 10^8 pixels, ~12 KB on disk
    with pytest.raises(EvidenceError, match="cannot be read"):
        evidence.check_evidence("bomb.png", out.getvalue())
