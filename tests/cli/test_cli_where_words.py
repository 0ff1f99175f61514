"""``--where`` in the user's words (issue 17 item 12): labels, aliases and enum labels."""

from __future__ import annotations

from pathlib import Path

import pyogrio
import pytest

from geomon import cli, filters
from geomon.config import DEMO_STORE
from geomon.errors import UnknownFieldError

# the demo store: 5 outlets 整治中, 32 in 明珠区 (data/README.md; counted by hand from the store)
CLAUSES = {
    "key": (["stage=整治中"], 5),
    "chinese-label": (["整治进度=整治中"], 5),
    "english-label": (["Rectification stage=整治中"], 5),
    "spaces-and-case": ([" rectification STAGE = 整治中 "], 5),
    "label-and-alias-value": (["整治进度=整治"], 5),  # 整治 is an alias of 整治中
    "text-field-label": (["所在区县=明珠区"], 32),
}


@pytest.mark.parametrize("case", sorted(CLAUSES))
def test_export_where_accepts_labels_aliases_and_enum_labels(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clauses, rows = CLAUSES[case]
    out = tmp_path / "o.geojson"
    argv = ["export", "--layer", "outlets", "--store", str(DEMO_STORE), "--format", "geojson"]
    for clause in clauses:
        argv += ["--where", clause]

    assert cli.main([*argv, "-o", str(out)]) == 0

    assert f"exported {rows} rows" in capsys.readouterr().out
    assert len(pyogrio.read_dataframe(out)) == rows


def test_parse_where_resolves_fields_and_enum_labels() -> None:
    got = filters.parse_where("sections", ["控制级别=国考", "Target class=Ⅲ类", "水质目标=II"])
    assert got == {"control_level": ["国控"], "target_class": ["III", "II"]}


def test_unknown_field_names_the_clause_and_lists_labels() -> None:
    with pytest.raises(UnknownFieldError) as info:
        filters.parse_where("outlets", ["颜色=红"])
    text = info.value.args[0]
    assert text.startswith("颜色=红: 图层 outlets 没有字段“颜色”")
    assert "stage（整治进度）" in text


def test_apply_filters_takes_a_label_as_the_column() -> None:
    from geomon.store import open_store

    frame = open_store(DEMO_STORE).read("outlets")
    by_label = filters.apply_filters(frame, "outlets", {"整治进度": ["整治"]})
    by_key = filters.apply_filters(frame, "outlets", {"stage": ["整治中"]})
    assert by_label.index.tolist() == by_key.index.tolist()
    assert len(by_key) == 5
