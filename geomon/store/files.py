"""Files kept in the store beside a row (evidence photos, PDFs): the record and the GeoPackage side.

A `StoredFile` belongs to one row of one layer (``layer`` + the row's key as history writes it,
`geomon.store.history_text.key_text`) and is identified there by ``file_id`` (the first 16 hex
digits of its SHA-256, so the same file added twice is kept once). Files travel with a write or an
edit (``files=`` of `Store.write` / `Store.edit`) and are stored in the same all-or-nothing step,
in the table ``geomon_files``: a plain SQLite table in the GeoPackage (BLOB columns, written into
the temporary copy before it is renamed over the store; not registered as a GeoPackage layer, so
GIS tools do not list it) and a ``bytea`` table in PostGIS (`geomon.store._pgschema.files_table`).

The store keeps what it is given: checking a file (size and type limits, the media type from its
magic bytes, EXIF time and position, the thumbnail) is `geomon.supervision.evidence`'s job, done
before a `StoredFile` is built.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from geomon.errors import StoreError

FILES_TABLE = "geomon_files"
FILE_COLUMNS = (
    "layer",
    "key",
    "file_id",
    "name",
    "media_type",
    "size",
    "sha256",
    "taken_at",
    "lon",
    "lat",
    "caption",
    "revision",
    "at",
    "user",
    "thumbnail",
)
"""Columns of `Store.files` (the file's bytes come from `Store.file_data`): the row it belongs to
(layer, key text), its id, the uploaded name, the checked media type, size in bytes, SHA-256 hex,
EXIF time (ISO 8601, as the camera wrote it) and position (WGS84 lon/lat) when present, a caption
(e.g. the workflow step it came with), the store revision, time (UTC ISO 8601) and user of the
write that added it, and the JPEG thumbnail's bytes (None for a PDF)."""


@dataclass(frozen=True, slots=True)
class StoredFile:
    """One file to store beside row `key` of `layer` (checked before: see the module docstring)."""

    layer: str
    key: str  # the row's key as text (history_text.key_text)
    name: str
    media_type: str
    data: bytes
    sha256: str
    taken_at: str | None = None
    lon: float | None = None
    lat: float | None = None
    thumbnail: bytes | None = None
    caption: str | None = None

    @property
    def file_id(self) -> str:
        """The file's id within its row: the first 16 hex digits of its SHA-256."""
        return self.sha256[:16]

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)


def check_targets(files: Sequence[StoredFile], layer: str, keys: Iterable[str]) -> None:
    """Refuse files that belong to another layer or to a row not in `keys` (nothing is written)."""
    known = set(keys)
    for f in files:
        if f.layer != layer or f.key not in known:
            msg = (
                f"file {f.name!r} belongs to {f.layer} {f.key}, which this write does not hold; "
                "nothing was saved"
            )
            raise StoreError(msg)


def records(
    files: Sequence[StoredFile], *, revision: int, at: str, user: str | None
) -> list[dict[str, Any]]:
    """Rows of ``geomon_files`` for `files` (one per distinct (layer, key, file id))."""
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for f in files:
        out[(f.layer, f.key, f.file_id)] = {
            "layer": f.layer,
            "key": f.key,
            "file_id": f.file_id,
            "name": f.name,
            "media_type": f.media_type,
            "size": f.size,
            "sha256": f.sha256,
            "taken_at": f.taken_at,
            "lon": f.lon,
            "lat": f.lat,
            "caption": f.caption,
            "revision": revision,
            "at": at,
            "user": user,
            "thumbnail": f.thumbnail,
            "data": f.data,
        }
    return list(out.values())


def empty_files() -> pd.DataFrame:
    """A `Store.files` answer with no rows."""
    return pd.DataFrame({c: pd.Series([], dtype="object") for c in FILE_COLUMNS})


def tidy(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """`Store.files` rows (in `FILE_COLUMNS` order) as a frame, oldest first."""
    if not rows:
        return empty_files()
    frame = pd.DataFrame([list(r) for r in rows], columns=list(FILE_COLUMNS), dtype="object")
    frame["thumbnail"] = [None if t is None else bytes(t) for t in frame["thumbnail"]]
    return frame.reset_index(drop=True)


# ------------------------------------------------------------------ GeoPackage (SQLite) side
_CREATE = f"""CREATE TABLE IF NOT EXISTS "{FILES_TABLE}" (
  "layer" TEXT NOT NULL, "key" TEXT NOT NULL, "file_id" TEXT NOT NULL, "name" TEXT NOT NULL,
  "media_type" TEXT NOT NULL, "size" INTEGER NOT NULL, "sha256" TEXT NOT NULL, "taken_at" TEXT,
  "lon" REAL, "lat" REAL, "caption" TEXT, "revision" INTEGER NOT NULL, "at" TEXT NOT NULL,
  "user" TEXT, "thumbnail" BLOB, "data" BLOB NOT NULL,
  PRIMARY KEY ("layer", "key", "file_id"))"""


def gpkg_add(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """Add `rows` (from `records`) to the GeoPackage at `path` (the writer's temporary copy).

    A file already stored for its row (same id) is kept as it was.
    """
    if not rows:
        return
    names = [*FILE_COLUMNS, "data"]
    marks = ", ".join("?" for _ in names)
    columns = ", ".join(f'"{n}"' for n in names)
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(_CREATE)
        conn.executemany(
            f'INSERT OR IGNORE INTO "{FILES_TABLE}" ({columns}) VALUES ({marks})',
            [[r[n] for n in names] for r in rows],
        )


def _read_only(path: Path) -> contextlib.closing[sqlite3.Connection]:
    return contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True))


def _has_table(conn: sqlite3.Connection) -> bool:
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (FILES_TABLE,)
    )
    return found.fetchone() is not None


def gpkg_files(path: Path, layer: str, key: str | None) -> pd.DataFrame:
    """The files stored in the GeoPackage at `path` for `layer` (row `key` if given)."""
    if not path.is_file():
        return empty_files()
    columns = ", ".join(f'"{n}"' for n in FILE_COLUMNS)
    where, params = '"layer" = ?', [layer]
    if key is not None:
        where, params = where + ' AND "key" = ?', [*params, key]
    try:
        with _read_only(path) as conn:
            if not _has_table(conn):
                return empty_files()
            rows = conn.execute(
                f'SELECT {columns} FROM "{FILES_TABLE}" WHERE {where} ORDER BY "revision", rowid',
                params,
            ).fetchall()
    except sqlite3.DatabaseError as exc:
        msg = f"{path}: cannot read stored files: {exc}"
        raise StoreError(msg) from exc
    return tidy(rows)


def gpkg_data(path: Path, layer: str, key: str, file_id: str) -> bytes:
    """The bytes of one stored file; `StoreError` if there is none."""
    found = None
    if path.is_file():
        with _read_only(path) as conn:
            if _has_table(conn):
                found = conn.execute(
                    f'SELECT "data" FROM "{FILES_TABLE}" '
                    'WHERE "layer" = ? AND "key" = ? AND "file_id" = ?',
                    (layer, key, file_id),
                ).fetchone()
    if found is None:
        msg = f"no stored file {file_id!r} for {layer} {key}"
        raise StoreError(msg)
    return bytes(found[0])


def write_zip(
    store: Any, layer: str, keys: Sequence[str] | None, target: Any, *, record: Any = None
) -> int:
    """Write the files stored beside `layer`'s rows (rows `keys`, or all) into a zip; return
    how many.

    The zip holds ``manifest.csv`` (`FILE_COLUMNS` less the thumbnail, UTF-8 with BOM so Excel
    reads it) and each file as ``<key>/<file_id>_<name>`` (the key and name made safe for a
    path). `record` (text, e.g. the row as JSON) is added as ``record.json`` when given. `target`
    is a path or a binary file object.
    """
    import csv  # noqa: PLC0415
    import io  # noqa: PLC0415
    import re  # noqa: PLC0415
    import zipfile  # noqa: PLC0415

    found = store.files(layer)
    if keys is not None:
        found = found[found["key"].isin(set(keys))]
    columns = [c for c in FILE_COLUMNS if c != "thumbnail"]
    manifest = io.StringIO()
    writer = csv.writer(manifest)
    writer.writerow([*columns, "path"])

    def safe(text: str) -> str:
        return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", str(text)) or "_"

    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for row in found.to_dict("records"):
            path = f"{safe(row['key'])}/{row['file_id']}_{safe(row['name'])}"
            archive.writestr(path, store.file_data(layer, row["key"], row["file_id"]))
            writer.writerow([*("" if row[c] is None else row[c] for c in columns), path])
        archive.writestr("manifest.csv", "\ufeff" + manifest.getvalue())
        if record is not None:
            archive.writestr("record.json", str(record))
    return len(found)
