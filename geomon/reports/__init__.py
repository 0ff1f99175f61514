"""Reports built from library results: HTML (self-contained, offline) and XLSX workbooks."""

from __future__ import annotations

from pathlib import Path

from geomon.reports import siting_html, siting_xlsx
from geomon.siting import SitingResult

__all__ = ["siting_html", "siting_xlsx", "write_siting_report"]

_WRITERS = {".html": siting_html.write, ".htm": siting_html.write, ".xlsx": siting_xlsx.write}


def write_siting_report(result: SitingResult, path: str | Path) -> Path:
    """
    Write a siting report, HTML or XLSX by the suffix of `path` (``geomon check --report``).

    Raises
    ------
    ValueError
        If the suffix is neither ``.html``/``.htm`` nor ``.xlsx``.
    """
    path = Path(path)
    writer = _WRITERS.get(path.suffix.lower())
    if writer is None:
        msg = f"`--report` {str(path)!r}: use a file name ending in .html or .xlsx"
        raise ValueError(msg)
    return writer(result, path)
