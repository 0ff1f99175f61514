"""HJ 212-2017 packet logs (geomon.monitoring.hj212): framing, CRC, length, readings.

Packets are typed out here and framed with the test's own CRC (`hjhelp.crc_hj212`, written from
DOMAIN.md §6.3), never with geomon's. DataTime is Beijing time: 2023-06-01 08:00 is 00:00 UTC.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hjhelp import STANDARD_CRC, STANDARD_SEGMENT, crc_hj212, framed, hourly

from geomon.monitoring import hj212

UTC = "UTC"


def test_test_crc_matches_the_standards_example() -> None:
    # the test's own CRC and geomon's both give the standard's example CRC (附录 C: 1C80)
    assert crc_hj212(STANDARD_SEGMENT.encode()) == STANDARD_CRC
    assert hj212.crc16(STANDARD_SEGMENT.encode()) == STANDARD_CRC
    assert len(STANDARD_SEGMENT) == 101  # the example's length field is 0101


def test_the_standards_example_packet_is_sound_and_skipped_as_not_readings() -> None:
    parsed = hj212.parse(framed(STANDARD_SEGMENT).encode())
    assert parsed.rejected == []
    assert parsed.skipped == 1  # CN 1062 (set the real-time interval) is no reading
    assert parsed.frame.empty


def test_hourly_and_daily_packets_become_readings() -> None:
    text = framed(
        hourly(
            "ST01",
            "20230601080000",
            "w21003-Avg=0.52,w21003-Flag=N;w01009-Avg=6.1,w01009-Flag=M;"
            "w01010-Avg=25.3;w01014-Avg=350,w01014-Flag=N",  # WT without flag; conductivity
        )
    ) + framed(hourly("ST01", "20230601000000", "w21011-Avg=0.081,w21011-Flag=N", cn="2031"))
    parsed = hj212.parse(text.encode())

    assert parsed.rejected == []
    f = parsed.frame
    assert list(f["parameter"]) == ["NH3N", "DO", "WT", "TP"]  # w01014 is no monitoring field
    assert list(f["value"]) == [0.52, 6.1, 25.3, 0.081]
    assert list(f["flag"]) == ["N", "M", "N", "N"]  # a missing -Flag reads as N
    assert list(f["step"]) == ["hour", "hour", "hour", "day"]
    assert list(f["line"]) == [1, 1, 1, 2]
    assert list(f["time"]) == [
        pd.Timestamp("2023-06-01 00:00", tz=UTC),  # 08:00 Beijing
        pd.Timestamp("2023-06-01 00:00", tz=UTC),
        pd.Timestamp("2023-06-01 00:00", tz=UTC),
        pd.Timestamp("2023-05-31 16:00", tz=UTC),  # the Beijing day 1 June starts here
    ]
    assert str(f["time"].dtype) == "datetime64[ns, UTC]"
    assert set(f["station_mn"]) == {"ST01"}


def test_back_to_back_packets_and_blank_lines_keep_their_line_numbers() -> None:
    p = [framed(hourly("ST01", f"202306010{h}0000", f"w21003-Avg=0.{h}")) for h in (1, 2, 3)]
    parsed = hj212.parse((p[0] + p[1] + "\r\n\r\n" + p[2]).encode())
    assert parsed.rejected == []
    assert list(parsed.frame["line"]) == [1, 2, 5]
    assert list(parsed.frame["value"]) == [0.1, 0.2, 0.3]


def test_crc_broken_and_length_broken_packets_are_rejected_with_their_line() -> None:
    good = framed(hourly("ST01", "20230601080000", "w21003-Avg=0.52,w21003-Flag=N"))
    crc_broken = good.replace("0.52", "0.62")  # same length, old CRC
    segment = hourly("ST01", "20230601100000", "w21003-Avg=0.55,w21003-Flag=N")
    length_broken = framed(segment).replace(f"##{len(segment):04d}", f"##{len(segment) + 3:04d}")
    last = framed(hourly("ST01", "20230601110000", "w21003-Avg=0.58,w21003-Flag=N"))
    text = good + crc_broken + length_broken + "hello, not a packet\r\n" + last

    parsed = hj212.parse(text.encode())

    assert [r.line for r in parsed.rejected] == [2, 3, 4]
    assert "CRC mismatch" in parsed.rejected[0].reason
    want = format(crc_hj212(crc_broken[6:-6].encode()), "04X")
    assert f"data gives {want}" in parsed.rejected[0].reason
    assert "length" in parsed.rejected[1].reason
    assert "not an HJ 212 packet" in parsed.rejected[2].reason
    assert list(parsed.frame["value"]) == [0.52, 0.58]  # nothing of a bad packet is read
    assert list(parsed.frame["line"]) == [1, 5]


@pytest.mark.parametrize(
    ("items", "data_time", "reason"),
    [
        pytest.param("w21003-Avg=abc", "20230601080000", "is not a number", id="bad-value"),
        pytest.param("w21003-Avg=0.5", "20230601083000", "not the start of an hour", id="off-hour"),
        pytest.param("w21003-Avg=0.5", "20230631080000", "is not a yyyyMMddHHmmss", id="no-date"),
        pytest.param(
            "w21003-Avg=0.5,w21003-Flag=X", "20230601080000", "unknown data flag", id="flag"
        ),
    ],
)
def test_a_bad_packet_is_rejected_whole(items: str, data_time: str, reason: str) -> None:
    segment = hourly("ST01", data_time, items + ";w01009-Avg=6.0")
    parsed = hj212.parse(framed(segment).encode())
    assert len(parsed.rejected) == 1
    assert parsed.rejected[0].line == 1
    assert reason in parsed.rejected[0].reason
    assert parsed.frame.empty  # the DO of the same packet is not read either


def test_other_commands_are_skipped_not_rejected() -> None:
    realtime = framed(hourly("ST01", "20230601080510", "w21003-Rtd=0.5", cn="2011"))
    parsed = hj212.parse(realtime.encode())
    assert (parsed.skipped, parsed.rejected, len(parsed.frame)) == (1, [], 0)


def test_packet_builds_what_the_test_frames() -> None:
    segment = hourly("ST01", "20230601080000", "w21003-Avg=0.52,w21003-Flag=N")
    assert hj212.packet(segment) == framed(segment)
