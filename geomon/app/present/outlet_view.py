"""What the outlet record (一口一档) shows besides its fields: zones around it, sections below,
its attachments.

Pure functions over layers; the rules are the library's (`geomon.analysis.compliance.outlet_flags`
for
protection zones and red lines, `geomon.analysis.tracing.upstream_outlets` for the river network).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import geopandas as gpd
import pandas as pd

from geomon import times
from geomon.analysis import compliance, tracing
from geomon.app import i18n
from geomon.errors import TracingError
from geomon.specs import get_spec

DOWNSTREAM_COLUMNS = ("outlet_code", "section_code", "section_name", "control_level", "distance_m")


def zone_rows(
    outlet: gpd.GeoDataFrame, layers: Mapping[str, pd.DataFrame], lang: str = "zh"
) -> list[tuple[str, str, str, str]]:
    """(kind, code, name, note) for each protection zone, red line and control unit it lies in."""
    zones, red_lines, units = (
        layers.get(n) for n in ("protection_zones", "red_lines", "control_units")
    )
    flags = compliance.outlet_flags(
        outlet,
        zones=zones if zones is not None and len(zones) else None,
        red_lines=red_lines if red_lines is not None and len(red_lines) else None,
    ).iloc[0]
    zone, red_line, unit = (i18n.t(f"outlet.{k}", lang) for k in ("zone", "red_line", "unit"))
    rows: list[tuple[str, str, str, str]] = []
    if zones is not None and flags["zone_codes"]:
        inside = zones[zones["code"].astype(str).isin(str(flags["zone_codes"]).split("、"))]
        for _, z in inside.iterrows():
            note = flags["zone_article"] if flags["zone_illegal"] else (flags["zone_article"] or "")
            rows.append(
                (zone, str(z["code"]),
                 f"{z.get('source_name') or ''} {_enum('protection_zones', z, 'level', lang)}"
                 .strip(), str(note or ""))
            )  # fmt: skip
    if red_lines is not None and flags["in_red_line"]:
        inside = red_lines[
            red_lines["code"].astype(str).isin(str(flags["red_line_codes"]).split("、"))
        ]
        for _, r in inside.iterrows():
            rows.append(
                (red_line, str(r["code"]), str(r["name"]),
                 str(flags["red_line_rule"] or ""))
            )  # fmt: skip
    if units is not None and len(units):
        point = outlet.geometry.iloc[0]
        for _, u in units[units.intersects(point)].iterrows():
            rows.append(
                (unit, str(u["code"]), str(u["name"]),
                 _enum("control_units", u, "unit_type", lang))
            )  # fmt: skip
    return rows


def _enum(layer: str, row: pd.Series, field: str, lang: str) -> str:
    """`row`'s value of enum `field` as its label in `lang` ("" if missing)."""
    value = row.get(field)
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    spec = get_spec(layer)
    return spec.field(field).value_label(value, lang) if field in spec.field_names else str(value)


def downstream_sections(
    rivers: gpd.GeoDataFrame,
    sections: gpd.GeoDataFrame,
    outlets: gpd.GeoDataFrame,
    *,
    km: float = tracing.DEFAULT_KM,
) -> pd.DataFrame:
    """
    For every outlet, the sections it lies upstream of within `km` along the river.

    The reverse of `geomon.analysis.tracing.upstream_outlets`, run once per section on one network.
    Sections off the river network (lake sections) are skipped. Nearest section first.
    """
    rows: list[dict[str, object]] = []
    if len(rivers) and len(sections) and len(outlets):
        network = tracing.build_network(rivers)
        for _, section in sections.iterrows():
            try:
                found = tracing.upstream_outlets(
                    section["code"], rivers=rivers, sections=sections, outlets=outlets,
                    km=km, network=network,
                )  # fmt: skip
            except TracingError:
                continue
            hits = found.outlets
            rows += [
                {"outlet_code": code, "section_code": section["code"],
                 "section_name": section.get("name"), "control_level": section.get("control_level"),
                 "distance_m": float(dist)}
                for code, dist in zip(hits["code"], hits["distance_m"], strict=True)
            ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=list(DOWNSTREAM_COLUMNS))
    return frame.sort_values(["outlet_code", "distance_m"], kind="stable").reset_index(drop=True)


LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})
"""Hosts a code on paper cannot reach: a link to them is no link."""


def record_link(
    code: str,
    *,
    page_url: str | None,
    public_url: str | None = None,
    page: str = "outlet",
    param: str = "outlet",
) -> str | None:
    """The URL of the outlet's record (``…/outlet?outlet=CODE``), for the QR code; or None.

    `page` and `param` name another record page (the section's: ``section``, ``code``).

    `public_url` (``GEOMON_PUBLIC_URL``, the app's address as people reach it) wins. Without it
    the page the user is on serves, unless that is this machine itself (``localhost``,
    ``127.0.0.1``…) or unknown: a printed code to it would open nothing, so there is no link
    and the sheet says the setting is missing.
    """
    query = f"{param}=" + quote(code, safe="")
    if public_url:
        return f"{public_url.rstrip('/')}/{page}?{query}"
    parts = urlsplit(page_url or "")
    if not parts.hostname or parts.hostname.lower() in LOOPBACK_HOSTS:
        return None
    base = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))
    return urljoin(base, page) + "?" + query


# ------------------------------------------------------------------------------- attachments

_SEPARATORS = re.compile(r"[；\r\n]+")  # "；" or line breaks, as the outlets spec describes
# an http(s) URL: ASCII URL characters only, so "见https://x.cn/a.pdf（方案）" ends at "（"
_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%]+", re.IGNORECASE)
_TRAILING = ".,;:!?)"  # sentence punctuation after a URL is not part of it


class Attachment(NamedTuple):
    """One reference to a document: its text, and the http(s) URL in it if there is one."""

    text: str
    url: str | None = None


def _web_url(text: str) -> str | None:
    """The first http(s) URL with a host in `text`, without trailing punctuation; else None."""
    found = _URL.search(text)
    if found is None:
        return None
    url = found.group(0).rstrip(_TRAILING)
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def attachments(value: Any) -> list[Attachment]:
    """Split an outlet's ``attachments`` field into references (blank or missing: none).

    Items are separated by "；" or line breaks. Only an ``http://`` or ``https://`` URL makes an
    item a link: file names, archive numbers and anything else (``javascript:``, ``file:``) stay
    text.

    >>> [a.url for a in attachments("整治方案.pdf；监测报告 https://hb.example.cn/r?id=7。")]
    [None, 'https://hb.example.cn/r?id=7']
    """
    if value is None or not isinstance(value, str):
        return []
    items = (part.strip() for part in _SEPARATORS.split(value))
    return [Attachment(item, _web_url(item)) for item in items if item]


def attachments_html(items: list[Attachment]) -> str:
    """A ``<ul>`` of `items`: links open in a new tab; every text and URL is HTML-escaped."""
    rows = []
    for item in items:
        text = html.escape(item.text)
        if item.url is not None:
            href = html.escape(item.url, quote=True)
            text = f'<a href="{href}" target="_blank" rel="noopener noreferrer">{text}</a>'
        rows.append(f"<li>{text}</li>")
    return f'<ul class="geomon-attachments">{"".join(rows)}</ul>'


# ------------------------------------------------------------------------------- history

HISTORY_COLUMNS = ("revision", "at", "user", "source", "op", "field", "old", "new")


def readable_history(history: pd.DataFrame, layer: str, lang: str = "zh") -> pd.DataFrame:
    """`Store.history` rows for people: 新增/修改/删除, field labels, values only for updates.

    An insert or delete records the whole row as JSON; the record already shows those values,
    so the cell is left blank rather than showing the JSON.
    """
    spec = get_spec(layer)
    names = set(spec.field_names)
    out = history[[c for c in HISTORY_COLUMNS if c in history.columns]].copy()
    whole_row = out["op"] != "update"
    out.loc[whole_row, ["old", "new"]] = None
    out["field"] = [spec.field(f).label.get(lang) if f in names else f for f in out["field"]]
    out["op"] = [i18n.t(f"history.op.{op}", lang) for op in out["op"]]
    if "at" in out.columns:  # UTC with microseconds in the store; Beijing to the minute on screen
        out["at"] = out["at"].map(times.beijing)
    return out.reset_index(drop=True)
