"""Outlet code checks: split a national outlet code into its segments and explain what is wrong.

The segments come from ``outlets.toml`` (`geomon.rules.outlets.load_rules`). The HJ 1235-2021
code structure is unverified (DOMAIN.md §2.3), so the parser is table-driven and only the
GB/T 2260 district segment and uniqueness are treated as certain (errors); everything else it
finds is a warning. Also importable from `geomon.rules.outlets`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from geomon.report import Issue, Severity, message
from geomon.rules import _outlets_toml


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


def _segment_problem(
    seg: _outlets_toml.Segment, text: str, start: int, verified: bool
) -> CodeProblem | None:
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
    code: str, rules: _outlets_toml.OutletRules | None = None
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
    rules = rules or _outlets_toml.load_rules()
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
    rules = _outlets_toml.load_rules()
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
            if seg.field and not _outlets_toml.blank(recorded) and str(recorded) != value:
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
