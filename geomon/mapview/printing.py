"""The printed map: paper sizes, the sheet's pixels, and a PDF page from the browser's PNG.

The tile map composes the printed sheet in the browser (``tilemap_web/print.js``: the view, a
title bar, legend, scale bar and north arrow) at `PRINT_DPI` on a landscape sheet of `PAPERS`;
the PNG it makes is downloaded as it is, or turned here into a one-page PDF of the same paper.
"""

from __future__ import annotations

import io

from PIL import Image

from geomon.errors import MapError

PRINT_DPI = 150
PAPERS: dict[str, tuple[float, float]] = {"A4": (297, 210), "A3": (420, 297)}  # landscape, mm
_MM_PER_INCH = 25.4
_MAX_SCALE = 2  # a PNG may have at most twice the sheet's pixels each way (a high-DPI screen)


def sheet_pixels(paper: str, dpi: int = PRINT_DPI) -> tuple[int, int]:
    """Width and height in pixels of a landscape `paper` sheet at `dpi` (A4 at 150: 1754×1240)."""
    width, height = _paper_mm(paper)
    return round(width / _MM_PER_INCH * dpi), round(height / _MM_PER_INCH * dpi)


def page_points(paper: str) -> tuple[float, float]:
    """Width and height in PDF points (1/72 inch) of a landscape `paper` (A4: 841.9×595.3)."""
    width, height = _paper_mm(paper)
    return width / _MM_PER_INCH * 72, height / _MM_PER_INCH * 72


def pdf_from_png(png: bytes, paper: str) -> bytes:
    """One landscape `paper` page filled by the image `png` (the sheet the browser composed).

    The image is stretched to the page exactly (it was composed at the paper's proportions);
    transparency is flattened onto white. Raises `MapError` for an unknown paper, data that is
    not a PNG, or an image far larger than the sheet (the bytes come from a browser).
    """
    width, height = _paper_mm(paper)
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        msg = "the printed map is not a PNG image"
        raise MapError(msg)
    limit = [n * _MAX_SCALE for n in sheet_pixels(paper)]
    try:
        with Image.open(io.BytesIO(png)) as image:
            if image.width > limit[0] or image.height > limit[1]:
                msg = f"the printed map is {image.width}×{image.height} px, more than {paper} needs"
                raise MapError(msg)
            image.load()
            sheet = Image.new("RGB", image.size, "white")
            sheet.paste(image, mask=image.getchannel("A") if image.mode == "RGBA" else None)
    except (OSError, Image.DecompressionBombError) as exc:
        msg = f"the printed map cannot be read: {exc}"
        raise MapError(msg) from exc
    out = io.BytesIO()
    dpi = (sheet.width / width * _MM_PER_INCH, sheet.height / height * _MM_PER_INCH)
    # Pillow stores an RGB page as JPEG: fine enough that thin lines and text stay crisp
    sheet.save(out, "PDF", dpi=dpi, title="geomon map", quality=92, subsampling=0)
    return out.getvalue()


def _paper_mm(paper: str) -> tuple[float, float]:
    try:
        return PAPERS[paper]
    except KeyError:
        msg = f"unknown paper {paper!r}: one of {', '.join(PAPERS)}"
        raise MapError(msg) from None
