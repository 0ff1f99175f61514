"""Every hostile or broken input of tests/data/bad/ gets its exact error, and writes nothing.

Each input of ``manifest.toml`` is imported with `geomon.importer.import_file` into a seeded
GeoPackage (through `ScopedStore` when the entry names a user). The test asserts the exact set
of error codes, a message fragment, no exception other than a `GeomonError`, and that the
GeoPackage file is byte-for-byte what it was. The summary test prints how many inputs were
tried, how many crashed and how many wrote anything (GH issue 8).
"""

from __future__ import annotations

import hashlib
import shutil
import tomllib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hardhelp import BAD, USERS, make_corpus

from geomon import importer
from geomon.access.scoped import ScopedStore
from geomon.errors import GeomonError
from geomon.store import open_store

CASES: list[dict[str, Any]] = tomllib.loads((BAD / "manifest.toml").read_text("utf-8"))["input"]


def case_id(case: dict[str, Any]) -> str:
    parts = [case["file"]]
    if "upload_name" in case:
        parts.append("upload")
    if "user" in case:
        parts.append(f"as-{case['user']}")
    parts += [f"{k}={v}" for k, v in case.get("env", {}).items()]
    return "-".join(parts)


IDS = [case_id(c) for c in CASES]
GAPS = {case_id(c) for c in CASES if "known_gap" in c}


@dataclass(frozen=True)
class Outcome:
    """What one import did: error codes and messages, a crash (any other exception), a write."""

    codes: frozenset[str]
    messages: tuple[str, ...]
    warnings: frozenset[str]
    crashed: str | None
    wrote: bool


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_case(case: dict[str, Any], corpus: Path, store_path: Path) -> Outcome:
    """Import one corpus input into the GeoPackage at `store_path`; never raises."""
    before = _digest(store_path)
    path = corpus / case["file"]
    store = open_store(store_path)
    user = "corpus"
    if "user" in case:
        store = ScopedStore(store, USERS[case["user"]])
        user = USERS[case["user"]].name
    source: Path | bytes = path
    kwargs: dict[str, Any] = {}
    if "upload_name" in case:
        source, kwargs["filename"] = path.read_bytes(), case["upload_name"]
    codes: set[str] = set()
    messages: list[str] = []
    warned: set[str] = set()
    crashed = None
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL's notes on odd input are not failures here
        for key, value in case.get("env", {}).items():
            mp.setenv(key, value)
        try:
            result = importer.import_file(
                source, case.get("layer", "outlets"), store, user=user, **kwargs
            )
        except GeomonError as exc:
            codes.add(getattr(exc, "code", type(exc).__name__))
            messages.append(str(exc))
        except Exception as exc:  # a crash is what this test looks for
            crashed = f"{type(exc).__name__}: {exc}"
        else:
            codes |= {i.code for i in result.report.errors}
            messages += [i.message for i in result.report.errors]
            warned |= {i.code for i in result.report.warnings}
    wrote = _digest(store_path) != before
    return Outcome(frozenset(codes), tuple(messages), frozenset(warned), crashed, wrote)


_OUTCOMES: dict[str, Outcome] = {}


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, id=i, marks=pytest.mark.xfail(strict=True, reason=c["known_gap"]))
        if "known_gap" in c
        else pytest.param(c, id=i)
        for c, i in zip(CASES, IDS, strict=True)
    ],
)
def test_hostile_input_is_refused_and_writes_nothing(
    case: dict[str, Any], corpus_dir: Path, seeded_gpkg: Path
) -> None:
    outcome = run_case(case, corpus_dir, seeded_gpkg)
    _OUTCOMES[case_id(case)] = outcome

    assert outcome.crashed is None
    assert not outcome.wrote, "the store changed"
    assert outcome.codes == set(case["codes"]), outcome.messages
    assert outcome.warnings >= set(case.get("warnings", [])), outcome.warnings
    assert any(case["fragment"] in m for m in outcome.messages), outcome.messages


def test_corpus_is_big_and_covers_every_format() -> None:
    files = {c["file"] for c in CASES}
    missing = [f for f in files if not (BAD / f).is_file() and f not in make_corpus.GENERATORS]
    assert not missing
    assert len(CASES) >= 40
    assert {Path(f).suffix for f in files} >= {".geojson", ".csv", ".xlsx", ".zip", ".kml", ".kmz"}
    committed = [p for p in BAD.iterdir() if p.is_file()]
    assert max(p.stat().st_size for p in committed) < 100_000  # big files are generated


def test_corpus_summary(corpus_dir: Path, store_template: Path, tmp_path: Path, capsys) -> None:
    for case, cid in zip(CASES, IDS, strict=True):
        if cid not in _OUTCOMES:  # e.g. run alone with -k summary
            store = tmp_path / f"{len(_OUTCOMES)}.gpkg"
            shutil.copyfile(store_template, store)
            _OUTCOMES[cid] = run_case(case, corpus_dir, store)
    crashed = sorted(cid for cid in IDS if _OUTCOMES[cid].crashed)
    wrote = sorted(cid for cid in IDS if _OUTCOMES[cid].wrote)
    line = f"tried {len(IDS)} inputs: {len(crashed)} crashed, {len(wrote)} wrote anything"
    if wrote:
        line += f" (known gaps, see manifest.toml known_gap: {', '.join(wrote)})"
    with capsys.disabled():
        print(f"\n{line}")

    assert crashed == []
    assert set(wrote) == GAPS  # a gap that stopped writing must lose its known_gap key
    assert not Path("/tmp/geomon-pwned").exists()  # zip-slip members were never extracted
    assert not (BAD.parents[2] / "outlets.shp").exists()
