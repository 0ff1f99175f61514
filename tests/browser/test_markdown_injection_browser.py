"""Markdown injection (GH issue 18, item 5): names from the store and values from the URL are
shown as text on every page, never as Markdown.

The app runs on a store whose outlet, district and project names are Markdown links and images
to outside hosts, and the pages are opened with such values in ``?outlet=`` and the filter
parameters. On every page: no element links to or loads from an outside host, no request
leaves the machine, and each planted text is on the page as the literal text it is.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from shapely import Point, box

from geomon.store import open_store
from geomon.validate import apply_dtypes

pytestmark = pytest.mark.browser
LINK = "[点此重新登录](http://phish.example/login)"
IMAGE = "![x](http://track.example/t.png)"
AUTO = (
    "<http://phish.example/auto> www.phish.example HTTPS://phish.example/b it@phish.example "
    ":material/home: :red[红字] $x^2$"
)
URL_LINK = "[重新登录](http://phish.example/url)"
URL_IMAGE = "![t](http://track.example/url.png)"
OUTSIDE = """() => [...document.querySelectorAll('a[href], img[src], [srcset], [style*="url("]')]
    .map(e => e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('srcset')
              || e.getAttribute('style'))
    .filter(u => !u.startsWith('#'))
    .filter(u => /example|^\\/\\/|^(https?|wss?):\\/\\/(?!127\\.0\\.0\\.1|localhost)/.test(u))"""


def _layer(name: str, rows: list[dict], geoms: list):
    import geopandas as gpd

    return apply_dtypes(gpd.GeoDataFrame(rows, geometry=geoms, crs=4326), name)


@pytest.fixture(scope="module")
def hostile_app(app_server, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The app on a store with Markdown links and images as names."""
    path = tmp_path_factory.mktemp("md") / "md.gpkg"
    outlet = {"type_l1": "工业排污口", "receiving_water": "汉江", "district_code": "420102",
              "stage": "已排查"}  # fmt: skip
    open_store(path).write(
        {
            "districts": _layer("districts", [{"code": "420102", "name": IMAGE, "level": "区县"}],
                                [box(114.20, 30.55, 114.40, 30.70)]),
            "outlets": _layer(
                "outlets",
                [{"code": "O1", "name": LINK, "district": IMAGE, **outlet},
                 {"code": "O2", "name": AUTO, "district": IMAGE, **outlet}],
                [Point(114.25, 30.60), Point(114.35, 30.65)],
            ),
            "projects": _layer("projects", [{"id": "P1", "name": LINK, "kind": "工业"}],
                               [box(114.26, 30.61, 114.27, 30.62)]),
        }
    )  # fmt: skip
    return app_server(path)


def _open(page, base: str, path: str, wanted: str) -> None:
    page.goto(f"{base}/{path}", wait_until="domcontentloaded", timeout=60_000)
    page.locator("h1").first.wait_for(timeout=60_000)
    if path.startswith("data"):  # the filters' caption is on the export tab
        page.get_by_role("tab", name="导出").click()
    page.get_by_text(wanted, exact=False).first.wait_for(timeout=60_000)
    page.wait_for_timeout(1000)  # let the script finish


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        pytest.param("outlet?outlet=O1", [LINK], id="outlet-stored-name"),
        pytest.param("outlet?outlet=O2", [AUTO], id="outlet-autolinks"),
        pytest.param(f"outlet?outlet={quote(URL_LINK)}", [URL_LINK], id="outlet-url-link"),
        pytest.param(f"outlet?outlet={quote(URL_IMAGE)}", [URL_IMAGE], id="outlet-url-image"),
        pytest.param(f"dashboard?district={quote(IMAGE)}", [IMAGE], id="dashboard-filter"),
        pytest.param(f"data?district={quote(IMAGE)}", [IMAGE], id="data-filter"),
        pytest.param("siting?project=P1", [f"P1 {LINK}"], id="siting-verdict"),
    ],
)
def test_planted_markdown_is_text(hostile_app: str, watched, path: str, shown: list[str]) -> None:
    page, watch = watched
    _open(page, hostile_app, path, shown[0][-12:])
    # the invisible word joiners that keep bare URLs from becoming links (`geomon.app.i18n.md`)
    body = page.locator('[data-testid="stMain"]').inner_text().replace("\u2060", "")

    assert page.evaluate(OUTSIDE) == []  # no link to, no image from an outside host
    links = page.locator('[data-testid="stMain"] a:not([aria-label="Link to heading"])')
    assert links.count() == 0  # no link in the page but Streamlit's own heading anchors
    assert watch.outside() == []  # nothing left the machine
    assert watch.dialogs == []
    assert page.locator('[data-testid="stException"]').count() == 0
    for text in shown:
        assert text in body, (text, body[:2000])
