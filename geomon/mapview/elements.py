"""Map elements whose scripts reach the page verbatim, never re-parsed as Jinja templates.

branca renders each element's ``script`` macro and then wraps the result in ``Element(...)``,
which compiles it as a NEW template (branca/element.py, ``MacroElement.render``). For a layer's
data that is slow (1.8 s for 5,000 red lines of 200 vertices) and unsafe (text such as
``{{ … }}`` would run on the server: tests/hardening/test_template_injection.py). The mixin here
renders the same macros and adds their output as plain text.
"""

from __future__ import annotations

from typing import Any

import folium
from branca.element import Element, Figure, MacroElement


class Verbatim(Element):
    """Page text that is not a template."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


class VerbatimScripts(MacroElement):
    """`MacroElement.render` with the macros' output added as `Verbatim` text.

    Put it AFTER folium's classes in the bases (``class X(folium.GeoJson, VerbatimScripts)``)
    so their ``render`` (style maps, the ``addTo`` child) runs first and ends here.
    """

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        if not isinstance(figure, Figure):
            msg = f"{type(self).__name__} must be on a map inside a Figure to render"
            raise TypeError(msg)
        macros = self._template.module.__dict__
        for part, target in (("header", figure.header), ("html", figure.html),
                             ("script", figure.script)):  # fmt: skip
            if part in macros:
                target.add_child(Verbatim(macros[part](self, kwargs)), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class GeoJsonLayer(folium.GeoJson, VerbatimScripts):
    """`folium.GeoJson` rendered verbatim (same options, same output, no second Jinja pass)."""
