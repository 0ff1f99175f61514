"""The problems layer on the map (一张图): it follows the district filter, shows open problems
unless closed ones are asked for, and its popup names the linked layer and links the record.

Demo problems (geomon/demo): P2023-001 明珠区 整改中, P2023-002 柳溪县 整改中, P2023-003 芦荡县
已销号, P2023-004 明珠区 已销号, P2023-005 芦荡县 待整改.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geomon import mapview
from geomon.app.present import styles, view
from geomon.specs import Label, get_spec
from geomon.store import open_store


def _problem_count(at: AppTest) -> tuple[str, str]:
    metric = {m.label: m for m in at.metric}["问题清单"]
    return metric.value, metric.proto.help


@pytest.mark.parametrize(
    ("query", "closed", "expected"),
    [
        ({}, False, "3"),  # 001, 002, 005: the two closed ones are history
        ({}, True, "5"),
        ({"district": "芦荡县"}, False, "1"),  # 005 only (003 is closed)
        ({"district": "芦荡县"}, True, "2"),  # 003 and 005; no 明珠区 problem
        ({"district": "明珠区"}, True, "2"),  # 001 and 004
    ],
)
def test_map_problems_follow_district_and_hide_closed(
    app: Callable[..., AppTest], demo_store: Path, query: dict, closed: bool, expected: str
) -> None:
    at = app(demo_store, "map", **query).run()
    assert not at.exception, [e.message for e in at.exception]
    if closed:
        at.checkbox(key="map_closed").check().run()
    assert _problem_count(at) == (expected, f"{expected} / 5")


def test_district_filter_keeps_the_districts_problems(demo_store: Path) -> None:
    problems = open_store(demo_store).read("problems")
    kept = view.filter_layers({"problems": problems}, {"district": ["芦荡县"]})["problems"]
    assert sorted(kept["id"]) == ["P2023-003", "P2023-005"]
    open_ = view.filter_layers({"problems": problems}, view.open_problems({"district": ["芦荡县"]}))
    assert list(open_["problems"]["id"]) == ["P2023-005"]


def _cells(html: str) -> dict[str, str]:
    return dict(re.findall(r"<tr><th>(.*?)</th><td>(.*?)</td></tr>", html))


@pytest.mark.parametrize(
    ("lang", "layer_label", "title", "link", "suffix"),
    [
        ("zh", "关联图层", "入河排污口", "打开问题档案", ""),
        (
            "en",
            "Feature layer",
            "River discharge outlets",
            "Open the problem record",
            "&amp;lang=en",
        ),
    ],
)
def test_problem_popup_shows_layer_title_and_record_link(
    demo_store: Path, lang: str, layer_label: str, title: str, link: str, suffix: str
) -> None:
    problems = open_store(demo_store).read("problems")
    p5 = problems[problems["id"] == "P2023-005"].assign(card=None, days_overdue=0)
    url = "/problem?problem={id}" + ("&lang=en" if lang == "en" else "")
    own = styles.map_styles(Label("", ""), problem_url=url)["problems"]

    html = mapview.popup_html(p5, get_spec("problems"), lang, own)[0]

    assert _cells(html)[layer_label] == title
    assert (
        f'<a href="/problem?problem=P2023-005{suffix}" target="_blank" rel="noopener">{link}</a>'
        in html
    )


def _problem_legend(at: AppTest) -> dict[str, int]:
    (args,) = [
        json.loads(e.proto.json_args)
        for e in at.get("component_instance")
        if e.proto.component_name.endswith("geomon_tilemap")
    ]
    (layer,) = [la for la in args["legend_layers"] if la["name"] == "problems"]
    return {r["label"]: r["count"] for r in layer["rows"]}


def test_closed_problems_are_counted_apart_when_shown(
    app: Callable[..., AppTest], demo_store: Path
) -> None:
    at = app(demo_store, "map", district="芦荡县").run()
    default = _problem_legend(at)
    assert "已销号（历史）" not in default and sum(default.values()) == 1  # P2023-005

    at.checkbox(key="map_closed").check().run()
    shown = _problem_legend(at)
    assert shown.pop("已销号（历史）") == 1  # P2023-003, not among 无警示
    assert shown == default


def test_feature_layer_shown_by_title_unknown_names_as_written() -> None:
    from geomon.mapview import values

    shown = values.display(
        pd.Series(["sections", "protection_zones", "<b>x</b>", None]),
        get_spec("problems"),
        "feature_layer",
        "zh",
    )
    assert shown.tolist()[:3] == ["水质监测断面", "饮用水水源保护区", "&lt;b&gt;x&lt;/b&gt;"]


def test_every_layer_with_a_district_filter_field_follows_the_district_filter(
    demo_store: Path,
) -> None:
    store = open_store(demo_store)
    layers = {n: store.read(n) for n in ("problems", "inspections")}
    kept = view.filter_layers(layers, {"district": ["明珠区"]})
    assert sorted(kept["problems"]["id"]) == ["P2023-001", "P2023-004"]
    assert len(kept["inspections"]) == 0  # the one demo inspection is in 芦荡县
    kept = view.filter_layers(layers, {"district": ["芦荡县"]})
    assert list(kept["inspections"]["id"]) == ["XC20230705-001"]
    district = next(d for d in view.DIMS if d.key == "district")
    assert {"problems", "inspections", "projects", "red_lines"} <= set(district.targets)
