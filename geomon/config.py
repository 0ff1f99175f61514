"""Runtime settings, read once from the environment into a frozen `Settings`.

Settings are passed explicitly; nothing in geomon mutates global configuration.

Environment variables
---------------------
GEOMON_STORE      store URL: a GeoPackage path or ``postgresql://…`` (default: data/demo.gpkg)
GEOMON_LANG       UI language, ``zh`` (default) or ``en``
GEOMON_BASEMAP    ``none`` (default, works offline), ``osm``, ``tianditu``, ``amap``, or a
                  URL template
GEOMON_MAX_UPLOAD_MB   largest accepted upload in MiB (default 200)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEMO_STORE = PROJECT_DIR / "data" / "demo.gpkg"


@dataclass(frozen=True, slots=True)
class Settings:
    """Where the data lives and how the app looks; immutable."""

    store_url: str = str(DEMO_STORE)
    lang: str = "zh"
    basemap: str = "none"
    max_upload_mb: int = 200


def from_env(env: dict[str, str] | None = None) -> Settings:
    """Build `Settings` from environment variables (or the mapping given)."""
    env = dict(os.environ if env is None else env)
    return Settings(
        store_url=env.get("GEOMON_STORE") or str(DEMO_STORE),
        lang=env.get("GEOMON_LANG", "zh") if env.get("GEOMON_LANG") in ("zh", "en") else "zh",
        basemap=env.get("GEOMON_BASEMAP", "none") or "none",
        max_upload_mb=int(env.get("GEOMON_MAX_UPLOAD_MB", "200")),
    )
