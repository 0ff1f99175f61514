"""A large "use my location" button: the browser's geolocation, only when the user grants it.

A Streamlit component (``geolocate_web/index.html``, plain JavaScript, nothing fetched) that
returns ``{"lon", "lat", "accuracy"}`` (WGS84 degrees, metres) once the user pressed it and the
browser answered, ``{"error"}`` when it refused or failed, and None before. Browsers give a
position only on HTTPS or localhost.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit.components.v1 as components

_component = components.declare_component(
    "geomon_geolocate", path=str(Path(__file__).with_name("geolocate_web"))
)


def locate(label: str, *, key: str) -> dict[str, Any] | None:
    """Show the button; return the last answer of the browser (see the module docstring)."""
    value = _component(label=label, key=key, default=None)
    return value if isinstance(value, dict) else None
