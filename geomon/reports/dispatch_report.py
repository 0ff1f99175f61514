"""The monthly dispatch sheet as a printable HTML page or an XLSX workbook.

HTML: one self-contained page (no script, no external URL), every value escaped, cards as
coloured badges, A4 print layout (`geomon.reports._layout`). XLSX: one sheet per table, text
cells written as text (never formulas).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from geomon.reports import _layout as lay
from geomon.reports import _xlsx
from geomon.reports._html import escape as _e
from geomon.reports.dispatch import DispatchSheet
from geomon.supervision.problems import plain

CARD_ZH = {"red": "红牌", "yellow": "黄牌"}
CARD_COLOUR = {"red": "#b2182b", "yellow": "#d4a017"}
_COUNT_HEADERS = ["本月新增", "本月销号", "月末未销号", "逾期", "红牌", "黄牌"]
_COUNTS = ["new", "closed", "open", "overdue", "red", "yellow"]
_OVERDUE = [
    ("id", "问题编号"),
    ("title", "问题"),
    ("unit", "责任单位"),
    ("district", "区县"),
    ("deadline", "整改时限"),
    ("status", "状态"),
    ("sent_back", "退回次数"),
    ("card", "警示"),
    ("days_overdue", "逾期天数"),
]
_OUTLETS = [
    ("district", "区县"),
    ("total", "排污口总数"),
    ("rectified", "月末已整治"),
    ("rectified_before", "上月末已整治"),
    ("rectified_in_month", "本月完成整治"),
    ("overdue", "月末逾期"),
]
_NOTICES = [
    ("number", "通知编号"),
    ("unit", "责任单位"),
    ("id", "问题编号"),
    ("title", "问题"),
    ("card", "警示"),
    ("days_overdue", "逾期天数"),
    ("asks", "督办要求"),
]


def _title(sheet: DispatchSheet) -> str:
    f = sheet.figures
    where = f"（{sheet.district}）" if sheet.district else ""
    return f"{f.first.year}年{f.first.month}月 生态环境问题整改调度表{where}"


def _badge(card: Any) -> str:
    if card not in CARD_ZH:
        return ""
    return f'<span class="badge" style="background:{CARD_COLOUR[card]}">{CARD_ZH[card]}</span>'


def _cell(name: str, value: Any) -> str:
    value = plain(value)
    if name == "card":
        return _badge(value)
    if value is None:
        return "—"
    return lay.num(value) if isinstance(value, int) else _e(value)


def _rows(frame: pd.DataFrame, columns: list[tuple[str, str]]) -> list[list[str]]:
    return [[_cell(k, r[k]) for k, _ in columns] for r in frame.astype("object").to_dict("records")]


def _counts(frame: pd.DataFrame, key: str, label: str) -> str:
    rows = [[_e(r[key]), *(lay.num(r[c]) for c in _COUNTS)] for r in frame.to_dict("records")]
    return lay.table(
        [label, *_COUNT_HEADERS],
        rows,
        numeric=range(1, 7),
        left=[0],
        total_last=True,
    )


def html(sheet: DispatchSheet) -> str:
    """The sheet as one printable HTML page."""
    f = sheet.figures
    t = f.totals
    kpis = "".join(
        f'<div class="kpi"><b>{lay.num(t[k])}</b><span>{label}</span></div>'
        for k, label in zip(_COUNTS, _COUNT_HEADERS, strict=True)
    )
    body = [
        f"<header><h1>{_e(_title(sheet))}</h1>"
        f'<p class="sub">按月调度督办 · {_e(lay.day(f.first.isoformat()))}至'
        f"{_e(lay.day(f.last.isoformat()))}</p>"
        f'<p class="meta">数据截至 {_e(sheet.as_of_text)}（北京时间，按变更历史还原，'
        "任何时候重新生成结果相同）</p></header>",
        f'<div class="kpis" style="grid-template-columns:repeat(6,1fr)">{kpis}</div>',
        "<h2>一、问题整改情况（按责任单位）</h2>",
        _counts(f.by_unit, "unit", "责任单位"),
        "<h2>二、问题整改情况（按区县）</h2>",
        _counts(f.by_district, "district", "区县"),
        "<h2>三、逾期问题及红黄牌警示</h2>",
        lay.table(
            [h for _, h in _OVERDUE], _rows(f.overdue, _OVERDUE), numeric=[6, 8], left=[1, 2]
        ),
        "<h2>四、入河排污口整治进展</h2>",
        lay.table(
            [h for _, h in _OUTLETS],
            _rows(f.outlets, _OUTLETS),
            numeric=range(1, 6),
            left=[0],
            total_last=len(f.outlets) > 0,
        ),
        "<h2>五、督办通知清单</h2>",
        lay.table(
            [h for _, h in _NOTICES], _rows(f.notices, _NOTICES), numeric=[5], left=[1, 3, 6]
        ),
        '<footer><p class="note">红黄牌规则：超过整改时限即黄牌，超过 30 日或核查退回 2 次即红牌'
        "（geomon/rules/supervision.toml）；已销号问题不计警示。</p></footer>",
    ]
    return lay.page(_title(sheet), "".join(body))


def write_html(sheet: DispatchSheet, path: str | Path) -> None:
    """Write the HTML sheet to `path` (UTF-8)."""
    Path(path).write_text(html(sheet), encoding="utf-8")


def _values(frame: pd.DataFrame, columns: list[tuple[str, str]]) -> list[list[Any]]:
    out = []
    for r in frame.astype("object").to_dict("records"):
        out.append([CARD_ZH.get(r[k]) if k == "card" else plain(r[k]) for k, _ in columns])
    return out


def write_xlsx(sheet: DispatchSheet, path: str | Path) -> None:
    """Write the sheet as a workbook: 概况, 按责任单位, 按区县, 逾期问题, 排污口整治, 督办通知."""
    f = sheet.figures
    wb = _xlsx.new_workbook()
    _xlsx.add_sheet(
        wb,
        "概况",
        ["月份", "数据截至", "区县", *_COUNT_HEADERS],
        [[f.month, sheet.as_of_text, sheet.district or "全部", *(f.totals[c] for c in _COUNTS)]],
        widths=[10, 20, 10],
    )
    counts = [(c, h) for c, h in zip(_COUNTS, _COUNT_HEADERS, strict=True)]
    _xlsx.add_sheet(wb, "按责任单位", ["责任单位", *_COUNT_HEADERS],
                    _values(f.by_unit, [("unit", ""), *counts]), widths=[26])  # fmt: skip
    _xlsx.add_sheet(wb, "按区县", ["区县", *_COUNT_HEADERS],
                    _values(f.by_district, [("district", ""), *counts]), widths=[16])  # fmt: skip
    _xlsx.add_sheet(wb, "逾期问题", [h for _, h in _OVERDUE], _values(f.overdue, _OVERDUE),
                    widths=[12, 30, 22])  # fmt: skip
    _xlsx.add_sheet(wb, "排污口整治", [h for _, h in _OUTLETS], _values(f.outlets, _OUTLETS))
    _xlsx.add_sheet(wb, "督办通知", [h for _, h in _NOTICES], _values(f.notices, _NOTICES),
                    widths=[20, 22, 12, 30, 8, 10, 60])  # fmt: skip
    wb.save(path)
