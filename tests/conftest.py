"""Shared fixtures: Streamlit cache isolation and a tiny hand-made GeoPackage store."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import geopandas as gpd
import pytest
import streamlit as st
from shapely import LineString, Point, box

from geomon.cli import serve
from geomon.store import open_store
from geomon.validate import apply_dtypes
from tests.pgcluster import Cluster, ClusterUnavailableError, pg_bindir


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    """Clear Streamlit caches: they live in the test process and leak between tests."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def _layer(name: str, rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    return apply_dtypes(gpd.GeoDataFrame(rows, geometry=geoms, crs=4326), name)


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GeoPackage with one district, one river, one section and two outlets (Wuhan area)."""
    path = tmp_path_factory.mktemp("store") / "tiny.gpkg"
    outlet = {
        "type_l1": "工业排污口",
        "receiving_water": "汉江",
        "district": "江岸区",
        "district_code": "420102",
    }
    open_store(path).write(
        {
            "districts": _layer(
                "districts",
                [{"code": "420102", "name": "江岸区", "level": "区县"}],
                [box(114.20, 30.55, 114.40, 30.70)],
            ),
            "rivers": _layer(
                "rivers",
                [{"code": "R1", "name": "汉江", "kind": "干流"}],
                [LineString([(114.22, 30.57), (114.38, 30.68)])],
            ),
            "sections": _layer(
                "sections",
                [
                    {
                        "code": "S1",
                        "name": "宗关",
                        "river": "汉江",
                        "control_level": "国控",
                        "target_class": "III",
                    }
                ],
                [Point(114.30, 30.62)],
            ),
            "outlets": _layer(
                "outlets",
                [
                    {"code": "O1", "name": "一号排污口", "stage": "整治完成", **outlet},
                    {
                        "code": "O2",
                        "name": "<script>alert(1)</script>",
                        "stage": "已排查",
                        **outlet,
                    },
                ],
                [Point(114.25, 30.60), Point(114.35, 30.65)],
            ),
        }
    )
    return path


# --------------------------------------------------------------------------------------------
# PostGIS: a throwaway cluster (or the server the PG* environment variables name)

POSTGIS_HINT = (
    "PostGIS not installed: apt-get install postgresql-15-postgis-3 (and pip install -e "
    "'.[test]'), or point PGHOST/PGPORT/PGUSER/PGPASSWORD at a server with PostGIS"
)


def _postgis_unavailable(reason: str) -> None:
    """Skip locally, fail in CI: a skipped PostGIS test must not turn CI green."""
    message = f"{POSTGIS_HINT} ({reason})"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgis_server():
    """A PostgreSQL server with a PostGIS template database, for `postgis_url`.

    Uses the server named by ``PGHOST`` (and PGPORT, PGUSER, PGPASSWORD) if set, else starts a
    throwaway cluster with initdb in a temporary directory (as the ``postgres`` user when run
    as root), Unix socket only, stopped and deleted at the end of the session. Skips without
    PostgreSQL/PostGIS; fails instead when CI=true.
    """
    try:
        import psycopg
        import sqlalchemy  # noqa: F401
    except ImportError as exc:
        _postgis_unavailable(f"missing Python package: {exc.name}")
    cluster = None
    admin: dict[str, object] = {}  # empty: libpq takes host, port, user, password from PG*
    if not os.environ.get("PGHOST"):
        bindir = pg_bindir()
        if bindir is None:
            _postgis_unavailable("no initdb/pg_ctl found")
        try:
            cluster = Cluster(bindir)
        except ClusterUnavailableError as exc:
            _postgis_unavailable(str(exc))
    template = f"geomon_template_{os.getpid()}"
    try:
        if cluster is not None:
            admin = cluster.start()
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
            conn.execute(f"CREATE DATABASE {template}")
        try:
            with psycopg.connect(dbname=template, autocommit=True, **admin) as conn:
                conn.execute("CREATE EXTENSION postgis")
        except psycopg.Error as exc:
            _postgis_unavailable(f"CREATE EXTENSION postgis failed: {exc}")
        yield {"admin": admin, "template": template}
    finally:
        if cluster is not None:
            cluster.stop()
        else:
            with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {template} WITH (FORCE)")


@contextlib.contextmanager
def _fresh_database(postgis_server):
    import psycopg

    name = f"geomon_test_{uuid.uuid4().hex[:12]}"
    admin = postgis_server["admin"]
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {postgis_server['template']}")
    if admin:
        yield f"postgresql://{admin['user']}@/{name}?host={admin['host']}&port={admin['port']}"
    else:
        yield f"postgresql:///{name}"  # host, port, user, password from the PG* variables
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def postgis_url(postgis_server) -> str:
    """A ``postgresql://`` URL of a fresh database with only PostGIS in it (dropped afterwards)."""
    with _fresh_database(postgis_server) as url:
        yield url


@pytest.fixture(scope="module")
def postgis_url_module(postgis_server) -> str:
    """`postgis_url` kept for a whole test module (e.g. behind a server the module starts)."""
    with _fresh_database(postgis_server) as url:
        yield url


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def browser_missing(msg: str) -> None:
    """Skip a browser test on a laptop without Chromium; fail it in CI (CI=true)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{msg} (CI=true: browser tests must run)")
    pytest.skip(msg)


@pytest.fixture(scope="session")
def chromium():
    """Debian's headless Chromium through python playwright, launched once per session.

    Playwright's sync API allows one running instance per thread, so every browser test shares
    this one (tests/browser, tests/hardening, tests/reports).
    """
    if not Path(CHROMIUM).exists():
        browser_missing("Debian chromium is missing: apt-get install -y chromium fonts-noto-cjk")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_missing("python playwright is missing: pip install playwright")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


# --------------------------------------------------------------------------------------------
# The real app server (`streamlit run streamlit_app.py`, the st.App with geomon's own routes)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServers:
    """Real app servers (`streamlit run streamlit_app.py`) started on free ports, all stopped
    together. `start(store, **env)` returns the base URL once Streamlit answers; an env value of
    None removes that variable."""

    def __init__(self, tmp: pytest.TempPathFactory) -> None:
        self._tmp = tmp
        self._started: list[tuple[subprocess.Popen, object]] = []

    def start(self, store: str | Path, **extra: str | None) -> str:
        port = _free_port()
        log = (self._tmp.mktemp("server") / "streamlit.log").open("w")
        env = {**os.environ, "GEOMON_STORE": str(store), "GEOMON_BASEMAP": "none", **extra}
        env = {k: v for k, v in env.items() if v is not None}
        cmd = serve.streamlit_command("127.0.0.1", port)  # what `geomon serve` runs
        root = Path(__file__).parents[1]
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
        self._started.append((proc, log))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return base
            except OSError:
                time.sleep(0.3)
        pytest.fail(f"streamlit did not answer at {base}")

    def stop_all(self) -> None:
        for proc, log in self._started:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory):
    """Start the real app on a store: ``start(store_url, **env) -> base URL``; stopped after the
    module. Needs no browser (for the data routes)."""
    servers = AppServers(tmp_path_factory)
    yield servers.start
    servers.stop_all()


@pytest.fixture(scope="session")
def app_server_session(tmp_path_factory: pytest.TempPathFactory):
    """`app_server` for the whole session (the browser tests' shared server)."""
    servers = AppServers(tmp_path_factory)
    yield servers.start
    servers.stop_all()
