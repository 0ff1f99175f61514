"""Outlet rules: workflow stages, types, overdue, progress against milestones, code checks.

The vocabulary (stages, categories, the HJ 1312-2023 type hierarchy, milestones, code segments)
is data in ``outlets.toml`` beside this module; this code only interprets it. The HJ 1235-2021
code structure is unverified (DOMAIN.md §2.3), so the parser is table-driven and only the
GB/T 2260 district segment and uniqueness are treated as certain (errors); everything else it
finds is a warning.

Shares are percentages with one decimal, rounded half to even on the exact fraction
(110 of 113 → 97.3).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from geomon.errors import LayerSpecError
from geomon.report import Issue, Severity, message
from geomon.specs import Label, get_spec

RULES_FILE = Path(__file__).with_name("outlets.toml")
UNFILLED = "（未填）"  # group label for a blank grouping value


@dataclass(frozen=True, slots=True)
class Segment:
    """One fixed-width segment of an outlet code."""

    name: str
    label: Label
    width: int
    chars: str  # regex character class for every character, e.g. "[0-9]"
    pattern: str | None = None  # optional regex the whole segment must match
    lookup: Mapping[str, str] | None = None  # allowed values → meaning
    field: str | None = None  # ledger column the segment must equal, e.g. "district_code"


@dataclass(frozen=True, slots=True)
class Milestone:
    """A national target: shares traced and rectified by a date."""

    label: Label
    date: dt.date
    traced_pct: float
    rectified_pct: float
    citation: str


@dataclass(frozen=True, slots=True)
class OutletRules:
    """Stage workflow, categories, types, milestones and the code layout from ``outlets.toml``."""

    stages: tuple[str, ...]
    traced_from: str
    rectified_from: str
    closed_from: str
    stage_citation: str
    categories: Mapping[str, str]  # category → meaning, in order
    category_citation: str
    types: Mapping[str, Mapping[str, tuple[str, ...]]]  # level 1 → level 2 → level 3
    type_citation: str
    milestones: tuple[Milestone, ...]
    segments: tuple[Segment, ...]
    code_citation: str
    verified_segments: tuple[str, ...] = field(default=())

    def rank(self, stage: str) -> int:
        """Position of `stage` in the workflow (0 = 已排查)."""
        return self.stages.index(stage)

    @property
    def code_width(self) -> int:
        """Total number of characters of a code."""
        return sum(s.width for s in self.segments)


def _label(raw: Mapping[str, str]) -> Label:
    return Label(raw["zh"], raw.get("en", raw["zh"]))


def _check_values(path: Path, key: str, ours: Sequence[str], spec_field: str) -> None:
    spec_values = tuple(v.value for v in get_spec("outlets").field(spec_field).values)
    if set(ours) != set(spec_values):
        msg = f"{path}: {key} {tuple(ours)} differs from layers/outlets.toml {spec_field} values"
        raise LayerSpecError(msg)


def _types(path: Path, raw: Mapping[str, Any]) -> dict[str, dict[str, tuple[str, ...]]]:
    types = {
        l1: {l2: tuple(l3s) for l2, l3s in sub.items()}
        for l1, sub in raw.items()
        if l1 != "citation"
    }
    spec = get_spec("outlets")
    for level, names in (
        ("type_l1", set(types)),
        ("type_l2", {l2 for sub in types.values() for l2 in sub}),
        ("type_l3", {l3 for sub in types.values() for l3s in sub.values() for l3 in l3s}),
    ):
        unknown = names - {v.value for v in spec.field(level).values}
        if unknown:
            msg = f"{path}: types use {sorted(unknown)}, not values of {level} in the layer spec"
            raise LayerSpecError(msg)
    return types


def _segment(raw: Mapping[str, Any]) -> Segment:
    lookup = raw.get("lookup")
    return Segment(
        name=raw["name"],
        label=_label(raw["label"]),
        width=int(raw["width"]),
        chars=raw["chars"],
        pattern=raw.get("pattern"),
        lookup=None if lookup is None else MappingProxyType(dict(lookup)),
        field=raw.get("field"),
    )


@functools.cache
def load_rules(path: Path = RULES_FILE) -> OutletRules:
    """Load ``outlets.toml`` and check its vocabularies against the outlets layer spec."""
    path = Path(path)
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    try:
        stages = tuple(raw["stages"]["order"])
        if stages != tuple(v.value for v in get_spec("outlets").field("stage").values):
            msg = f"{path}: stages.order {stages} differs from layers/outlets.toml stage values"
            raise LayerSpecError(msg)
        for key in ("traced_from", "rectified_from", "closed_from"):
            if raw["stages"][key] not in stages:
                msg = f"{path}: stages.{key} {raw['stages'][key]!r} is not a stage"
                raise LayerSpecError(msg)
        categories = {c: raw["categories"]["meaning"].get(c, c) for c in raw["categories"]["order"]}
        _check_values(path, "categories.order", list(categories), "category")
        segments = tuple(_segment(s) for s in raw["code"]["segments"])
        verified = tuple(raw["code"].get("verified", []))
        unknown = set(verified) - {s.name for s in segments}
        if unknown:
            msg = f"{path}: code.verified names unknown segments {sorted(unknown)}"
            raise LayerSpecError(msg)
        return OutletRules(
            stages=stages,
            traced_from=raw["stages"]["traced_from"],
            rectified_from=raw["stages"]["rectified_from"],
            closed_from=raw["stages"]["closed_from"],
            stage_citation=raw["stages"]["citation"],
            categories=MappingProxyType(categories),
            category_citation=raw["categories"]["citation"],
            types=MappingProxyType(_types(path, raw["types"])),
            type_citation=raw["types"]["citation"],
            milestones=tuple(
                Milestone(
                    _label(m["label"]),
                    m["date"],
                    float(m["traced_pct"]),
                    float(m["rectified_pct"]),
                    m["citation"],
                )
                for m in raw.get("milestones", [])
            ),
            segments=segments,
            code_citation=raw["code"]["citation"],
            verified_segments=verified,
        )
    except KeyError as exc:
        msg = f"{path}: missing key {exc.args[0]!r}"
        raise LayerSpecError(msg) from exc


def pct(part: int, whole: int) -> float | None:
    """Return ``100 * part / whole`` with one decimal (half to even, exact), None if `whole` is 0.

    Examples
    --------
    >>> pct(110, 113), pct(5, 6), pct(1, 0)
    (97.3, 83.3, None)
    """
    if whole == 0:
        return None
    share = Decimal(100 * int(part)) / Decimal(int(whole))
    return float(share.quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN))


# ------------------------------------------------------------------------------ workflow


def _at_least(stages: pd.Series, stage: str, rules: OutletRules) -> pd.Series:
    rank = {s: i for i, s in enumerate(rules.stages)}
    ranks = pd.to_numeric(stages.astype(object).map(rank), errors="coerce")
    return pd.Series((ranks >= rank[stage]).fillna(False).to_numpy(dtype=bool), index=stages.index)


def is_traced(stages: pd.Series, rules: OutletRules | None = None) -> pd.Series:
    """Outlets whose stage is 已溯源 or later (an unknown or blank stage is not)."""
    rules = rules or load_rules()
    return _at_least(stages, rules.traced_from, rules).rename("traced")


def is_rectified(stages: pd.Series, rules: OutletRules | None = None) -> pd.Series:
    """Outlets whose stage is 整治完成 or later (完成整治)."""
    rules = rules or load_rules()
    return _at_least(stages, rules.rectified_from, rules).rename("rectified")


def is_closed(stages: pd.Series, rules: OutletRules | None = None) -> pd.Series:
    """Outlets that are 已销号."""
    rules = rules or load_rules()
    return _at_least(stages, rules.closed_from, rules).rename("closed")


def _as_of(as_of: dt.date | str | None) -> pd.Timestamp:
    return pd.Timestamp(dt.date.today() if as_of is None else as_of).normalize()


def is_overdue(outlets: pd.DataFrame, as_of: dt.date | str | None = None) -> pd.Series:
    """Deadline passed and not rectified (DOMAIN.md §2.4).

    "Passed" means the deadline is strictly before `as_of` (default: today), so an outlet due
    on 2023-06-30 is not overdue on that day. No deadline, never overdue.
    """
    deadline = pd.to_datetime(outlets["deadline"])
    late = (deadline < _as_of(as_of)).fillna(False).to_numpy(dtype=bool)
    return pd.Series(late & ~is_rectified(outlets["stage"]).to_numpy(), index=outlets.index).rename(
        "overdue"
    )


_COUNTS = ("total", "traced", "rectified", "closed", "overdue")


def _flags(outlets: pd.DataFrame, as_of: dt.date | str | None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "total": 1,
            "traced": is_traced(outlets["stage"]).astype(int),
            "rectified": is_rectified(outlets["stage"]).astype(int),
            "closed": is_closed(outlets["stage"]).astype(int),
            "overdue": is_overdue(outlets, as_of).astype(int),
        },
        index=outlets.index,
    )


def progress(
    outlets: pd.DataFrame, *, by: str | None = None, as_of: dt.date | str | None = None
) -> pd.DataFrame:
    """Count outlets traced, rectified, closed and overdue, with shares (%, one decimal).

    One row per value of `by` (e.g. ``"district"``, ``"type_l1"``, ``"category"``,
    ``"receiving_water"``; blanks grouped as ``（未填）``) followed by a ``合计`` (total) row, or
    only the total when `by` is None. Columns: total, traced, rectified, closed, overdue,
    traced_pct, rectified_pct, closed_pct. `as_of` (default today) decides what is overdue.
    """
    flags = _flags(outlets, as_of)
    total = flags.sum().to_frame("合计").T
    if by is not None:
        keys = outlets[by].astype(object).where(outlets[by].notna(), UNFILLED)
        table = pd.concat([flags.groupby(keys, sort=True).sum(), total])
    else:
        table = total
    table = table.astype(dict.fromkeys(_COUNTS, "int64"))
    table.index.name = by or "scope"
    for col in ("traced", "rectified", "closed"):
        table[f"{col}_pct"] = [pct(p, w) for p, w in zip(table[col], table["total"], strict=True)]
    return table


def progress_by_month(outlets: pd.DataFrame, months: Sequence[str]) -> pd.DataFrame:
    """Cumulative outlets traced and rectified by the end of each month (``"2023-01"`` …).

    An outlet counts from the month of its ``traced_date`` (traced) or ``completed_date``
    (rectified) if its stage says it got there. A rectified outlet without a ``traced_date`` is
    counted as traced from its ``completed_date`` (rectification needs a known source); any other
    outlet without the date cannot be placed in time and is left out, so the last month can be
    below `progress`. Shares are of all outlets in the frame.
    """
    rectified = is_rectified(outlets["stage"])
    traced_ok = is_traced(outlets["stage"])
    done = pd.to_datetime(outlets["completed_date"]).where(rectified)
    if "traced_date" in outlets.columns:
        traced = pd.to_datetime(outlets["traced_date"]).where(traced_ok)
        traced = traced.fillna(done)
    else:
        traced = done
    total = len(outlets)
    rows = []
    for month in months:
        end = pd.Period(month, "M").end_time
        n_traced = int((traced <= end).sum())
        n_done = int((done <= end).sum())
        rows.append(
            {
                "month": str(pd.Period(month, "M")),
                "total": total,
                "traced": n_traced,
                "rectified": n_done,
                "traced_pct": pct(n_traced, total),
                "rectified_pct": pct(n_done, total),
            }
        )
    return pd.DataFrame(
        rows, columns=["month", "total", "traced", "rectified", "traced_pct", "rectified_pct"]
    )


def milestone_status(
    outlets: pd.DataFrame, *, as_of: dt.date | str | None = None
) -> list[dict[str, object]]:
    """Each national milestone (outlets.toml) with the current shares and whether they meet it.

    ``due`` says whether the milestone date has been reached at `as_of` (default today).
    """
    rules = load_rules()
    total = progress(outlets, as_of=as_of).iloc[0]
    traced, rectified = total["traced_pct"], total["rectified_pct"]
    when = _as_of(as_of)
    return [
        {
            "milestone": m.label.zh,
            "milestone_en": m.label.en,
            "date": m.date.isoformat(),
            "due": bool(when >= pd.Timestamp(m.date)),
            "traced_pct": traced,
            "traced_target": m.traced_pct,
            "rectified_pct": rectified,
            "rectified_target": m.rectified_pct,
            "met": traced is not None
            and rectified is not None
            and bool(traced >= m.traced_pct and rectified >= m.rectified_pct),
            "citation": m.citation,
        }
        for m in rules.milestones
    ]


# ------------------------------------------------------------------------------ types


def _blank(value: object) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value)) or str(value) == ""


def type_issues(outlets: pd.DataFrame, rules: OutletRules | None = None) -> list[Issue]:
    """Issues for type_l2 / type_l3 values that do not belong under their parent (HJ 1312-2023).

    Rows are the frame's index. A blank level is not checked (validation reports missing
    required values).
    """
    rules = rules or load_rules()
    issues: list[Issue] = []
    parent_of_l2 = {l2: l1 for l1, sub in rules.types.items() for l2 in sub}
    parent_of_l3 = {l3: l2 for sub in rules.types.values() for l2, l3s in sub.items() for l3 in l3s}

    def column(name: str) -> list[str | None]:
        if name not in outlets.columns:
            return [None] * len(outlets)
        return [None if _blank(v) else str(v) for v in outlets[name]]

    levels = zip(
        outlets.index, column("type_l1"), column("type_l2"), column("type_l3"), strict=True
    )
    for row, l1, l2, l3 in levels:
        if l1 and l2 and parent_of_l2.get(l2, l1) != l1:
            issues.append(
                Issue(
                    int(row),
                    "type_l2",
                    "type_mismatch",
                    message(
                        f"二级类型“{l2}”属于“{parent_of_l2[l2]}”，不属于“{l1}”（{rules.type_citation}）",
                        f"level-2 type {l2!r} belongs to {parent_of_l2[l2]!r}, not {l1!r}",
                    ),
                )
            )
        if l2 and l3 and parent_of_l3.get(l3, l2) != l2:
            issues.append(
                Issue(
                    int(row),
                    "type_l3",
                    "type_mismatch",
                    message(
                        f"三级类型“{l3}”属于“{parent_of_l3[l3]}”，不属于“{l2}”（{rules.type_citation}）",
                        f"level-3 type {l3!r} belongs to {parent_of_l3[l3]!r}, not {l2!r}",
                    ),
                )
            )
    return issues


# ------------------------------------------------------------------------------ codes


@dataclass(frozen=True, slots=True)
class CodeProblem:
    """What is wrong with one segment of a code (or with its length)."""

    segment: str | None  # None for the length
    start: int  # 1-based character positions in the code
    end: int
    kind: str  # "length", "chars", "pattern", "lookup"
    severity: Severity  # "error" for verified segments, "warning" otherwise
    zh: str
    en: str

    @property
    def message(self) -> str:
        """The zh / en message."""
        return message(self.zh, self.en)


def _segment_problem(seg: Segment, text: str, start: int, verified: bool) -> CodeProblem | None:
    end = start + seg.width - 1
    where_zh, where_en = (
        f"第 {start}–{end} 位（{seg.label.zh}）“{text}”",
        (f"positions {start}-{end} ({seg.label.en}) {text!r}"),
    )
    severity: Severity = "error" if verified else "warning"
    bad = "".join(c for c in text if not re.fullmatch(seg.chars, c))
    if bad:
        return CodeProblem(
            seg.name,
            start,
            end,
            "chars",
            severity,
            f"{where_zh}含非法字符“{bad}”，每位应为 {seg.chars}",
            f"{where_en} contain {bad!r}; every character must be {seg.chars}",
        )
    if seg.pattern and not re.fullmatch(seg.pattern, text):
        return CodeProblem(
            seg.name,
            start,
            end,
            "pattern",
            severity,
            f"{where_zh}不符合 {seg.pattern}",
            f"{where_en} do not match {seg.pattern}",
        )
    if seg.lookup is not None and text not in seg.lookup:
        known = "、".join(seg.lookup)
        return CodeProblem(
            seg.name,
            start,
            end,
            "lookup",
            severity,
            f"{where_zh}不在代码表中（{known}）",
            f"{where_en} is not in the code table ({', '.join(seg.lookup)})",
        )
    return None


def parse_code(
    code: str, rules: OutletRules | None = None
) -> tuple[dict[str, str], list[CodeProblem]]:
    """Split an outlet code into its segments and explain every segment that is wrong.

    Segments come from ``outlets.toml`` (HJ 1235-2021 layout, unverified). A problem in a
    verified segment (the GB/T 2260 district code) of a code of the right length is an error; any
    other problem, including the length, is a warning because the layout itself may be wrong
    (and a code of the wrong length may be shifted). Segments past the end of a
    short code are left out of the parts and not checked.

    Examples
    --------
    >>> parts, problems = parse_code("CJ9001429902GS0001")
    >>> parts["district"], problems
    ('429902', [])
    >>> _, problems = parse_code("CJ9001029902GS0001")
    >>> problems[0].segment, problems[0].severity
    ('district', 'error')
    """
    rules = rules or load_rules()
    code = str(code).strip()
    width = rules.code_width
    parts: dict[str, str] = {}
    problems: list[CodeProblem] = []
    if len(code) != width:
        problems.append(
            CodeProblem(
                None,
                1,
                len(code),
                "length",
                "warning",
                f"编码长度为 {len(code)} 位，应为 {width} 位（{rules.code_citation}）",
                f"code has {len(code)} characters, expected {width}",
            )
        )
    pos = 0
    for seg in rules.segments:
        text = code[pos : pos + seg.width]
        start = pos + 1
        pos += seg.width
        if len(text) < seg.width:
            break
        parts[seg.name] = text
        # a code of the wrong length may be shifted, so no segment problem is then certain
        certain = len(code) == width and seg.name in rules.verified_segments
        problem = _segment_problem(seg, text, start, certain)
        if problem is not None:
            problems.append(problem)
    return parts, problems


def code_issues(outlets: pd.DataFrame, *, district_codes: set[str] | None = None) -> list[Issue]:
    """Issues for malformed, duplicate and inconsistent national outlet codes (``code``).

    - ``duplicate_code`` (error): the same code on several rows;
    - ``bad_code``: a segment or the length is wrong (error for verified segments, else warning);
    - ``code_field_mismatch``: a segment differs from the ledger column it encodes (error when
      the segment is verified: the district segment vs ``district_code``);
    - ``unknown_district`` (error): with `district_codes` (the districts layer's codes), a
      district segment that is not one of them.

    Rows are the frame's index.
    """
    rules = load_rules()
    issues: list[Issue] = []
    codes = outlets["code"]
    present = codes.notna() & (codes.astype(object).astype(str).str.strip() != "")
    dup = present & codes.duplicated(keep=False)
    for row, code in codes[dup.to_numpy(dtype=bool)].items():
        others = [int(r) for r in codes.index[(codes == code).to_numpy(dtype=bool)] if r != row]
        issues.append(
            Issue(
                int(row),
                "code",
                "duplicate_code",
                message(
                    f"编码“{code}”重复（另见第 {others} 行）",
                    f"code {code!r} is also used on rows {others}",
                ),
            )
        )
    verified = set(rules.verified_segments)
    for row, code in codes[present.to_numpy(dtype=bool)].items():
        parts, problems = parse_code(code, rules)
        issues += [
            Issue(int(row), "code", "bad_code", p.message, severity=p.severity) for p in problems
        ]
        bad_segments = {p.segment for p in problems}
        for seg in rules.segments:
            if seg.name not in parts or seg.name in bad_segments:
                continue
            value = parts[seg.name]
            recorded = outlets.at[row, seg.field] if seg.field in outlets.columns else None
            if seg.field and not _blank(recorded) and str(recorded) != value:
                issues.append(
                    Issue(
                        int(row),
                        "code",
                        "code_field_mismatch",
                        message(
                            f"编码中的{seg.label.zh} {value} 与字段 {seg.field}“{recorded}”不一致",
                            f"{seg.label.en} segment {value} differs from {seg.field} {recorded!r}",
                        ),
                        severity="error" if seg.name in verified else "warning",
                    )
                )
        district = parts.get("district") if "district" not in bad_segments else None
        if district_codes is not None and district is not None and district not in district_codes:
            issues.append(
                Issue(
                    int(row),
                    "code",
                    "unknown_district",
                    message(
                        f"编码中的行政区划代码 {district} 不在行政区划图层中",
                        f"district segment {district} is not in the districts layer",
                    ),
                )
            )
    return issues


def stage_order() -> np.ndarray:
    """The ordered stage values, for sorting and charts."""
    return np.array(load_rules().stages)
