"""How the app colours its status layers on the map: sections by class, outlets by stage.

Sections are coloured by their water-quality class over the chosen period in the class colours
of ``geomon/rules/gb3838.toml`` (`geomon.rules.water_quality.CLASS_COLORS`, shared with the
period reports), outlined in dark blue (to tell them from outlets) and ringed in magenta when
they fail their target. Outlets keep their spec colours by stage and are ringed in black when
overdue. Pure: returns `geomon.mapview.LayerStyle` values.
"""

from __future__ import annotations

from geomon.app import i18n
from geomon.mapview import LayerStyle
from geomon.rules import water_quality as wq
from geomon.specs import Label, get_spec

RING = "#111111"  # overdue outlets
CARD_RED, CARD_YELLOW = "#b2182b", "#e6b000"  # problems' cards (issue #20)
CLOSED = "#b7d7bd"  # closed problems, when the map is asked to show them: pale green, history
FAILS = "#c51b8a"  # sections failing their target (magenta: visible on every class colour)
ALERT = "#ff6f00"  # sections with an open alert: a dashed orange halo outside the ring


def _label(key: str, **fmt: str) -> Label:
    return Label(i18n.t(key, "zh").format(**fmt), i18n.t(key, "en").format(**fmt))


def map_styles(
    period: Label,
    *,
    outlet_url: str | None = None,
    section_url: str | None = None,
    problem_url: str | None = None,
) -> dict[str, LayerStyle]:
    """
    Styles for `geomon.mapview.build_map`; `period` names the assessed period (legend).

    With `outlet_url` (``/outlet?outlet={id}``) an outlet's popup links to its record, with
    `section_url` (``/section?code={id}``) a section's, with `problem_url`
    (``/problem?problem={id}``) a problem's. Sections with an open alert (the
    ``alert`` column, `geomon.app.data.status_layers`) get a dashed halo on the tile map.
    """
    stage = get_spec("outlets").style
    return {
        "sections": LayerStyle(
            color_by="class",
            colors=dict(wq.CLASS_COLORS),
            labels=dict(wq.CLASS_LABELS),
            title=Label(
                i18n.t("map.class_title", "zh").format(period=period.zh),
                i18n.t("map.class_title", "en").format(period=period.en),
            ),
            default_label=_label("map.unassessed"),
            ring="fails_target",
            ring_color=FAILS,
            stroke="#1b2a41",
            stroke_weight=2.0,
            ring_label=_label("map.fails_target"),
            alert="alert",
            alert_color=ALERT,
            alert_label=_label("map.legend_alert"),
            popup={
                "class": _label("map.popup_class"),
                "target": _label("map.popup_target"),
                "meets_target": _label("map.popup_meets"),
                "main_pollutants": _label("map.popup_pollutants"),
                "exceedances": _label("map.popup_exceed"),
            },
            hides=("target_class",),  # "target" is the target in force: the layer's or the data's
            link=(_label("map.open_section"), section_url) if section_url else None,
        ),
        "outlets": LayerStyle(
            color_by="stage",
            colors=stage.colors,
            title=_label("map.stage_title"),
            default_color=stage.default_color,
            ring="overdue",
            ring_color=RING,
            ring_label=_label("map.overdue_ring"),
            popup={"overdue": _label("map.popup_overdue")},
            link=(_label("map.open_record"), outlet_url) if outlet_url else None,
        ),
        # issue #20: problems by their red/yellow card (grey without one)
        # closed problems (shown only on request) apart, pale: history (view.with_map_card)
        "problems": LayerStyle(
            color_by="map_card",
            colors={"red": CARD_RED, "yellow": CARD_YELLOW, "closed": CLOSED},
            labels={
                "red": _label("card.red"),
                "yellow": _label("card.yellow"),
                "closed": _label("map.closed_problem"),
            },
            title=_label("map.card_title"),
            default_label=_label("map.no_card"),
            popup={"card": _label("problems.card"), "days_overdue": _label("col.days_overdue")},
            stroke="#333333",
            link=(_label("map.open_problem"), problem_url) if problem_url else None,
        ),
    }
