"""Exit codes and output shared by the ``geomon`` command families (`data`, `rules`)."""

from __future__ import annotations

import json
import sys
from typing import Any

from geomon.errors import GeomonError
from geomon.messages import ValidationReport

OK, INVALID, USAGE = 0, 1, 2


def print_json(data: Any) -> None:
    """Print `data` as indented JSON, Chinese unescaped (every ``--json`` output)."""
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def print_report(report: ValidationReport) -> None:
    """Print a validation report: its summary, then one line per issue."""
    print(report.summary())
    for issue in report.issues:
        where = f"第 {issue.row} 行" if issue.row is not None else "文件"
        fld = f" [{issue.field}]" if issue.field else ""
        tag = "警告" if issue.severity == "warning" else "错误"
        print(f"  {tag} {where}{fld} {issue.code}: {issue.message}")


def read_error(path: str, layer: str, exc: GeomonError, as_json: bool) -> int:
    """Report a file that could not be read (as JSON or on stderr); return `USAGE`."""
    code = getattr(exc, "code", "unreadable")
    if as_json:
        print_json(
            {
                "layer": layer,
                "path": path,
                "rows": 0,
                "valid": False,
                "errors": [{"row": None, "field": None, "code": code, "message": str(exc)}],
            }
        )
    else:
        print(f"geomon: {exc}", file=sys.stderr)
    return USAGE
