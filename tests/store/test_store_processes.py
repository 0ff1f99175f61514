"""Stores under real processes, on every backend: concurrent writers and editors lose no update,
every change is in the history once, and a writer killed mid-import leaves the store as it was.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time

import geopandas as gpd
import pytest
import sqlalchemy as sa
from pandas.testing import assert_frame_equal
from shapely import Point

from geomon import validate
from geomon.store import Store

WRITER = textwrap.dedent(
    """
    import sys
    import geopandas as gpd
    from shapely import Point
    from geomon import validate
    from geomon.store import open_store

    url, prefix, count, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    store = open_store(url)
    for i in range(count):
        codes = [f"{prefix}{i:03d}-{j:06d}" for j in range(size)]
        frame = gpd.GeoDataFrame(
            {"code": codes, "name": codes, "type_l1": "其他排口", "receiving_water": "汉江",
             "district": "东城区", "district_code": "429005", "stage": "已排查"},
            geometry=[Point(112.8 + j * 1e-6, 30.4) for j in range(size)], crs=4326,
        )
        frame = validate.apply_dtypes(frame, "outlets")
        print("writing", flush=True)
        store.write({"outlets": frame}, mode="upsert", user=prefix, source="ledger.csv")
    """
)

EDITOR = textwrap.dedent(
    """
    import sys
    from geomon.errors import ConflictError
    from geomon.store import Edit, open_store

    url, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = open_store(url)
    conflicts = 0
    for i in range(count):
        codes = [f"C{i % 3}", f"C{(i + 1) % 3}"]  # two of the three rows, in one edit
        while True:
            frame = store.read("outlets", with_versions=True).set_index("code")
            edits = []
            for code in codes:
                notes = frame.at[code, "notes"]
                notes = notes if isinstance(notes, str) else ""
                version = int(frame.at[code, "_version"])
                edits.append(Edit(code, {"notes": f"{notes}{name}{i};"}, version))
            try:
                store.edit("outlets", edits, user=name, source="editor")
                break
            except ConflictError:
                conflicts += 1
    print(conflicts)
    """
)


def run(script: str, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)], stdout=subprocess.PIPE, text=True
    )


def mid_write(store: Store) -> bool:
    """Whether another process is in the middle of writing the outlets layer."""
    if hasattr(store, "path"):  # GeoPackage: the writer's temporary copy exists
        return bool(list(store.path.parent.glob(f".{store.path.stem}.*.tmp.gpkg")))
    with store.engine.connect() as conn:  # PostGIS: a transaction is inserting outlets
        busy = conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state <> 'idle' "
                "AND query ILIKE 'INSERT INTO outlets%'"
            )
        )
        return busy.scalar() > 0


@pytest.mark.slow
def test_two_concurrent_writers_lose_no_update(store: Store) -> None:
    writers = [run(WRITER, store.url, p, 15, 1) for p in ("A", "B")]
    for w in writers:
        assert w.wait(timeout=240) == 0
    codes = store.read("outlets")["code"]
    assert set(codes) == {f"{p}{i:03d}-000000" for p in "AB" for i in range(15)}
    assert len(codes) == 30
    assert store.revision() == 30
    history = store.history("outlets")
    assert sorted(history["key"]) == sorted(codes)
    assert sorted(history["revision"]) == list(range(1, 31))


@pytest.mark.slow
def test_concurrent_editors_lose_no_update_and_history_has_each_change_once(
    store: Store,
) -> None:
    codes = [f"C{r}" for r in range(3)]
    frame = gpd.GeoDataFrame(
        {
            "code": codes,
            "name": codes,
            "type_l1": "其他排口",
            "receiving_water": "汉江",
            "district": "东城区",
            "district_code": "429005",
            "stage": "已排查",
        },
        geometry=[Point(112.8 + r / 100, 30.4) for r in range(3)],
        crs=4326,
    )
    store.write({"outlets": validate.apply_dtypes(frame, "outlets")})
    count = 30
    editors = [run(EDITOR, store.url, name, count) for name in ("P", "Q")]
    outputs = [e.communicate(timeout=300)[0] for e in editors]
    assert [e.returncode for e in editors] == [0, 0], outputs

    stored = store.read("outlets", with_versions=True).set_index("code")
    history = store.history("outlets")
    updates = history[history["op"] == "update"]
    assert set(updates["field"]) == {"notes"}
    assert len(updates) == 2 * 2 * count  # two editors × two rows per edit × count edits
    assert store.revision() == 1 + 2 * count  # every edit committed exactly once
    for r, code in enumerate(codes):
        expected = {f"{n}{i}" for n in "PQ" for i in range(count) if r in (i % 3, (i + 1) % 3)}
        tokens = stored.at[code, "notes"].rstrip(";").split(";")
        assert sorted(tokens) == sorted(expected)  # nobody's update was lost, none doubled
        chain = updates[updates["key"] == code]
        assert chain["revision"].is_monotonic_increasing and chain["revision"].is_unique
        assert [None, *chain["new"].iloc[:-1]] == chain["old"].tolist()  # old = previous new
        assert chain["new"].iloc[-1] == stored.at[code, "notes"]
        assert stored.at[code, "_version"] == chain["revision"].iloc[-1]
        for old, new, user in zip(chain["old"], chain["new"], chain["user"], strict=True):
            assert new.startswith(old or "") and new[len(old or "") :].startswith(user)


@pytest.mark.slow
def test_writer_killed_mid_import_leaves_store_as_it_was(store: Store) -> None:
    first = run(WRITER, store.url, "OLD", 1, 3)
    assert first.wait(timeout=120) == 0
    digest = hashlib.sha256(store.path.read_bytes()).hexdigest() if hasattr(store, "path") else None
    before = store.read("outlets", with_versions=True)
    history, revision, info = store.history("outlets"), store.revision(), store.info("outlets")

    victim = run(WRITER, store.url, "NEW", 1, 100_000)
    assert victim.stdout is not None and victim.stdout.readline() == "writing\n"
    deadline = time.monotonic() + 120
    while not mid_write(store):
        assert victim.poll() is None, "writer finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)

    assert_frame_equal(store.read("outlets", with_versions=True), before)
    assert_frame_equal(store.history("outlets"), history)
    assert (store.revision(), store.info("outlets")) == (revision, info)
    assert store.read("outlets")["code"].tolist() == [f"OLD000-{j:06d}" for j in range(3)]
    if digest is not None:
        assert hashlib.sha256(store.path.read_bytes()).hexdigest() == digest
    # the next write succeeds (and on GeoPackage cleans up the killed writer's temporary copy)
    store.write({"outlets": store.read("outlets")}, mode="replace")
    assert store.revision() == revision + 1
    if digest is not None:
        assert not list(store.path.parent.glob(f".{store.path.stem}.*.tmp.gpkg"))
