"""Runtime settings, read once from the environment into a frozen `Settings`.

Settings are passed explicitly; nothing in geomon mutates global configuration.

Environment variables
---------------------
GEOMON_STORE      store URL: a GeoPackage path or ``postgresql://…`` (default: data/demo.gpkg)
GEOMON_LANG       UI language, ``zh`` (default) or ``en``
GEOMON_BASEMAP    ``none`` (default, works offline), ``osm``, ``tianditu``, ``amap``, or a
                  URL template
GEOMON_TIANDITU_KEY  the Tianditu (天地图) key ``tk`` the ``tianditu`` basemap needs (no default)
GEOMON_ADDRESS    the address ``geomon serve`` listens on (default ``localhost``: this machine
                  only; ``0.0.0.0`` on a server, or ``127.0.0.1`` behind a reverse proxy)
GEOMON_PUBLIC_URL    the app's address as people reach it (``https://host/geomon``), for links and
                     QR codes on printed outlet sheets (default: the address of the open page,
                     unless that is localhost: then the sheet carries no code and says so)
GEOMON_MAX_UPLOAD_MB    largest accepted file in MiB (default 200)
GEOMON_MAX_UNZIPPED_MB  largest total size of an archive's contents once unpacked (default 1024)
GEOMON_MAX_FILES        most members in an uploaded archive, or files in one upload (default 100)
GEOMON_MAX_ZIP_RATIO    largest compression ratio of an archive member over 1 MiB (default 200)
GEOMON_ALLOWED_TYPES    comma-separated file extensions accepted by `geomon.io.read`
                        (default: every format it reads)
GEOMON_USERS            users file (TOML, see `geomon.access.auth`; default config/users.toml)
GEOMON_REQUIRE_LOGIN    ``1``: editing and importing need a login even when the users file is
                        missing (nobody can edit until ``geomon user add``). Default: a login
                        is needed as soon as the users file exists.
GEOMON_LOGIN_REQUIRED_FOR_VIEW  ``1``: viewing needs a login too (default: anyone may view)
GEOMON_SECRET           the key that signs the map's data-route tokens; every app process serving
                        one map must share it (default: a random key in map.key beside the users
                        file, made on first use)
GEOMON_LOG_FILE         the operator's log of imports, edits and logins (who, what, when; see
                        `geomon.audit`); rotate it with logrotate (default: no log)
GEOMON_SMTP_HOST        the bureau's intranet mail server for the daily alert digest
                        (``geomon alerts --email``; default: none, no digest)
GEOMON_SMTP_PORT        its port (default 25)
GEOMON_SMTP_STARTTLS    ``1``: switch to TLS with STARTTLS before logging in (default: off)
GEOMON_SMTP_USER        login name on the mail server, if it wants one (password in
                        ``GEOMON_SMTP_PASSWORD``)
GEOMON_DIGEST_FROM      the digest's sender address (default ``geomon@localhost``)
GEOMON_DIGEST_TO        comma-separated recipients of the digest
GEOMON_MAP_POINT_LIMIT  a point layer with more features than this is clustered on the map and
                        drawn on canvas (default 5000; see `geomon.mapview.points`)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEMO_STORE = PROJECT_DIR / "data" / "demo.gpkg"
USERS_FILE = PROJECT_DIR / "config" / "users.toml"
ALLOWED_TYPES = (
    ".geojson",
    ".json",
    ".gpkg",
    ".zip",
    ".shp",
    ".kml",
    ".kmz",
    ".csv",
    ".txt",
    ".xlsx",
    ".xlsm",
)
"""Every extension `geomon.io.read` can read."""

_TRUE = ("1", "true", "yes", "on")
MAP_POINT_LIMIT = 5_000
"""Point layers with more features are clustered on the map (`geomon.mapview.points`)."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Where the data lives, how the app looks, upload limits and login; immutable."""

    store_url: str = str(DEMO_STORE)
    lang: str = "zh"
    basemap: str = "none"
    max_upload_mb: int = 200
    max_unzipped_mb: int = 1024
    max_files: int = 100
    max_zip_ratio: float = 200.0
    allowed_types: tuple[str, ...] = ALLOWED_TYPES
    users_file: str = str(USERS_FILE)
    require_login: bool = False
    login_required_for_view: bool = False
    map_point_limit: int = MAP_POINT_LIMIT
    secret: str | None = None
    tianditu_key: str | None = None
    """Tianditu key (``tk``, from console.tianditu.gov.cn) for ``basemap="tianditu"``."""
    public_url: str | None = None
    address: str = "localhost"
    log_file: str | None = None
    """The operator's log of imports, edits and logins (``GEOMON_LOG_FILE``; `geomon.audit`)."""
    smtp_host: str | None = None
    """Intranet SMTP server for the daily alert digest (``GEOMON_SMTP_HOST``)."""
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)  # never in logs
    digest_from: str = "geomon@localhost"
    digest_to: tuple[str, ...] = ()
    """Where ``geomon serve`` listens (``GEOMON_ADDRESS``)."""
    """The app's public address; record links and QR codes use it instead of the page's URL."""


def _types(text: str | None) -> tuple[str, ...]:
    if not text:
        return ALLOWED_TYPES
    items = (t.strip().lower() for t in text.split(","))
    return tuple(t if t.startswith(".") else f".{t}" for t in items if t)


def from_env(env: dict[str, str] | None = None) -> Settings:
    """Build `Settings` from environment variables (or the mapping given)."""
    env = dict(os.environ if env is None else env)
    return Settings(
        store_url=env.get("GEOMON_STORE") or str(DEMO_STORE),
        lang=env.get("GEOMON_LANG", "zh") if env.get("GEOMON_LANG") in ("zh", "en") else "zh",
        basemap=env.get("GEOMON_BASEMAP", "none") or "none",
        max_upload_mb=int(env.get("GEOMON_MAX_UPLOAD_MB") or "200"),
        max_unzipped_mb=int(env.get("GEOMON_MAX_UNZIPPED_MB") or "1024"),
        max_files=int(env.get("GEOMON_MAX_FILES") or "100"),
        max_zip_ratio=float(env.get("GEOMON_MAX_ZIP_RATIO") or "200"),
        allowed_types=_types(env.get("GEOMON_ALLOWED_TYPES")),
        users_file=env.get("GEOMON_USERS") or str(USERS_FILE),
        require_login=env.get("GEOMON_REQUIRE_LOGIN", "").strip().lower() in _TRUE,
        login_required_for_view=(
            env.get("GEOMON_LOGIN_REQUIRED_FOR_VIEW", "").strip().lower() in _TRUE
        ),
        map_point_limit=int(env.get("GEOMON_MAP_POINT_LIMIT") or MAP_POINT_LIMIT),
        secret=env.get("GEOMON_SECRET") or None,
        tianditu_key=env.get("GEOMON_TIANDITU_KEY") or None,
        public_url=env.get("GEOMON_PUBLIC_URL") or None,
        address=(env.get("GEOMON_ADDRESS") or "").strip() or "localhost",
        log_file=env.get("GEOMON_LOG_FILE") or None,
        smtp_host=(env.get("GEOMON_SMTP_HOST") or "").strip() or None,
        smtp_port=int(env.get("GEOMON_SMTP_PORT") or "25"),
        smtp_starttls=env.get("GEOMON_SMTP_STARTTLS", "").strip().lower() in _TRUE,
        smtp_user=env.get("GEOMON_SMTP_USER") or None,
        smtp_password=env.get("GEOMON_SMTP_PASSWORD") or None,
        digest_from=(env.get("GEOMON_DIGEST_FROM") or "").strip() or "geomon@localhost",
        digest_to=tuple(
            a.strip() for a in (env.get("GEOMON_DIGEST_TO") or "").split(",") if a.strip()
        ),
    )
