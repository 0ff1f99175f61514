"""URLs the app hands to browsers, honouring ``server.baseUrlPath`` behind a reverse proxy.

Kept apart from the widgets: `geomon.app.server` is imported when the server starts, before
Streamlit's runtime exists, and must not import modules that declare components then.
"""

from __future__ import annotations

from urllib.parse import quote

import streamlit as st

from geomon import mapview


def base() -> str:
    """The path prefix of the app ("" or "/prefix")."""
    prefix = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return "/" + prefix if prefix else ""


def asset_base() -> str:
    """URL prefix of the vendored map scripts."""
    return base() + mapview.ASSET_BASE


def record_url(lang: str) -> str:
    """The URL template of an outlet's record page (``{id}`` is the outlet code)."""
    return f"{base()}/outlet?outlet={{id}}" + ("&lang=en" if lang == "en" else "")


def section_record_url(lang: str) -> str:
    """The URL template of a section's record page (``{id}`` is the section code)."""
    return f"{base()}/section?code={{id}}" + ("&lang=en" if lang == "en" else "")


def problem_record_url(lang: str) -> str:
    """The URL template of a problem's page (``{id}`` is the problem id)."""
    return f"{base()}/problem?problem={{id}}" + ("&lang=en" if lang == "en" else "")


def _lang(lang: str) -> str:
    return "&lang=en" if lang == "en" else ""


def outlet_url(code: str, lang: str) -> str:
    """An outlet's record page (一口一档)."""
    return f"{base()}/outlet?outlet={quote(code)}{_lang(lang)}"


def section_url(code: str, lang: str) -> str:
    """A section's record page (planned: ``/section?code=CODE``; change it here only)."""
    return f"{base()}/section?code={quote(code)}{_lang(lang)}"


def feature_url(layer: str, code: str, lang: str) -> str | None:
    """The record page of a feature of `layer` (outlets and sections have one)."""
    if layer == "outlets":
        return outlet_url(code, lang)
    if layer == "sections":
        return section_url(code, lang)
    return None


def map_url(code: str, lang: str) -> str:
    """The map (一张图) searched for `code`, so it opens on that feature (``?q=`` seeds the
    map's search box)."""
    return f"{base()}/map?q={quote(code)}{_lang(lang)}"


def alerts_url(lang: str) -> str:
    """The 预警 page."""
    return f"{base()}/alerts" + ("?lang=en" if lang == "en" else "")
