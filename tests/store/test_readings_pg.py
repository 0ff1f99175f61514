"""What only the PostGIS readings table does (geomon.store._readings_pg): month partitions
made on demand (Beijing months), new months attached after their COPY, the stations catalogue
that serves reads by section, and the migration of an older plain table.

The backend-neutral readings tests are in test_readings_store.py and run on PostGIS too.
"""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from geomon.errors import StoreError
from geomon.monitoring import READINGS_COLUMNS
from geomon.store import open_store
from geomon.store.postgis import PostGISStore

pytestmark = pytest.mark.postgis


@pytest.fixture
def pg(postgis_url: str) -> PostGISStore:
    store = open_store(postgis_url)
    yield store
    store.dispose()


def readings(rows: list[tuple]) -> pd.DataFrame:
    """Rows of (section, station, parameter, UTC time, step, value, flag)."""
    frame = pd.DataFrame(rows, columns=list(READINGS_COLUMNS))
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    return frame


def partitions(pg: PostGISStore) -> dict[str, int]:
    """Each partition of the readings table and how many rows it holds."""
    with pg.engine.connect() as conn:
        names = conn.execute(
            sa.text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'geomon_readings'::regclass ORDER BY 1"
            )
        ).scalars()
        return {n: conn.execute(sa.text(f'SELECT count(*) FROM "{n}"')).scalar() for n in names}


def sql(pg: PostGISStore, statement: str) -> list[tuple]:
    with pg.engine.begin() as conn:
        result = conn.execute(sa.text(statement))
        return [tuple(r) for r in result] if result.returns_rows else []


# 31 Jan 23:00 and 1 Feb 00:00 Beijing time lie in two months; in UTC both are on 31 Jan
EVE = readings(
    [
        ("S1", "MN01", "NH3N", "2023-01-31 15:00", "hour", 0.5, "N"),
        ("S1", "MN01", "NH3N", "2023-01-31 16:00", "hour", 0.6, "N"),
        ("S2", "MN02", "NH3N", "2023-01-31 16:00", "hour", 1.1, "N"),
    ]
)


def test_partitions_are_beijing_months_made_on_demand(pg: PostGISStore) -> None:
    stats = pg.write_readings(EVE)
    assert (stats.added, stats.updated) == (3, 0)
    assert partitions(pg) == {"geomon_readings_202301": 1, "geomon_readings_202302": 2}
    # later data: one more row in February (a partition already there), one in March (new)
    later = readings(
        [
            ("S1", "MN01", "NH3N", "2023-02-10 00:00", "hour", 0.7, "N"),
            ("S1", "MN01", "NH3N", "2023-02-28 16:00", "hour", 0.8, "N"),  # 1 Mar Beijing
        ]
    )
    stats = pg.write_readings(later)
    assert (stats.rows, stats.added, stats.updated, stats.deleted) == (2, 2, 0, 0)
    assert partitions(pg) == {
        "geomon_readings_202301": 1,
        "geomon_readings_202302": 3,
        "geomon_readings_202303": 1,
    }
    assert list(pg.read_readings(sections="S1")["value"]) == [0.5, 0.6, 0.7, 0.8]
    # the key is unique in every partition, its index and the time index are there too
    indexes = sql(
        pg,
        "SELECT indexrelid::regclass::text FROM pg_index "
        "WHERE indrelid = 'geomon_readings_202303'::regclass ORDER BY 1",
    )
    assert indexes == [("geomon_readings_202303_pkey",), ("geomon_readings_202303_time_idx",)]
    # one Beijing day read across the boundary
    day = pg.read_readings(start="2023-02-01", end="2023-02-01")
    assert list(day["station_mn"]) == ["MN01", "MN02"]


def test_upsert_overlapping_stored_readings_and_reaching_a_new_month(pg: PostGISStore) -> None:
    pg.write_readings(EVE)
    again = readings(
        [
            ("S1", "MN01", "NH3N", "2023-01-31 16:00", "hour", 0.65, "M"),  # stored: changed
            ("S1", "MN01", "NH3N", "2023-01-31 15:00", "hour", 0.5, "N"),  # stored: the same
            ("S1", "MN01", "NH3N", "2023-04-01 00:00", "hour", 0.9, "N"),  # April: new
        ]
    )
    stats = pg.write_readings(again, mode="upsert")
    assert (stats.rows, stats.added, stats.updated, stats.deleted) == (3, 1, 1, 0)
    assert partitions(pg) == {
        "geomon_readings_202301": 1,
        "geomon_readings_202302": 2,
        "geomon_readings_202304": 1,
    }
    got = pg.read_readings(sections="S1")
    assert list(zip(got["value"], got["flag"], strict=True)) == [
        (0.5, "N"),
        (0.65, "M"),
        (0.9, "N"),
    ]
    assert len(pg.read_readings(sections="S2")) == 1


def test_a_resent_file_rewrites_only_the_readings_that_changed(pg: PostGISStore) -> None:
    pg.write_readings(EVE)
    versions = "SELECT station_mn, time, xmin::text FROM geomon_readings ORDER BY 1, 2"
    before = sql(pg, versions)
    stats = pg.write_readings(EVE)  # the same file again
    assert (stats.added, stats.updated, stats.deleted) == (0, 0, 0)
    assert sql(pg, versions) == before  # no row version written
    changed = EVE.copy()
    changed.loc[2, "value"] = 1.2  # MN02's only reading
    stats = pg.write_readings(changed)
    assert (stats.added, stats.updated) == (0, 1)
    after = sql(pg, versions)
    assert [a == b for a, b in zip(before, after, strict=True)] == [True, True, False]


@pytest.mark.parametrize(
    "rows",
    [
        pytest.param(
            [  # two new months: March is attached before April's COPY fails
                ("S1", "MN01", "NH3N", "2023-03-05 00:00", "hour", 0.4, "N"),
                ("S1", "MN01", "NH3N", "2023-04-05 00:00", "hour", 666.0, "N"),
            ],
            id="new-partitions",
        ),
        pytest.param(
            [  # a new month, then the COPY into February (there already) fails
                ("S1", "MN01", "NH3N", "2023-05-05 00:00", "hour", 0.4, "N"),
                ("S3", "MN03", "NH3N", "2023-02-05 00:00", "hour", 666.0, "N"),
            ],
            id="existing-partition",
        ),
        pytest.param(
            [  # meets a stored reading: staged and merged, the new month made empty first
                ("S1", "MN01", "NH3N", "2023-01-31 16:00", "hour", 0.1, "N"),
                ("S1", "MN01", "NH3N", "2023-06-05 00:00", "hour", 666.0, "N"),
            ],
            id="merge",
        ),
    ],
)
def test_a_failed_import_leaves_the_table_exactly_as_it_was(pg: PostGISStore, rows) -> None:
    pg.write_readings(EVE)
    sql(pg, "ALTER TABLE geomon_readings ADD CONSTRAINT no_666 CHECK (value <> 666)")
    before, parts, revision = pg.read_readings(), partitions(pg), pg.revision()
    catalogue = sql(pg, "SELECT * FROM geomon_readings_stations ORDER BY 1")
    with pytest.raises(StoreError, match="no_666"):
        pg.write_readings(readings(rows), mode="replace")
    pd.testing.assert_frame_equal(pg.read_readings(), before)
    assert partitions(pg) == parts
    assert sql(pg, "SELECT * FROM geomon_readings_stations ORDER BY 1") == catalogue
    assert sql(pg, "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'geomon_readings%'") == [
        (6,)  # the parent, its two months, the stations catalogue, the log, the daily rollup
    ]
    assert pg.revision() == revision


def test_reads_by_section_follow_the_station_catalogue(pg: PostGISStore) -> None:
    pg.write_readings(EVE)
    moved = readings([("S9", "MN02", "NH3N", "2023-01-31 17:00", "hour", 1.3, "N")])
    pg.write_readings(moved)  # station MN02 now reports for section S9
    assert sql(pg, "SELECT * FROM geomon_readings_stations ORDER BY 1, 2") == [
        ("S1", "MN01"),
        ("S2", "MN02"),
        ("S9", "MN02"),
    ]
    assert list(pg.read_readings(sections="S9")["value"]) == [1.3]
    assert list(pg.read_readings(sections=["S2", "S9"])["value"]) == [1.1, 1.3]
    # S2's only reading moves to S9: the pair (S2, MN02) stays, reads by S2 find nothing
    gone = readings([("S9", "MN02", "NH3N", "2023-01-31 16:00", "hour", 1.2, "N")])
    stats = pg.write_readings(gone, mode="replace")
    assert (stats.added, stats.updated, stats.deleted) == (0, 1, 0)
    assert pg.read_readings(sections="S2").empty
    assert list(pg.read_readings(sections="S9")["value"]) == [1.2, 1.3]


OLD_LAYOUT = (  # geomon_readings as stores written before partitions have it
    """CREATE TABLE geomon_readings (
        section_code text NOT NULL, station_mn text NOT NULL, parameter text NOT NULL,
        step text NOT NULL, time timestamptz NOT NULL, value double precision,
        flag text NOT NULL, PRIMARY KEY (station_mn, parameter, step, time))""",
    "CREATE INDEX geomon_readings_series ON geomon_readings (section_code, parameter, step, time)",
    """CREATE INDEX geomon_readings_day ON geomon_readings
        (step, time) INCLUDE (section_code, station_mn, parameter, value, flag)""",
    """INSERT INTO geomon_readings VALUES
        ('S1', 'MN01', 'NH3N', 'hour', '2023-01-31 15:00+00', 0.5, 'N'),
        ('S1', 'MN01', 'NH3N', 'hour', '2023-01-31 16:00+00', 0.6, 'N'),
        ('S2', 'MN02', 'DO', 'hour', '2023-03-01 00:00+00', NULL, 'D')""",
)


def test_an_older_plain_readings_table_is_migrated_by_the_next_write(pg: PostGISStore) -> None:
    for statement in OLD_LAYOUT:
        sql(pg, statement)
    before = pg.read_readings()  # read as it is: no migration on reading
    assert list(before["value"].fillna(-1)) == [0.5, 0.6, -1]
    assert list(pg.read_readings(sections="S2")["parameter"]) == ["DO"]
    stats = pg.write_readings(
        readings(
            [
                ("S1", "MN01", "NH3N", "2023-01-31 16:00", "hour", 0.7, "N"),  # stored: update
                ("S1", "MN01", "NH3N", "2023-01-31 17:00", "hour", 0.8, "N"),  # new
            ]
        )
    )
    assert (stats.added, stats.updated, stats.deleted) == (1, 1, 0)
    assert sql(pg, "SELECT relkind::text FROM pg_class WHERE relname = 'geomon_readings'") == [
        ("p",)
    ]
    assert partitions(pg) == {
        "geomon_readings_202301": 1,
        "geomon_readings_202302": 2,
        "geomon_readings_202303": 1,
    }
    assert sql(pg, "SELECT * FROM geomon_readings_stations ORDER BY 1") == [
        ("S1", "MN01"),
        ("S2", "MN02"),
    ]
    assert sql(pg, "SELECT to_regclass('geomon_readings_unpartitioned')::text") == [(None,)]
    assert sql(pg, "SELECT to_regclass('geomon_readings_series')::text") == [(None,)]
    assert list(pg.read_readings(sections="S1")["value"]) == [0.5, 0.7, 0.8]
    after = pg.read_readings(sections="S2")
    assert (after["flag"].iloc[0], pd.isna(after["value"].iloc[0])) == ("D", True)
