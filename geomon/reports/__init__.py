"""Reports built from library results: HTML (self-contained, offline) and XLSX workbooks.

- siting check reports: `siting_html`, `siting_xlsx` (``geomon check --report``);
- period work reports: `period` (the figures, `period_report`), `period_html`, `period_xlsx`
  (``geomon report``);
- re-checks after a red-line or zone revision: `recheck`, `recheck_report` (``geomon recheck``);
- data versions and the store as of a moment: `versions`.
"""

from __future__ import annotations

from pathlib import Path

from geomon.errors import ReportError
from geomon.reports import (
    period,
    period_html,
    period_xlsx,
    recheck,
    recheck_report,
    siting_html,
    siting_xlsx,
    versions,
)
from geomon.reports.period import PeriodReport, period_report
from geomon.reports.recheck import RecheckResult
from geomon.siting import SitingResult

__all__ = [
    "PeriodReport",
    "RecheckResult",
    "period",
    "period_html",
    "period_report",
    "period_xlsx",
    "recheck",
    "recheck_report",
    "siting_html",
    "siting_xlsx",
    "versions",
    "write_siting_report",
]

_WRITERS = {".html": siting_html.write, ".htm": siting_html.write, ".xlsx": siting_xlsx.write}


def _writer(path: Path, writers: dict, flag: str) -> object:
    writer = writers.get(path.suffix.lower())
    if writer is None:
        msg = f"`{flag}` {str(path)!r}: use a file name ending in .html or .xlsx"
        raise ReportError(msg)
    return writer


def write_siting_report(result: SitingResult, path: str | Path) -> Path:
    """
    Write a siting report, HTML or XLSX by the suffix of `path` (``geomon check --report``).

    Raises
    ------
    ReportError
        If the suffix is neither ``.html``/``.htm`` nor ``.xlsx``.
    """
    path = Path(path)
    return _writer(path, _WRITERS, "--report")(result, path)  # type: ignore[operator]
