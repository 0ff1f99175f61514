"""Column helpers of geomon.frames: whole columns at once, with Python's own text semantics.

pandas' str columns run ``.str`` methods in Arrow, whose whitespace is not Python's; the helpers
must give what the cell-by-cell code gave (``str.strip``, ``frames.text``) on str columns,
object columns and mixed ones (issue 7).
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from geomon import frames

# "\u3000" (ideographic space) and "\x1c" are whitespace to Python; "\u200b" (zero-width
# space) is not
CELLS = ["a", " ", "\u3000", "\x1c", " 甲\u3000", "", None, "\u200b"]
BLANK = [False, True, True, True, False, True, True, False]
TEXT = ["a", None, None, None, "甲", None, None, "\u200b"]


def test_space_is_exactly_what_python_strips() -> None:
    every = (chr(c) for c in range(sys.maxunicode + 1))
    assert set(frames.SPACE) == {c for c in every if c.isspace()}
    assert len(frames.SPACE) == 29


@pytest.mark.parametrize("dtype", ["str", object])
def test_text_columns_keep_python_whitespace(dtype: object) -> None:
    cells = pd.Series(CELLS, dtype=dtype)
    assert frames.blank_mask(cells).tolist() == BLANK
    assert frames.texts(cells).tolist() == TEXT
    stripped = frames.strip(cells)
    assert stripped.tolist()[:6] == ["a", "", "", "", "甲", ""]
    assert pd.isna(stripped.iloc[6])


def test_mixed_and_numeric_columns() -> None:
    mixed = pd.Series(["x", 1.0, " ", True, None], dtype=object)
    assert frames.blank_mask(mixed).tolist() == [False, False, True, False, True]
    assert frames.texts(mixed).tolist() == ["x", "1.0", None, "True", None]  # str(v), as text()
    assert frames.blank_mask(pd.Series([1.0, np.nan])).tolist() == [False, True]
    assert frames.texts(pd.Series([7, 8])).tolist() == ["7", "8"]


def test_text_equals() -> None:
    cells = pd.Series([" 取缔 ", "取缔", "规范", None, "\u3000取缔"], dtype="str")
    assert frames.text_equals(cells, "取缔").tolist() == [True, True, False, False, True]
    assert frames.text_equals(pd.Series([1, None], dtype=object), "1").tolist() == [True, False]


def test_map_cells_runs_once_per_distinct_text() -> None:
    seen: list[str] = []

    def upper(v: str) -> str:
        seen.append(v)
        return v.upper()

    cells = pd.Series(["a", "b", "a", None, "b"], dtype="str", index=[5, 6, 7, 8, 9])
    out = frames.map_cells(cells, upper)
    assert out.tolist() == ["A", "B", "A", None, "B"]
    assert out.index.tolist() == [5, 6, 7, 8, 9]
    assert sorted(seen) == ["a", "b"]
    typed = frames.map_cells(cells, upper, "str")
    assert typed.dtype == "str"
    assert typed.tolist()[:3] == ["A", "B", "A"]
    assert pd.isna(typed.iloc[3])


def test_map_cells_of_an_object_column_runs_per_cell() -> None:
    # 1, 1.0 and True are one key to a hash table but three different cells
    out = frames.map_cells(pd.Series([1, 1.0, True, None], dtype=object), repr)
    assert out.tolist() == ["1", "1.0", "True", None]


def test_duplicated_ignores_missing_cells() -> None:
    cells = pd.Series(["a", "b", "a", None, None, "c"], dtype="str")
    assert frames.duplicated(cells).tolist() == [True, False, True, False, False, False]


def test_groups_of_sorted_keys() -> None:
    starts, ends = frames.group_bounds(np.array([3, 3, 5, 7, 7, 7]))
    assert (starts.tolist(), ends.tolist()) == ([0, 2, 3], [2, 3, 6])
    assert frames.join_groups(list("abcdef"), starts, ends) == ["a、b", "c", "d、e、f"]
    empty = frames.group_bounds(np.array([], dtype=int))
    assert [len(a) for a in empty] == [0, 0]
