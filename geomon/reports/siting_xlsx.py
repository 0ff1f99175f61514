"""An XLSX workbook of a siting check, with Chinese headers.

Sheets: 项目汇总 (one row per project), 冲突明细 (one row per conflict), 数据来源 and 说明.

Text cells are always written as text, so a project name such as ``=HYPERLINK(...)`` is shown,
never evaluated as a formula.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from geomon import siting
from geomon.rules import zones
from geomon.times import beijing

PROJECT_SHEET = "项目汇总"
CONFLICT_SHEET = "冲突明细"
SOURCE_SHEET = "数据来源"
NOTE_SHEET = "说明"

_PROJECT_FIELDS = (
    "id", "name", "kind", "activity", "discharges_wastewater", "verdict", "n_conflicts",
    "area_m2", "area_geodesic_m2", "length_m", "length_geodesic_m", "metric_crs", "reason_zh",
    "citations", "reason_en",
)  # fmt: skip
_CONFLICT_FIELDS = (
    "project_id", "project_name", "layer_title", "feature_id", "name", "level", "relation",
    "overlap_area_m2", "overlap_area_geodesic_m2", "overlap_length_m",
    "overlap_length_geodesic_m", "overlap_ratio", "distance_m", "distance_geodesic_m",
    "metric_crs", "verdict", "reason_zh", "citation", "rule_id", "allowed_item", "reason_en",
)  # fmt: skip
_FLOAT_FORMATS = {"overlap_ratio": "0.0%"}
_VERDICT_FILLS = {
    "prohibited": ("B2182B", "FFFFFF"),
    "restricted": ("E66101", "FFFFFF"),
    "attention": ("FDB863", "222222"),
    "clear": ("1A9850", "FFFFFF"),
}
_WIDE = {"reason_zh": 60, "reason_en": 60, "citations": 30, "citation": 30, "name": 30,
         "project_name": 30}  # fmt: skip


def _cell_value(field: str, value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if field == "verdict":
        label = zones.VERDICT_LABELS.get(str(value))
        return f"{label.zh}（{label.en}）" if label else str(value)
    if field == "relation":
        label = zones.RELATION_LABELS.get(str(value))
        return label.zh if label else str(value)
    if field == "discharges_wastewater":
        return "是" if bool(value) else "否"
    if hasattr(value, "item"):
        value = value.item()
    return value


def _sheet(ws: Worksheet, frame: pd.DataFrame, fields: Sequence[str]) -> None:
    headers = [siting.COLUMN_LABELS[f].zh if f in siting.COLUMN_LABELS else f for f in fields]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEF1F7")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r, (_, row) in enumerate(frame.iterrows(), start=2):
        for c, field in enumerate(fields, start=1):
            value = _cell_value(field, row.get(field))
            cell = ws.cell(row=r, column=c)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            elif isinstance(value, float):
                cell.number_format = _FLOAT_FORMATS.get(field, "#,##0.00")
            if field == "verdict" and str(row.get(field)) in _VERDICT_FILLS:
                bg, fg = _VERDICT_FILLS[str(row.get(field))]
                cell.fill = PatternFill("solid", fgColor=bg)
                cell.font = Font(color=fg, bold=True)
            if field in _WIDE:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for c, field in enumerate(fields, start=1):
        ws.column_dimensions[get_column_letter(c)].width = _WIDE.get(field, 16)
    ws.freeze_panes = "C2"
    if frame.shape[0]:
        ws.auto_filter.ref = ws.dimensions


def workbook(result: siting.SitingResult, *, generated_at: dt.datetime | None = None) -> Workbook:
    """Build the workbook (not saved); see `write`."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = PROJECT_SHEET
    _sheet(ws, result.projects, _PROJECT_FIELDS)
    _sheet(wb.create_sheet(CONFLICT_SHEET), result.conflicts, _CONFLICT_FIELDS)
    sources = pd.DataFrame(
        [
            {"图层": s.title, "图层代码": s.layer, "要素数": s.rows, "数据来源": s.source,
             "导入时间": s.imported_at, "数据版本": s.version, "已入库": "是" if s.stored else "否"}
            for s in result.sources
        ],
        columns=["图层", "图层代码", "要素数", "数据来源", "导入时间", "数据版本", "已入库"],
    )  # fmt: skip
    _sheet(wb.create_sheet(SOURCE_SHEET), sources, list(sources.columns))
    notes = wb.create_sheet(NOTE_SHEET)
    when = beijing(generated_at or dt.datetime.now(dt.UTC))
    lines = [
        ("生成时间", when),
        ("缓冲距离（m）", result.buffer_m),
        ("规则表版本", result.rules_version),
        ("计算方法", siting.METHOD_NOTE_ZH),
        *((f"字段 {k}", v) for k, v in siting.METHODS.items()),
        ("说明", "标注“待核实”的条款尚未与正式文本核对；本表为辅助分析，不替代法定程序。"),
    ]
    for key, value in lines:
        notes.append([key, value])
        notes.cell(row=notes.max_row, column=2).data_type = "s" if isinstance(value, str) else "n"
    notes.column_dimensions["A"].width = 28
    notes.column_dimensions["B"].width = 100
    return wb


def write(
    result: siting.SitingResult, path: str | Path, *, generated_at: dt.datetime | None = None
) -> Path:
    """Write the workbook to `path` (``.xlsx``) and return the path."""
    path = Path(path)
    workbook(result, generated_at=generated_at).save(path)
    return path
