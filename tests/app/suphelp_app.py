"""A photo for the supervision page tests."""

from __future__ import annotations

import io

from geomon.supervision import evidence


def photo() -> evidence.Evidence:
    """A small checked JPEG."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 24), (20, 120, 40)).save(out, format="JPEG")
    return evidence.check_evidence("done.jpg", out.getvalue())
