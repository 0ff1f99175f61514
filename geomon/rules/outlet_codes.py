"""Outlet code checks: split a national outlet code into its segments and explain what is wrong.

The segments come from ``outlets.toml`` (`geomon.rules.outlets.load_rules`). The HJ 1235-2021
code structure is unverified (DOMAIN.md §2.3), so the parser is table-driven and only the
GB/T 2260 district segment is treated as certain (errors); everything else it finds is a
warning. Uniqueness is checked by `geomon.validate` (``duplicate_id``) and
`geomon.analysis.ledger_checks` (``duplicate_code``). `parse_code` is also importable from
`geomon.rules.outlets`.

`parse_codes` and `bad_code_issues` work on a whole column at once: a segment's text is checked
once per distinct value (a ledger has a few hundred districts and types), so a national ledger
of 200,000 codes is checked in well under a second, with exactly `parse_code`'s findings.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geomon import frames
from geomon.messages import Issue, Severity, message
from geomon.rules import _outlets_toml

_STR = pd.StringDtype(na_value=np.nan)  # what ``astype(str)`` gives: pandas' default str dtype


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


@dataclass(frozen=True, slots=True)
class ParsedCodes:
    """`parse_code` of a column of codes, row for row (same index as the codes).

    ``parts`` has one str column per segment: its text, missing past the end of a short code.
    ``problems`` has one column per segment: its `CodeProblem`, or None. ``length`` holds the
    length problem of each code, or None.
    """

    parts: pd.DataFrame
    problems: pd.DataFrame
    length: pd.Series


def _objects(values: list[object]) -> np.ndarray:
    """`values` as a 1-d object array (numpy would unpack sequences)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _once_per_value(keys: np.ndarray, fn: Callable[[int], object]) -> np.ndarray:
    """``fn(key)`` for each of `keys` (None for a negative key), called once per distinct key."""
    inverse, distinct = pd.factorize(keys)
    found = _objects([None if k < 0 else fn(int(k)) for k in distinct.tolist()])
    return found[inverse]


def _segment_problems(
    seg: _outlets_toml.Segment, parts: pd.Series, start: int, certain: np.ndarray
) -> np.ndarray:
    """`_segment_problem` of each part (None where it is missing), once per (part, certain)."""
    keys, uniques = pd.factorize(parts)
    texts = [str(u) for u in uniques]
    return _once_per_value(
        np.where(keys < 0, -1, keys * 2 + certain),
        lambda k: _segment_problem(seg, texts[k // 2], start, bool(k % 2)),
    )


def _length_problems(lengths: np.ndarray, rules: _outlets_toml.OutletRules) -> np.ndarray:
    """The length `CodeProblem` of each code length (None where it is right), once per length."""
    width = rules.code_width

    def problem(n: int) -> CodeProblem:
        return CodeProblem(
            None,
            1,
            n,
            "length",
            "warning",
            f"编码长度为 {n} 位，应为 {width} 位（{rules.code_citation}）",
            f"code has {n} characters, expected {width}",
        )

    return _once_per_value(np.where(lengths == width, -1, lengths), problem)


def parse_codes(codes: pd.Series, rules: _outlets_toml.OutletRules | None = None) -> ParsedCodes:
    """`parse_code` of every code of `codes` (no missing cells), as columns.

    Row for row the same as ``parse_code(code)``: the same segment texts and problems.
    """
    rules = rules or _outlets_toml.load_rules()
    if frames.is_text_column(codes):
        text = frames.strip(codes).astype("str")
    else:
        text = codes.map(lambda c: str(c).strip()).astype("str")
    lengths = text.str.len().to_numpy(dtype=np.int64, na_value=0)
    parts, problems, pos = {}, {}, 0
    for seg in rules.segments:
        # segments are contiguous: a code too short for one is too short for the rest
        part = text.str.slice(pos, pos + seg.width).where(lengths >= pos + seg.width)
        certain = (lengths == rules.code_width) & (seg.name in rules.verified_segments)
        parts[seg.name] = part
        problems[seg.name] = _segment_problems(seg, part, pos + 1, certain)
        pos += seg.width
    return ParsedCodes(
        pd.DataFrame(parts, index=codes.index),
        pd.DataFrame(problems, index=codes.index, dtype=object),
        pd.Series(_length_problems(lengths, rules), index=codes.index, dtype=object),
    )


def bad_code_issues(outlets: pd.DataFrame) -> list[Issue]:
    """``bad_code`` issues of the rows with a code, row by row (`geomon.validate` keeps the errors).

    Within a row: the length problem first, then each segment's in layout order.
    """
    codes = outlets["code"]
    return _in_row_order(_bad_code_issues(parse_codes(codes[_coded(codes)])))


def _coded(codes: pd.Series) -> np.ndarray:
    """Rows with a code: not missing, not blank (Arrow's whitespace, as ``astype(str)`` gives)."""
    text = codes if codes.dtype == _STR else codes.astype(object).astype(str)
    return (codes.notna() & (text.str.strip() != "")).to_numpy(dtype=bool)


_Found = list[tuple[int, int, Issue]]
"""(position among the coded rows, order within the row, issue)."""


def _in_row_order(found: _Found) -> list[Issue]:
    """The issues row by row, each row's in the order `parse_code` finds them."""
    return [issue for _, _, issue in sorted(found, key=lambda f: (f[0], f[1]))]


def _bad_code_issues(parsed: ParsedCodes) -> _Found:
    """``bad_code`` issues: the length problem first, then each segment's in layout order."""
    found: _Found = []
    columns = [parsed.length, *(parsed.problems[c] for c in parsed.problems.columns)]
    for order, problems in enumerate(columns):
        for i in np.flatnonzero(problems.notna().to_numpy(dtype=bool)).tolist():
            p = problems.iloc[i]
            row = int(problems.index[i])
            found.append((i, order, Issue(row, "code", "bad_code", p.message, p.severity)))
    return found
