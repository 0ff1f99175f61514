"""URLs the app hands to browsers, honouring ``server.baseUrlPath`` behind a reverse proxy.

Kept apart from the widgets: `geomon.app.server` is imported when the server starts, before
Streamlit's runtime exists, and must not import modules that declare components then.
"""

from __future__ import annotations

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
