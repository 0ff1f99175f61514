"""Import a file into a store layer: read → validate → (diff) → one all-or-nothing write.

A file with invalid rows writes nothing unless `skip_invalid` is set; then the valid rows are
written and the report names every skipped row. `dry_run` does everything but the write and
returns the diff the write would make.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pandas as pd

from geomon import audit, validate
from geomon import io as gio
from geomon.messages import Issue, ValidationReport, message
from geomon.specs import get_spec
from geomon.store import Store, WriteMode, WriteStats
from geomon.store import merge as merging

Progress = Callable[[float, str], None]
# Each stage starts at its share of a 100,000-row XLSX import into a GeoPackage (issue 7
# benchmark: reading 32 %, validating 8 %, comparing 2 %, writing 59 %), so a bar moves evenly.


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import found and did."""

    report: ValidationReport
    written: bool
    rows_read: int
    rows_written: int
    skipped_rows: tuple[int, ...]
    stats: WriteStats | None
    diff: merging.Diff | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``geomon import --json``: the report plus what was written."""
        out = self.report.to_dict()
        out.update(
            {
                "written": self.written,
                "rows_written": self.rows_written,
                "skipped_rows": list(self.skipped_rows),
                "diff": self.diff.to_dict() if self.diff else None,
            }
        )
        return out


def _noop(_fraction: float, _text: str) -> None:
    return None


def import_file(
    source: str | Path | bytes | IO[bytes],
    layer: str,
    store: Store,
    *,
    crs: str | int | None = None,
    mode: WriteMode = "upsert",
    skip_invalid: bool = False,
    dry_run: bool = False,
    make_valid: bool = False,
    filename: str | None = None,
    version: str | None = None,
    user: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Read `source` as `layer`, validate it and write it to `store` (see module docstring).

    The store's change history records `user` (default: the store's, ``$USER``) and the file
    name (without its folder) as the source of every change.
    Raises `geomon.errors.ReadError` if the file cannot be read at all (nothing is written).
    """
    progress = progress or _noop
    spec = get_spec(layer)
    progress(0.05, "读取文件 / reading")
    read = gio.read(source, spec, crs, filename=filename)
    progress(0.35, "校验 / validating")
    checked = validate.validate(read.frame, spec, make_valid=make_valid, report=read.report)
    report = checked.report
    frame = checked.frame
    if not len(frame):  # nothing to import; a replace would delete every stored row
        text = message("文件中没有数据行，未导入", "the file has no data rows; nothing imported")
        report.add(Issue(None, None, "empty", text))
    bad_rows = tuple(report.invalid_rows)
    if report.file_errors or (bad_rows and not skip_invalid):
        return ImportResult(report, False, len(frame), 0, (), None, None)
    if bad_rows:
        frame = frame.drop(index=list(bad_rows))
        for row in bad_rows:
            report.add(
                Issue(
                    row,
                    None,
                    "skipped_row",
                    message("该行有错误，已跳过未导入", "row has errors and was skipped"),
                    "warning",
                )
            )
    if mode == "upsert":  # fields the file does not have keep their stored values
        frame = _given_fields(frame, read.frame)
    progress(0.45, "比对 / comparing with the store")
    diff = merging.diff(store.read(spec.name), frame, spec, mode=mode)
    if dry_run:
        return ImportResult(report, False, len(checked.frame), 0, bad_rows, None, diff)
    progress(0.5, "写入 / writing")
    name = filename or (str(source) if isinstance(source, str | Path) else None)
    name = Path(name).name if name else None
    written = store.write({spec.name: frame}, mode=mode, source=name, version=version, user=user)
    stats = written[spec.name]
    audit.record(
        "import", user=user or os.environ.get("USER"), layer=spec.name, file=name, mode=mode,
        rows=len(frame), added=stats.added, updated=stats.updated, skipped=len(bad_rows),
        version=version, store=audit.store_text(getattr(store, "url", "")),
    )  # fmt: skip
    progress(1.0, "完成 / done")
    return ImportResult(report, True, len(checked.frame), len(frame), bad_rows, stats, diff)


def _given_fields(checked: pd.DataFrame, read: pd.DataFrame) -> pd.DataFrame:
    """The validated rows, only with the columns the file had or validation filled in."""
    keep = [c for c in checked.columns if c in read.columns or checked[c].notna().any()]
    return checked[keep]
