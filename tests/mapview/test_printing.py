"""The printed map's Python side: sheet pixels per paper and a PDF page made from the PNG."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from geomon.errors import MapError
from geomon.mapview import printing


def _png(size: tuple[int, int], mode: str = "RGBA", colour=(215, 48, 39, 255)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour[: len(mode)]).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("paper", "pixels", "points"),
    [("A4", (1754, 1240), (842, 595)), ("A3", (2480, 1754), (1191, 842))],
)  # 297×210 mm and 420×297 mm at 150 dpi; 1 pt = 1/72 in
def test_pdf_page_is_the_paper_in_landscape(paper, pixels, points) -> None:
    assert printing.sheet_pixels(paper) == pixels
    pdf = printing.pdf_from_png(_png(pixels), paper)

    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type /Page\b", pdf)) == 1
    box = re.search(rb"/MediaBox \[ ?0 0 ([\d.]+) ([\d.]+) ?\]", pdf)
    assert box is not None
    assert (round(float(box[1])), round(float(box[2]))) == points
    assert tuple(map(round, printing.page_points(paper))) == points


def test_pdf_keeps_the_picture_and_flattens_transparency() -> None:
    image = Image.new("RGBA", printing.sheet_pixels("A4"), (0, 0, 0, 0))  # clear: white paper
    image.paste((215, 48, 39, 255), (0, 0, 100, 100))  # O2's red in the corner
    png = io.BytesIO()
    image.save(png, "PNG")
    pdf = printing.pdf_from_png(png.getvalue(), "A4")

    jpeg = pdf[pdf.index(b"\xff\xd8") : pdf.rindex(b"\xff\xd9") + 2]  # the page's one image
    page = Image.open(io.BytesIO(jpeg)).convert("RGB")
    assert page.size == (1754, 1240)
    assert all(abs(a - b) < 8 for a, b in zip(page.getpixel((50, 50)), (215, 48, 39), strict=True))
    assert all(c > 247 for c in page.getpixel((1000, 800)))


@pytest.mark.parametrize(
    ("data", "paper", "match"),
    [
        (b"%PDF-1.4 not a picture", "A4", "not a PNG"),
        (_png((10, 10)), "Letter", "unknown paper"),
        (_png((4000, 3000), "RGB"), "A4", "more than A4 needs"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "A4", "cannot be read"),
    ],
)
def test_bad_input_is_a_map_error(data: bytes, paper: str, match: str) -> None:
    with pytest.raises(MapError, match=match):
        printing.pdf_from_png(data, paper)
