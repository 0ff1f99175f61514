"""Station readings files → a readings frame: one entry `read_file`, then `match_sections`.

Two kinds of file are read:

- HJ 212 packet logs (any file whose first non-blank bytes are ``##``; `geomon.monitoring.hj212`);
- CSV/XLSX exports: a section code column (断面编码 …, as the monitoring layer names it) or a
  station id column (``station_mn``, 站点编码, MN), a time column (``time``, 时间, 监测时间,
  数据时间, DataTime …; Beijing time), one column per parameter under the monitoring layer's
  names and aliases (``NH3N``, 氨氮, ``w21003``), and optional flag columns (the parameter's
  header followed by ``-Flag``, ``_flag``, ``标记`` or ``标识``; or one ``flag`` / 数据标记
  column for the whole row). A ``step`` (频次) column may say ``hour``/``day`` (小时/日); without
  one, a file whose times are all midnight is daily data, otherwise hourly.

A row whose time or value cannot be read is rejected with its line (the sheet's 1-based row; a
CSV's line counting the header as 1) and the reason, never half-read: its other values are
rejected with it. A blank value is no reading.

`match_sections` gives every reading its section (through the sections' ``station_mn``) or its
station (a section without an MN measures under its own code), and rejects readings of unknown
stations or sections. Within one file a later reading of the same station, parameter, step and
time replaces an earlier one (a platform re-sending a corrected packet).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from geomon.errors import ReadError
from geomon.io import _xlsx
from geomon.io import limits as glimits
from geomon.io.columns import normalise_header
from geomon.io.tabular import _csv_rows
from geomon.messages import message
from geomon.monitoring import BEIJING, FLAGS, READINGS_COLUMNS, typed
from geomon.monitoring import hj212 as hj
from geomon.monitoring.hj212 import Parsed, Rejected
from geomon.monitoring.parameters import parameter_key

KEY = ("station_mn", "parameter", "step", "time")
"""A reading's identity: one value per station, parameter, step and time."""
_SECTION_HEADERS = ("section_code", "断面编码", "点位编码", "断面代码", "sectioncode", "断面")
_STATION_HEADERS = ("station_mn", "mn", "站点编码", "站点mn", "自动站编码", "设备编码", "stationmn")
_TIME_HEADERS = (
    "time",
    "时间",
    "监测时间",
    "数据时间",
    "采样时间",
    "datatime",
    "日期",
    "date",
    "监测日期",
)
_STEP_HEADERS = ("step", "频次", "数据类型", "时间粒度")
_FLAG_HEADERS = ("flag", "数据标记", "标记", "标识", "数据标识")
_FLAG_SUFFIXES = ("-flag", "_flag", "flag", "数据标记", "标记", "标识")
_STEP_WORDS = {"hour": "hour", "小时": "hour", "时": "hour", "day": "day", "日": "day", "天": "day"}
_TABULAR = {".csv", ".txt", ".xlsx", ".xlsm"}


def read_file(path: str | Path) -> Parsed:
    """Read an HJ 212 log or a CSV/XLSX export (see the module docstring).

    Raises `ReadError` when the file cannot be read at all (missing, not text, no time or
    station column).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        msg = message(f"无法读取 {path}：{exc}", f"cannot read {path}: {exc}")
        raise ReadError(msg, path=str(path)) from exc
    if data.lstrip(b" \t\r\n\xef\xbb\xbf")[:2] == b"##":
        return hj.parse(data)
    suffix = path.suffix.lower()
    if suffix not in _TABULAR:
        msg = message(
            f"{path.name}：既不是 HJ 212 数据包日志（以 ## 开头），也不是 CSV/XLSX",
            f"{path.name}: neither an HJ 212 packet log (starting with ##) nor CSV/XLSX",
        )
        raise ReadError(msg, code="unsupported_format", path=str(path))
    if suffix in (".xlsx", ".xlsm"):
        rows, _, numbers = _xlsx.xlsx_rows(data, path.name, None, glimits.current())
        lines = [i + 1 for i in numbers] if numbers is not None else None
    else:
        rows, lines = _csv_rows(data, path.name, None), None
    return _read_table(rows, lines, path.name)


def _find(headers: list[str], names: tuple[str, ...]) -> int | None:
    wanted = {normalise_header(n) for n in names}
    return next((j for j, h in enumerate(headers) if h in wanted), None)


def _read_table(rows: list[list], lines: list[int] | None, name: str) -> Parsed:
    if not rows:
        raise ReadError(message(f"{name}：文件为空", f"{name}: the file is empty"), path=name)
    headers = [normalise_header(h) if h is not None else "" for h in rows[0]]
    section_col = _find(headers, _SECTION_HEADERS)
    station_col = _find(headers, _STATION_HEADERS)
    time_col = _find(headers, _TIME_HEADERS)
    step_col = _find(headers, _STEP_HEADERS)
    row_flag_col = _find(headers, _FLAG_HEADERS)
    if time_col is None or (section_col is None and station_col is None):
        msg = message(
            f"{name}：需要时间列，以及断面编码列或站点编码（MN）列",
            f"{name}: needs a time column and a section code or station id (MN) column",
        )
        raise ReadError(msg, code="missing_columns", path=name)
    used = {time_col, section_col, station_col, step_col, row_flag_col}
    params: dict[int, str] = {}
    for j, h in enumerate(headers):
        key = parameter_key(h) if j not in used else None
        if key is not None:
            params[j] = key
    flags: dict[str, int] = {}
    for j, h in enumerate(headers):
        for suffix in _FLAG_SUFFIXES:
            base = h.removesuffix(suffix)
            if j not in used and base != h and base and (key := parameter_key(base)) is not None:
                flags[key] = j
                break
    params = {j: k for j, k in params.items() if j not in flags.values()}
    if not params:
        msg = message(
            f"{name}：没有监测项目列（如 氨氮、NH3N、w21003）",
            f"{name}: no parameter columns (such as 氨氮, NH3N, w21003)",
        )
        raise ReadError(msg, code="missing_columns", path=name)
    body = rows[1:]
    numbers = lines[1:] if lines is not None else list(range(2, len(rows) + 1))
    width = len(rows[0])
    table = pd.DataFrame(
        [list(r) + [None] * (width - len(r)) for r in body], columns=range(width), dtype="object"
    )
    if table.empty:
        return Parsed(_empty_parsed())
    table["_line"] = numbers[: len(table)]
    blank_row = table[list(range(width))].isna().all(axis=1)
    table = table[~blank_row.to_numpy()]
    rejected: list[Rejected] = []
    bad = np.zeros(len(table), dtype=bool)

    def reject(mask: np.ndarray, reason_of: object) -> None:
        for i in np.flatnonzero(mask & ~bad):
            rejected.append(Rejected(int(table["_line"].iloc[i]), reason_of(i)))  # type: ignore[operator]
        bad[mask] = True

    raw_time = table[time_col]
    times = _parse_times(raw_time)
    reject(
        times.isna().to_numpy(),
        lambda i: message(
            f"时间 {raw_time.iloc[i]!r} 无法识别", f"time {raw_time.iloc[i]!r} cannot be read"
        ),
    )
    ident_cols = [c for c in (section_col, station_col) if c is not None]
    no_ident = table[ident_cols].isna().all(axis=1).to_numpy()
    reject(no_ident, lambda i: message("缺少断面编码或站点编码", "no section code or station id"))
    if step_col is not None:
        words = table[step_col].map(lambda v: _STEP_WORDS.get(str(v).strip().lower()))
        reject(
            words.isna().to_numpy(),
            lambda i: message(
                f"频次 {table[step_col].iloc[i]!r} 不是 hour/day（小时/日）",
                f"step {table[step_col].iloc[i]!r} is not hour or day",
            ),
        )
        steps = words
    else:
        local = times.dt.tz_convert(BEIJING)
        valid_times = local[times.notna()]
        daily = len(valid_times) > 0 and bool((valid_times == valid_times.dt.normalize()).all())
        steps = pd.Series("day" if daily else "hour", index=table.index)
    values: dict[str, pd.Series] = {}
    for j, key in params.items():
        raw = table[j]
        number = pd.to_numeric(raw.map(_number_text), errors="coerce")
        wrong = (raw.notna() & number.isna()).to_numpy()
        reject(
            wrong,
            lambda i, raw=raw, key=key: message(
                f"{key} 的值 {raw.iloc[i]!r} 不是数字",
                f"{key} value {raw.iloc[i]!r} is not a number",
            ),
        )
        values[key] = number
    flag_values: dict[str, pd.Series] = {}
    for key in params.values():
        col = flags.get(key, row_flag_col)
        flag = (
            table[col].map(lambda v: "N" if v is None else str(v).strip() or "N")
            if col is not None
            else pd.Series("N", index=table.index)
        )
        unknown = ~flag.isin(list(FLAGS)).to_numpy() & values[key].notna().to_numpy()
        reject(
            unknown,
            lambda i, flag=flag, key=key: message(
                f"{key} 的数据标记 {flag.iloc[i]!r} 未知",
                f"{key}: unknown data flag {flag.iloc[i]!r}",
            ),
        )
        flag_values[key] = flag
    keep = ~bad
    parts = []
    for key in params.values():
        present = keep & values[key].notna().to_numpy()
        part = pd.DataFrame(
            {
                "section_code": _text_col(table, section_col)[present],
                "station_mn": _text_col(table, station_col)[present],
                "parameter": key,
                "time": times[present],
                "step": steps[present],
                "value": values[key][present].astype("float64"),
                "flag": flag_values[key][present],
                "line": table["_line"][present].astype("int64"),
            }
        )
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True) if parts else _empty_parsed()
    rejected.sort(key=lambda r: r.line)
    return Parsed(frame, rejected)


def _text_col(table: pd.DataFrame, col: int | None) -> pd.Series:
    if col is None:
        return pd.Series(None, index=table.index, dtype="object")
    return table[col].map(lambda v: None if v is None else _code_text(v))


def _code_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _number_text(v: object) -> object:
    if v is None or isinstance(v, (int, float)):
        return v
    return str(v).strip().replace(",", "")


def _parse_times(raw: pd.Series) -> pd.Series:
    """Beijing times from text (``2023-06-01 13:00``, ``2023/6/1 13:00``, ``20230601130000``)
    or spreadsheet datetimes → UTC; NaT where a time cannot be read."""

    def one(v: object) -> pd.Timestamp | None:
        if v is None:
            return None
        text = str(v).strip()
        try:
            if text.isdigit() and len(text) in (8, 10, 12, 14):
                stamp = pd.to_datetime(text, format="%Y%m%d%H%M%S"[: len(text) - 2])
            else:
                stamp = pd.Timestamp(v if not isinstance(v, str) else text.replace("/", "-"))
        except (ValueError, TypeError):
            return None
        if pd.isna(stamp):
            return None
        return stamp if stamp.tzinfo is None else stamp.tz_convert(BEIJING).tz_localize(None)

    naive = pd.to_datetime(pd.Series([one(v) for v in raw], index=raw.index, dtype="object"))
    return naive.dt.tz_localize(BEIJING).dt.tz_convert("UTC").astype("datetime64[ns, UTC]")


def _empty_parsed() -> pd.DataFrame:
    frame = typed(pd.DataFrame({c: [] for c in READINGS_COLUMNS}))
    return frame.assign(line=pd.Series([], dtype="int64"))


def match_sections(parsed: Parsed, sections: pd.DataFrame) -> tuple[pd.DataFrame, list[Rejected]]:
    """Readings of `parsed` with their section and station, and the readings rejected.

    `sections` is the sections layer (``code``, ``station_mn``). Returns a frame of
    `READINGS_COLUMNS` plus ``line``, one row per station, parameter, step and time (the
    file's last wins), and one `Rejected` per line with an unknown station or section.
    """
    frame = parsed.frame.copy()
    if "section_code" not in frame.columns:
        frame["section_code"] = None
    codes = sections["code"].astype("object")
    mns = (
        sections["station_mn"].astype("object")
        if "station_mn" in sections.columns
        else pd.Series(None, index=sections.index, dtype="object")
    )
    has_mn = mns.notna() & (mns.astype("str").str.strip() != "")
    section_of_mn = dict(zip(mns[has_mn], codes[has_mn], strict=True))
    mn_of_section = dict(zip(codes, mns.where(has_mn, codes), strict=True))
    by_mn = frame["station_mn"].map(section_of_mn)
    given_section = frame["section_code"]
    section = given_section.where(given_section.notna(), by_mn)
    station = frame["station_mn"].where(frame["station_mn"].notna(), section.map(mn_of_section))
    unknown_mn = frame["station_mn"].notna() & by_mn.isna()
    unknown_section = given_section.notna() & ~given_section.isin(set(codes))
    mismatch = given_section.notna() & by_mn.notna() & (given_section != by_mn)
    rejected: list[Rejected] = []
    bad = (unknown_mn | unknown_section | mismatch).to_numpy()
    seen: set[int] = set()
    for i in np.flatnonzero(bad):
        line = int(frame["line"].iloc[i])
        if line in seen:
            continue
        seen.add(line)
        mn, sec = frame["station_mn"].iloc[i], given_section.iloc[i]
        if unknown_section.iloc[i]:
            reason = message(
                f"断面 {sec} 不在断面图层中", f"section {sec} is not in the sections layer"
            )
        elif unknown_mn.iloc[i]:
            reason = message(
                f"站点编码 MN {mn} 不属于任何断面（断面图层的 station_mn）",
                f"station MN {mn} is no section's station_mn",
            )
        else:
            reason = message(
                f"站点 {mn} 属于断面 {by_mn.iloc[i]}，不是 {sec}",
                f"station {mn} belongs to section {by_mn.iloc[i]}, not {sec}",
            )
        rejected.append(Rejected(line, reason))
    bad_lines = {r.line for r in rejected}
    keep = ~frame["line"].isin(bad_lines).to_numpy()
    out = frame.assign(section_code=section, station_mn=station)[keep]
    out = out.drop_duplicates(list(KEY), keep="last")
    result = typed(out).assign(line=out["line"].to_numpy(dtype="int64"))
    return result, rejected
