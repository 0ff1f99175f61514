"""Drawing a project footprint on the map: leaflet-draw, localised, from local assets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import folium
import folium.plugins
from branca.element import MacroElement
from folium.template import Template

from geomon.mapview.assets import ASSET_BASE, localize_assets

# L.drawLocal in Chinese (leaflet-draw ships English only); merged over the defaults
_DRAW_ZH = {
    "draw": {
        "toolbar": {
            "actions": {"title": "取消绘制", "text": "取消"},
            "finish": {"title": "完成绘制", "text": "完成"},
            "undo": {"title": "删除最后一个点", "text": "撤销"},
            "buttons": {"polyline": "绘制线（道路、管线）", "polygon": "绘制多边形（用地范围）",
                        "rectangle": "绘制矩形", "marker": "标注点位"},
        },
        "handlers": {
            "marker": {"tooltip": {"start": "点击地图放置点位"}},
            "polygon": {"tooltip": {"start": "点击开始绘制", "cont": "点击继续绘制",
                                    "end": "点击第一个点闭合图形"}},
            "polyline": {"error": "<strong>错误：</strong>线不能自相交",
                         "tooltip": {"start": "点击开始绘制", "cont": "点击继续绘制",
                                     "end": "点击最后一个点结束"}},
            "rectangle": {"tooltip": {"start": "按住鼠标拖动绘制矩形"}},
            "simpleshape": {"tooltip": {"end": "松开鼠标完成绘制"}},
        },
    },
    "edit": {
        "toolbar": {
            "actions": {"save": {"title": "保存修改", "text": "保存"},
                        "cancel": {"title": "放弃修改", "text": "取消"},
                        "clearAll": {"title": "清除全部图形", "text": "全部清除"}},
            "buttons": {"edit": "编辑图形", "editDisabled": "没有可编辑的图形",
                        "remove": "删除图形", "removeDisabled": "没有可删除的图形"},
        },
        "handlers": {
            "edit": {"tooltip": {"text": "拖动节点修改图形", "subtext": "点击“取消”放弃修改"}},
            "remove": {"tooltip": {"text": "点击图形将其删除"}},
        },
    },
}  # fmt: skip


class _DrawLocal(MacroElement):
    """Merge `strings` into leaflet-draw's ``L.drawLocal`` before its control is built."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function merge(into, from) {
            for (var k in from) {
                if (typeof from[k] === "object") { merge(into[k] = into[k] || {}, from[k]); }
                else { into[k] = from[k]; }
            }
        })(L.drawLocal, {{ this.strings|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, strings: Mapping[str, Any]) -> None:
        super().__init__()
        self._name = "DrawLocal"
        self.strings = strings


def add_draw(m: folium.Map, *, lang: str = "zh", asset_base: str = ASSET_BASE) -> folium.Map:
    """
    Add leaflet-draw (points, lines, polygons, rectangles) to `m`, localised, from local assets.

    Drawn shapes reach Python through ``st_folium(..., returned_objects=["all_drawings"])``.
    Circles are left out: a project footprint is a polygon, a line or a point.
    """
    if lang == "zh":
        _DrawLocal(_DRAW_ZH).add_to(m)
    folium.plugins.Draw(
        export=False,
        position="topleft",
        draw_options={"circle": False, "circlemarker": False,
                      "polygon": {"allowIntersection": False, "showArea": False}},
        edit_options={"edit": True, "remove": True},
    ).add_to(m)  # fmt: skip
    return localize_assets(m, asset_base=asset_base, lang=lang)
