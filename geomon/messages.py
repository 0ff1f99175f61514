"""Issues and validation reports: every problem with row, field, code and a zh+en message.

Readers, validators and importers collect `Issue`s instead of stopping at the first problem; the
boundary (CLI, app) decides what to do with the report. ``row`` is the 1-based record number in
the source (header not counted), or None for a problem with the whole file. A file that cannot
be parsed at all is a `ReadError` instead, built by `cannot_read` for every reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from geomon.errors import ReadError, ValidationError

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem in one place of a source: row (1-based) and field, or None for file-level."""

    row: int | None
    field: str | None
    code: str  # stable machine code, e.g. "missing_value", "invalid_geometry"
    message: str  # Chinese first, then English: "缺少必填字段 / missing required value"
    severity: Severity = "error"

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape the CLI prints: row, field, code, message (+ severity)."""
        return asdict(self)


def message(zh: str, en: str) -> str:
    """Join a Chinese and an English message the one way every issue writes them."""
    return f"{zh} / {en}"


def cannot_read(
    name: str, exc: BaseException, *, code: str = "unreadable", tmp: str | Path | None = None
) -> ReadError:
    """
    The `ReadError` for a file its parser failed on: "cannot read NAME: <the parser's reason>".

    `tmp` is the temporary directory a reader copied the file into: GDAL names that copy in its
    reasons, so the path is replaced by the user's `name`. One helper for every reader, so a
    corrupt file reads the same whatever its format.
    """
    reason = str(exc) or type(exc).__name__
    if tmp is not None:
        reason = re.sub(rf"{re.escape(str(tmp))}[^\s:'\"]*", name, reason)
    return ReadError(
        message(f"无法读取 {name}", f"cannot read {name}: {reason}"), code=code, path=name
    )


@dataclass(slots=True)
class ValidationReport:
    """Every problem found in one source for one layer."""

    layer: str
    path: str | None = None
    rows: int = 0
    issues: list[Issue] = field(default_factory=list)

    def add(self, issue: Issue) -> None:
        """Append one issue."""
        self.issues.append(issue)

    def extend(self, issues: Iterable[Issue]) -> None:
        """Append many issues."""
        self.issues.extend(issues)

    def __iter__(self) -> Iterator[Issue]:
        return iter(self.issues)

    def __len__(self) -> int:
        return len(self.issues)

    @property
    def errors(self) -> list[Issue]:
        """Issues that make the data invalid."""
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        """Issues worth telling the user that do not block an import."""
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def file_errors(self) -> list[Issue]:
        """Errors about the whole file (row is None)."""
        return [i for i in self.errors if i.row is None]

    @property
    def invalid_rows(self) -> list[int]:
        """Sorted 1-based numbers of the rows that have at least one error."""
        return sorted({i.row for i in self.errors if i.row is not None})

    @property
    def valid(self) -> bool:
        """Whether the source has no errors at all."""
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape of ``geomon validate --json``."""
        return {
            "layer": self.layer,
            "path": self.path,
            "rows": self.rows,
            "valid": self.valid,
            "errors": [
                {"row": i.row, "field": i.field, "code": i.code, "message": i.message}
                for i in self.errors
            ],
            "warnings": [
                {"row": i.row, "field": i.field, "code": i.code, "message": i.message}
                for i in self.warnings
            ],
        }

    def summary(self) -> str:
        """One line: how many problems, and the first one."""
        if self.valid:
            return f"{self.path or self.layer}: {self.rows} row(s), valid"
        first = self.errors[0]
        where = f"row {first.row}" if first.row is not None else "file"
        fld = f", field {first.field!r}" if first.field else ""
        return (
            f"{self.path or self.layer}: {len(self.errors)} problem(s) in "
            f"{len(self.invalid_rows)} row(s); first at {where}{fld}: {first.message}"
        )

    def raise_if_invalid(self) -> None:
        """Raise `ValidationError` (carrying this report) if there is any error."""
        if not self.valid:
            raise ValidationError(self.summary(), report=self)
