"""The GeoPackage store under real processes: concurrent writers and a writer killed mid-write."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from geomon.store import open_store

WRITER = textwrap.dedent(
    """
    import sys
    import geopandas as gpd
    from shapely import Point
    from geomon import validate
    from geomon.store import open_store

    path, prefix, count, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    store = open_store(path)
    for i in range(count):
        codes = [f"{prefix}{i:03d}-{j:06d}" for j in range(size)]
        frame = gpd.GeoDataFrame(
            {"code": codes, "name": codes, "type_l1": "其他排口", "receiving_water": "汉江",
             "district": "东城区", "district_code": "429005", "stage": "已排查"},
            geometry=[Point(112.8 + j * 1e-6, 30.4) for j in range(size)], crs=4326,
        )
        print("writing", flush=True)
        store.write({"outlets": validate.apply_dtypes(frame, "outlets")}, mode="upsert")
    """
)


def run_writer(path: Path, prefix: str, count: int, size: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), prefix, str(count), str(size)],
        stdout=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_two_concurrent_writers_lose_no_update(tmp_path: Path) -> None:
    path = tmp_path / "s.gpkg"
    writers = [run_writer(path, p, 15, 1) for p in ("A", "B")]
    for w in writers:
        assert w.wait(timeout=240) == 0
    codes = open_store(path).read("outlets")["code"]
    expected = {f"{p}{i:03d}-000000" for p in "AB" for i in range(15)}
    assert set(codes) == expected
    assert len(codes) == 30
    assert open_store(path).revision() == 30


@pytest.mark.slow
def test_writer_killed_mid_write_leaves_store_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "s.gpkg"
    first = run_writer(path, "OLD", 1, 3)
    assert first.wait(timeout=120) == 0
    before = hashlib.sha256(path.read_bytes()).hexdigest()

    victim = run_writer(path, "NEW", 1, 200_000)
    assert victim.stdout is not None and victim.stdout.readline() == "writing\n"
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".s.*.tmp.gpkg")):  # the writer's temporary copy exists
        assert victim.poll() is None, "writer finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)

    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    store = open_store(path)
    assert store.read("outlets")["code"].tolist() == ["OLD000-000000", "OLD000-000001",
                                                     "OLD000-000002"]
    # the next write cleans up the killed writer's temporary copy
    store.write({"outlets": store.read("outlets")}, mode="replace")
    assert not list(tmp_path.glob(".s.*.tmp.gpkg"))
