"""What only the PostGIS store does: tables typed from the specs with a GiST index and a unique
key, URLs for psycopg 3 with passwords kept out of reprs, clear errors from the server.

The backend-neutral store tests are in test_store.py and run on this backend too.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import sqlalchemy as sa
from shapely import Point

from geomon import validate
from geomon.errors import StoreError
from geomon.store import Store, open_store
from geomon.store.postgis import PostGISStore, engine_url

pytestmark = pytest.mark.postgis


@pytest.fixture
def pg(postgis_url: str) -> PostGISStore:
    store = open_store(postgis_url)
    yield store
    store.dispose()


def outlet(code: str) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {"code": [code], "name": [code], "type_l1": "其他排口", "receiving_water": "汉江",
         "district": "东城区", "district_code": "429005", "stage": "已排查",
         "deadline": pd.to_datetime(["2024-06-30"]), "sign_installed": [True]},
        geometry=[Point(112.8, 30.4)],
        crs=4326,
    )  # fmt: skip
    return validate.apply_dtypes(frame, "outlets")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@/db?host=/tmp/x", "postgresql+psycopg://u@/db?host=/tmp/x"),
    ],
)
def test_urls_use_psycopg_3(url: str, expected: str) -> None:
    assert engine_url(url) == expected


def test_open_store_routes_postgresql_urls_and_hides_the_password() -> None:
    store = open_store("postgresql://editor:s3cret@db.example/geomon")
    assert isinstance(store, PostGISStore) and isinstance(store, Store)
    assert repr(store) == "PostGISStore('postgresql://editor:***@db.example/geomon')"


def test_tables_are_typed_from_the_spec(pg: PostGISStore) -> None:
    monitoring = pd.DataFrame(
        {"section_code": ["S1"], "date": pd.to_datetime(["2023-01-10"]), "pH": [7.1]}
    )
    pg.write({"outlets": outlet("A1"), "monitoring": monitoring})
    inspector = sa.inspect(pg.engine)
    columns = {c["name"]: str(c["type"]) for c in inspector.get_columns("outlets")}
    assert columns["code"] == "TEXT"
    assert columns["deadline"] == "DATE"
    assert columns["sign_installed"] == "BOOLEAN"
    assert columns["_version"] == "BIGINT"
    assert columns["geom"].startswith("geometry(GEOMETRY,4326)")
    indexes = {i["name"]: i for i in inspector.get_indexes("outlets")}
    assert "idx_outlets_geom" in indexes
    with pg.engine.connect() as conn:
        method = conn.execute(sa.text(
            "SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam "
            "WHERE c.relname = 'idx_outlets_geom'"
        )).scalar()  # fmt: skip
        srid = conn.execute(sa.text("SELECT ST_SRID(geom) FROM outlets")).scalar()
    assert (method, srid) == ("gist", 4326)
    assert [u["column_names"] for u in inspector.get_unique_constraints("outlets")] == [["code"]]
    columns = {c["name"]: str(c["type"]) for c in inspector.get_columns("monitoring")}
    assert "geom" not in columns and columns["pH"] == "DOUBLE PRECISION"
    assert [u["column_names"] for u in inspector.get_unique_constraints("monitoring")] == [
        ["section_code", "date"]
    ]
    assert pg.layer_names() == ["monitoring", "outlets"]


def test_a_field_added_to_the_spec_gets_a_column(pg: PostGISStore) -> None:
    pg.write({"outlets": outlet("A1")})
    with pg.engine.begin() as conn:  # as if the table predates the `notes` field
        conn.execute(sa.text("ALTER TABLE outlets DROP COLUMN notes"))
    frame = outlet("A2").assign(notes="新字段")
    pg.write({"outlets": frame}, mode="upsert")
    assert pg.read("outlets")["notes"].tolist()[1] == "新字段"


def test_unreachable_server_is_a_store_error(tmp_path) -> None:
    store = open_store(f"postgresql://nobody@/nothing?host={tmp_path}&port=1")
    with pytest.raises(StoreError, match=r"read failed"):
        store.layer_names()
