"""The demo's automatic stations: one month (June 2023) of hourly HJ 212 data as a packet log.

Every section with an automatic station (``auto_station``) has a station id ``station_mn``
(`STATION_MN`) and sends one CN 2061 packet an hour with pH, DO, CODMn, NH3-N and TP (and TN at
the lake), around the section's designed June level with a daily cycle. Planted, for the
alerts and the import checks (data/README.md lists them):

- `SPIKE`: 氨氮 at JHGK02 (target Ⅲ) above the Ⅲ limit for four hours on 14 June;
- `MAINTENANCE`: JHGK03 flagged M (维护) 09:00–12:00 on 20 June, then no packets 13:00–16:00;
- `BROKEN`: one packet of JHGK04 whose CRC does not match (an import rejects it, with its line).

Its own generator (`SEED` + 212), so the other demo layers do not change with it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geomon.demo import tables
from geomon.monitoring import hj212

LOG_NAME = "demo_hj212_2023-06.txt"
MONTH = pd.Timestamp(2023, 6, 1)  # Beijing time
CODES = {"pH": "w01001", "DO": "w01009", "CODMn": "w01019", "NH3N": "w21003", "TP": "w21011"}
LAKE_CODES = {"TN": "w21001"}
SPIKE = ("JHGK02", "NH3N", pd.Timestamp(2023, 6, 14, 2), (1.32, 1.62, 1.38, 1.12))
MAINTENANCE = ("JHGK03", pd.Timestamp(2023, 6, 20, 9), 4, 4)  # M hours, then hours missing
BROKEN = ("JHGK04", pd.Timestamp(2023, 6, 18, 10))
_JUNE = 5  # index of June in the seasonal factors


def station_mn(code: str) -> str:
    """The demo station id of section `code` (``JHGK01`` → ``4299JHGK01``)."""
    return f"4299{code}"


STATION_MN = {
    code: station_mn(code) for code, *_rest, auto in tables.SECTIONS if auto
}  # fmt: skip


def _level(code: str, item: str) -> float:
    means = dict(zip(tables.MEAN_ITEMS, tables.MEANS[code], strict=True))
    if item == "TN":
        return tables.BASE["TN"] * tables.MODEL["TN"][2][_JUNE]
    if item == "pH":
        return means["pH"] + 0.05
    if code == "JHGK02" and item == "NH3N":
        return tables.GK02_NH3N[_JUNE]
    return means[item] * tables.MODEL[item][2][_JUNE]


def _decimals(item: str) -> int:
    return {"pH": 2, "DO": 2, "CODMn": 2, "NH3N": 3, "TP": 3, "TN": 2}[item]


def hourly_values(rng: np.random.Generator) -> pd.DataFrame:
    """Section, hour (Beijing), parameter, value, flag of every June reading before planting."""
    hours = pd.date_range(MONTH, periods=30 * 24, freq="h")
    cycle = np.sin(2 * np.pi * (hours.hour.to_numpy() - 9) / 24)  # DO and pH peak mid-afternoon
    rows = []
    for code, *_, auto in tables.SECTIONS:
        if not auto:
            continue
        items = {**CODES, **(LAKE_CODES if code == "JHGK05" else {})}
        for item in items:
            base = _level(code, item)
            noise = rng.normal(0.0, 0.05, len(hours))
            if item == "pH":
                v = base + 0.15 * cycle + 0.05 * noise
            elif item == "DO":
                v = base * (1 + 0.08 * cycle + noise)
            else:
                v = base * np.exp(noise - 0.03 * cycle)
            v = np.round(v, _decimals(item))
            rows.append(
                pd.DataFrame(
                    {"section": code, "hour": hours, "parameter": item, "value": v, "flag": "N"}
                )
            )
    frame = pd.concat(rows, ignore_index=True)
    sec, item, start, spike = SPIKE
    for k, value in enumerate(spike):
        at = (frame["section"] == sec) & (frame["parameter"] == item)
        frame.loc[at & (frame["hour"] == start + pd.Timedelta(hours=k)), "value"] = value
    sec, start, flagged, missing = MAINTENANCE
    here = frame["section"] == sec
    off = (frame["hour"] - start) / pd.Timedelta(hours=1)
    frame.loc[here & (off >= 0) & (off < flagged), "flag"] = "M"
    gone = here & (off >= flagged) & (off < flagged + missing)
    return frame[~gone.to_numpy()].reset_index(drop=True)


def packet_log(rng: np.random.Generator) -> str:
    """The June log: one packet per station and hour, in time order, `BROKEN` with a bad CRC."""
    frame = hourly_values(rng)
    codes = {**CODES, **LAKE_CODES}
    lines = []
    for (hour, section), group in frame.groupby(["hour", "section"], sort=True):
        values = {
            codes[p]: (v, f)
            for p, v, f in zip(group["parameter"], group["value"], group["flag"], strict=True)
        }
        text = hj212.packet(hj212.segment(STATION_MN[section], hour, values))
        if (section, hour) == BROKEN:
            good = text[-6:-2]
            text = text[:-6] + ("0000" if good != "0000" else "FFFF") + "\r\n"
        lines.append(text)
    return "".join(lines)
