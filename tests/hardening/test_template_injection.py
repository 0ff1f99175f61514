"""Server-side template injection: text in a layer must never be evaluated as Jinja.

branca (folium 0.20, branca 0.8.2) renders every MacroElement's script, then wraps the result in
``Element(...)``, which compiles it as a new Jinja template and renders it again
(branca/element.py, MacroElement.render). GeoJSON properties are in that script, so a feature
named ``{{ 7*7 }}`` shows as ``49``, ``{{ cycler.__init__.__globals__.os.popen('…').read() }}``
runs a shell command on the server, and ``{%`` crashes the map. Anyone who can import, edit or
upload (a siting project) could do this. geomon/mapview.py now writes braces as HTML entities in
every string it gives folium (issue 8); these tests keep it that way.
"""

from __future__ import annotations

import os

import geopandas as gpd
import pytest
from shapely import Point

from geomon import mapview
from geomon.validate import apply_dtypes


def _map_html(name: str, district: str = "明珠区") -> str:
    outlets = gpd.GeoDataFrame(
        {"code": ["A1"], "name": [name], "type_l1": ["工业排污口"], "receiving_water": ["玉带河"],
         "district": [district], "district_code": ["429902"], "stage": ["已排查"]},
        geometry=[Point(112.9, 30.4)],
        crs=4326,
    )  # fmt: skip
    return mapview.map_html(mapview.build_map({"outlets": apply_dtypes(outlets, "outlets")}))


def test_template_expressions_in_data_are_not_evaluated() -> None:
    pid = "{{ cycler.__init__.__globals__.os.getpid() }}"
    html = _map_html("{{ 7*7 }}", district=pid)
    assert '"name": "49"' not in html
    assert f'"district": "{os.getpid()}"' not in html  # would be the server's process id
    assert "7*7" in html and "getpid" in html  # shown as text (however it is escaped)


@pytest.mark.parametrize("name", ["{% if %}", "{{ '\\x' }}", "{# unclosed", "{{ 1/0 }}"])
def test_template_syntax_in_data_does_not_break_the_map(name: str) -> None:
    assert "A1" in _map_html(name)
