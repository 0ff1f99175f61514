"""HJ 212 packets for tests, framed by a CRC written here from DOMAIN.md §6.3 (not geomon's)."""

from __future__ import annotations

# The example packet of HJ 212-2017 附录 C as quoted by several public parsers (V-3p).
STANDARD_SEGMENT = (
    "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
    "CP=&&RtdInterval=30&&"
)
STANDARD_CRC = 0x1C80


def crc_hj212(data: bytes) -> int:
    """CRC as DOMAIN.md §6.3 states it: register 0xFFFF; per byte, register = (register >> 8)
    XOR byte; then eight times: note the low bit, shift right, XOR 0xA001 if it was set."""
    register = 0xFFFF
    for byte in data:
        register = (register >> 8) ^ byte
        for _ in range(8):
            carry = register & 0x0001
            register >>= 1
            if carry:
                register ^= 0xA001
    return register


def framed(segment: str) -> str:
    """``##`` + 4-digit byte length + segment + CRC (upper-case hex) + CRLF."""
    raw = segment.encode("utf-8")
    return "##" + str(len(raw)).zfill(4) + segment + format(crc_hj212(raw), "04X") + "\r\n"


def hourly(mn: str, data_time: str, items: str, cn: str = "2061") -> str:
    """A data segment typed out the way platforms send it."""
    head = f"QN={data_time}000;ST=21;CN={cn};PW=123456;MN={mn};Flag=4"
    return f"{head};CP=&&DataTime={data_time};{items}&&"
