"""The section popup: class, the target once, and exceedances spelled out (issue 18 item 9)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from geomon import mapview
from geomon.analysis import compliance
from geomon.app.present import styles
from geomon.rules import water_quality as wq
from geomon.specs import Label, get_spec
from geomon.store import open_store


def _cells(html: str) -> dict[str, str]:
    rows = re.findall(r"<tr><th>(.*?)</th><td>(.*?)</td></tr>", html)
    assert len(rows) == len({k for k, _ in rows}), f"a row is repeated: {rows}"
    return dict(rows)


def test_section_popup_shows_the_target_once(tiny_store: Path) -> None:
    sections = open_store(tiny_store).read("sections")  # S1 宗关, target_class III
    # TP 0.31 mg/L against the class III river limit 0.2: (0.31 − 0.2) / 0.2 = 0.55 times over
    results = pd.DataFrame(
        {
            "section_code": ["S1"],
            "class": ["IV"],
            "target": [None],  # no target in the data: the layer's III is in force
            "main_pollutants": [("TP",)],
            "exceedances": [(wq.Exceedance("TP", 0.31, 0.2, 0.55),)],
        }
    )
    flagged = compliance.section_flags(sections, results)
    own = styles.map_styles(Label("2023年", "2023"))["sections"]

    zh = _cells(mapview.popup_html(flagged, get_spec("sections"), "zh", own)[0])
    en = _cells(mapview.popup_html(flagged, get_spec("sections"), "en", own)[0])

    assert zh["水质目标"] == "Ⅲ类"
    assert zh["水质类别"] == "Ⅳ类"
    assert zh["超标项目"] == "总磷 超标0.55倍"
    assert list(zh).count("水质目标") == 1
    assert en["Target"] == "Class III"
    assert "target_class" not in " ".join(en)
