"""HJ 212-2017 packet logs → readings (污染物在线监控（监测）系统数据传输标准).

A packet is ``##`` + 4-digit decimal length of the data segment + data segment + CRC (4
upper-case hex digits) + CRLF (shared/DOMAIN.md §6.3). Data platforms save them one per line or
back to back; `parse` reads either, checks each packet's length and CRC, and reads hourly
(CN 2061) and daily (CN 2031) data: ``MN`` (station id), ``DataTime`` (Beijing time), and per
factor ``<code>-Avg`` with ``<code>-Flag``. Codes are the monitoring layer's aliases
(``w21003`` → ``NH3N``); a code the layer does not know is left out, and packets of other
commands (real-time 2011, minute 2051, replies) are skipped, not rejected. A missing
``-Flag`` reads as ``N``.

A bad packet (length, CRC, structure, time, value) is rejected whole with the 1-based line it
starts on and the reason; the rest is read. The byte length is of the data segment as sent
(ASCII in practice; UTF-8 otherwise).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geomon.errors import ReadingsError
from geomon.messages import message
from geomon.monitoring import BEIJING, COMMAND_STEPS, FLAGS
from geomon.monitoring.parameters import hj212_codes

_LENGTH = re.compile(rb"\d{4}")
_CRC = re.compile(rb"[0-9A-Fa-f]{4}")
_DATATIME = re.compile(r"\d{14}")
_BLANK = b" \t\r\n"


@dataclass(frozen=True, slots=True)
class Rejected:
    """One packet or row that was not read: its 1-based line and why."""

    line: int
    reason: str


@dataclass(slots=True)
class Parsed:
    """Readings read from one file (no section yet) and what was rejected or skipped.

    `frame` has ``station_mn, parameter, time, step, value, flag, line`` (plus ``section_code``
    when the file names sections); `skipped` counts packets of commands that are not readings.
    """

    frame: pd.DataFrame
    rejected: list[Rejected] = field(default_factory=list)
    skipped: int = 0


def crc16(data: bytes) -> int:
    """The HJ 212 CRC of `data`: start 0xFFFF; per byte ``crc = (crc >> 8) ^ b``, then 8 times
    shift right, xor 0xA001 when the bit shifted out was 1 (DOMAIN.md §6.3)."""
    crc = 0xFFFF
    for b in data:
        crc = (crc >> 8) ^ b
        for _ in range(8):
            lsb = crc & 1
            crc >>= 1
            if lsb:
                crc ^= 0xA001
    return crc


def _round_table() -> np.ndarray:
    """The eight shift/xor rounds of `crc16` for every register value below 256.

    The rounds are linear over GF(2) and a register's high byte just shifts down, so after
    ``crc = (crc >> 8) ^ b`` (always below 256) one lookup does all eight rounds."""
    table = np.zeros(256, dtype=np.uint16)
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table[i] = crc
    return table


_TABLE = _round_table()


def crc16_many(segments: list[bytes]) -> np.ndarray:
    """`crc16` of many data segments at once: one numpy step per byte position, for all
    segments of one length together (a log's packets have a handful of lengths)."""
    out = np.zeros(len(segments), dtype=np.int64)
    by_length: dict[int, list[int]] = {}
    for i, seg in enumerate(segments):
        by_length.setdefault(len(seg), []).append(i)
    for size, idx in by_length.items():
        block = np.frombuffer(b"".join(segments[i] for i in idx), dtype=np.uint8)
        block = block.reshape(len(idx), size)
        crc = np.full(len(idx), 0xFFFF, dtype=np.uint16)
        for j in range(size):
            crc = _TABLE[(crc >> 8) ^ block[:, j]]
        out[idx] = crc
    return out


def packet(segment: str) -> str:
    """A whole packet around data segment `segment`: ``##`` + length + segment + CRC + CRLF."""
    raw = segment.encode("utf-8")
    return f"##{len(raw):04d}{segment}{crc16(raw):04X}\r\n"


def segment(
    mn: str,
    when: pd.Timestamp,
    values: dict[str, tuple[float, str]],
    *,
    cn: str = "2061",
    st: str = "21",
    qn: str | None = None,
) -> str:
    """A data segment of hourly (CN 2061) or daily (2031) data: `values` maps HJ 212 factor
    code → (value, flag); `when` is the Beijing time of the hour or day (naive or aware)."""
    stamp = pd.Timestamp(when)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(BEIJING).tz_localize(None)
    data_time = stamp.strftime("%Y%m%d%H%M%S")
    items = ";".join(f"{c}-Avg={v:g},{c}-Flag={f}" for c, (v, f) in values.items())
    qn = qn or data_time + "000"
    return f"QN={qn};ST={st};CN={cn};PW=123456;MN={mn};Flag=4;CP=&&DataTime={data_time};{items}&&"


def parse(data: bytes) -> Parsed:
    """Read every packet of an HJ 212 log (see the module docstring)."""
    counted, line = 0, 1  # the 1-based line of offset `counted`, kept as the scan moves on

    def line_of(pos: int) -> int:
        nonlocal counted, line
        line += data.count(b"\n", counted, pos)
        counted = pos
        return line

    # per packet: MN, DataTime, step, line and how many items; per item: parameter, value, flag
    packet_rows: dict[str, list] = {k: [] for k in ("station_mn", "dt", "step", "line", "n")}
    item_rows: dict[str, list] = {k: [] for k in ("parameter", "value", "flag")}
    rejected: list[Rejected] = []
    packets: list[tuple[int, bytes, int]] = []  # (line, data segment, CRC it claims)
    skipped = 0
    pos, n = 0, len(data)
    while pos < n:
        while pos < n and data[pos] in _BLANK:
            pos += 1
        if pos >= n:
            break
        start, at_line = pos, line_of(pos)
        if data[pos : pos + 2] != b"##":
            stop = data.find(b"##", pos)
            eol = data.find(b"\n", pos)
            ends = [e for e in (stop, eol + 1 if eol >= 0 else -1) if e > pos]
            pos = min(ends) if ends else n
            rejected.append(Rejected(at_line, _text("no_packet")))
            continue
        problem, end, seg, claimed = _frame_packet(data, start)
        if problem is not None:
            rejected.append(Rejected(at_line, problem))
            eol = data.find(b"\n", start)  # a packet ends with CRLF: go on after this line
            pos = eol + 1 if eol >= 0 else n
            continue
        pos = end
        packets.append((at_line, seg, claimed))
    sums = crc16_many([seg for _, seg, _ in packets])
    for (where, seg, claimed), actual in zip(packets, sums.tolist(), strict=True):
        if claimed != actual:
            rejected.append(
                Rejected(where, _text("crc", got=f"{claimed:04X}", want=f"{actual:04X}"))
            )
            continue
        try:
            reading = _read_segment(seg.decode("utf-8"))
        except (UnicodeDecodeError, ReadingsError) as exc:
            reason = str(exc) if isinstance(exc, ReadingsError) else _text("not_text")
            rejected.append(Rejected(where, reason))
            continue
        if reading is None:
            skipped += 1
            continue
        mn, data_time, step, items = reading
        packet = (mn, data_time, step, where, len(items))
        for column, value in zip(packet_rows.values(), packet, strict=True):
            column.append(value)
        for column, values in zip(item_rows.values(), zip(*items, strict=True), strict=False):
            column.extend(values)
    rejected.sort(key=lambda r: r.line)
    return Parsed(_frame(packet_rows, item_rows), rejected, skipped)


def _frame(packets: dict[str, list], items: dict[str, list]) -> pd.DataFrame:
    """The readings frame: each packet's fields repeated for its items (numpy, not per item)."""
    counts = np.asarray(packets["n"], dtype=np.int64)

    def each(column: str, dtype: str) -> pd.Series:
        return pd.Series(np.repeat(np.asarray(packets[column], dtype=dtype), counts), dtype=dtype)

    return pd.DataFrame(
        {
            "station_mn": each("station_mn", "object"),
            "parameter": pd.Series(items["parameter"], dtype="object"),
            "time": _beijing_to_utc(each("dt", "object")),
            "step": each("step", "object"),
            "value": pd.Series(items["value"], dtype="float64"),
            "flag": pd.Series(items["flag"], dtype="object"),
            "line": each("line", "int64"),
        }
    )


def _beijing_to_utc(texts: pd.Series) -> pd.Series:
    """``yyyyMMddHHmmss`` Beijing times as UTC; each distinct text converted once (a log
    repeats every hour once per station and parameter)."""
    codes, distinct = pd.factorize(texts)
    naive = pd.to_datetime(pd.Series(distinct, dtype="object"), format="%Y%m%d%H%M%S")
    utc = naive.dt.tz_localize(BEIJING).dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    return utc.take(codes).reset_index(drop=True)


def _frame_packet(data: bytes, start: int) -> tuple[str | None, int, bytes, int]:
    """(problem or None, end offset after the CRLF, data segment, CRC it claims) of the packet
    at `start`; the CRC itself is checked for all packets at once (`crc16_many`)."""
    length = data[start + 2 : start + 6]
    if not _LENGTH.fullmatch(length):
        return _text("bad_length_field", length=length.decode("latin-1")), start, b"", 0
    size = int(length)
    body = start + 6
    seg = data[body : body + size]
    crc = data[body + size : body + size + 4]
    after = body + size + 4
    if data[after : after + 2] == b"\r\n":
        end = after + 2
    elif data[after : after + 1] == b"\n" or after == len(data):
        end = after + (1 if after < len(data) else 0)
    else:
        end = -1
    if len(seg) != size or not _CRC.fullmatch(crc) or end < 0:
        return _text("length_mismatch", length=size), start, b"", 0
    return None, end, seg, int(crc, 16)


_ITEM = re.compile(r"([A-Za-z0-9]+)-(Avg|Flag)=([^,;]*)")
_TIME_FIELD = re.compile(r"(?:^|;)DataTime=([^;,]*)")


@functools.lru_cache(maxsize=65536)
def _is_time(text: str) -> bool:
    """Whether ``yyyyMMddHHmmss`` text is a real time (cached: a log repeats its hours)."""
    try:
        dt.datetime.strptime(text, "%Y%m%d%H%M%S")
    except ValueError:
        return False
    return True


def _read_segment(seg: str) -> tuple[str, str, str, list[tuple[str, float, str]]] | None:
    """(MN, DataTime text, step, [(parameter, value, flag)]) of one data segment, None when its
    command is not hourly or daily data; `ReadingsError` with the reason when it cannot be read."""
    head, sep, rest = seg.partition("CP=&&")
    cp, sep2, _ = rest.partition("&&")
    if not sep or not sep2:
        raise ReadingsError(_text("no_cp"))
    fields = dict(kv.split("=", 1) for kv in head.split(";") if "=" in kv)
    step = COMMAND_STEPS.get(fields.get("CN", ""))
    if step is None:
        return None
    mn = fields.get("MN", "").strip()
    if not mn:
        raise ReadingsError(_text("no_mn"))
    found = _TIME_FIELD.search(cp)
    data_time = found.group(1).strip() if found else ""
    if not _DATATIME.fullmatch(data_time) or not _is_time(data_time):
        raise ReadingsError(_text("bad_time", value=data_time))
    if data_time[10 if step == "hour" else 8 :].strip("0"):
        raise ReadingsError(_text("not_on_step", value=data_time, step=step))
    averages: dict[str, str] = {}
    flags: dict[str, str] = {}
    for code, kind, value in _ITEM.findall(cp):
        (averages if kind == "Avg" else flags)[code] = value.strip()
    codes = hj212_codes()
    items = []
    for code, v in averages.items():
        key = codes.get(code.lower())
        if key is None:
            continue
        try:
            number = float(v)
        except ValueError as exc:
            raise ReadingsError(_text("bad_value", field=f"{code}-Avg", value=v)) from exc
        flag = flags.get(code) or "N"
        if flag not in FLAGS:
            raise ReadingsError(_text("bad_flag", field=f"{code}-Flag", value=flag))
        items.append((key, number, flag))
    return mn, data_time, step, items


_TEXTS = {
    "no_packet": ("不是 HJ 212 数据包（缺少 ##）", "not an HJ 212 packet (no ##)"),
    "not_text": ("数据段不是文本", "the data segment is not text"),
    "bad_length_field": (
        "长度字段 {length!r} 不是 4 位数字",
        "length field {length!r} is not 4 digits",
    ),
    "length_mismatch": (
        "长度 {length} 与数据包不符（数据段、CRC 或结尾 CRLF 不在应在的位置）",
        "length {length} does not match the packet (segment, CRC or CRLF not where it says)",
    ),
    "crc": (
        "CRC 校验失败：包内为 {got}，计算得 {want}",
        "CRC mismatch: packet says {got}, data gives {want}",
    ),
    "no_cp": ("缺少 CP=&&…&& 数据区", "no CP=&&…&& data area"),
    "no_mn": ("缺少 MN（站点编码）", "no MN (station id)"),
    "bad_time": (
        "DataTime {value!r} 不是 yyyyMMddHHmmss 时间",
        "DataTime {value!r} is not a yyyyMMddHHmmss time",
    ),
    "not_on_step": (
        "DataTime {value} 不是整{step}",
        "DataTime {value} is not the start of an {step}",
    ),
    "bad_value": ("{field} 的值 {value!r} 不是数字", "{field} value {value!r} is not a number"),
    "bad_flag": ("{field} 的数据标记 {value!r} 未知", "{field}: unknown data flag {value!r}"),
}


def _text(code: str, **kw: object) -> str:
    zh, en = _TEXTS[code]
    if "step" in kw:  # 整点 / 整日
        return message(
            zh.format(**{**kw, "step": "点" if kw["step"] == "hour" else "日"}), en.format(**kw)
        )
    return message(zh.format(**kw), en.format(**kw))
