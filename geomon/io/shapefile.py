"""Shapefile parts for `geomon.io.read`: unzip (within `geomon.io.limits`), copy, DBF encodings.

One Shapefile's parts are copied under fixed names into a temporary directory (from a zip or
beside a loose .shp), the DBF encoding is chosen (.cpg, else UTF-8, else GB18030) and field names
cut inside a character are repaired. Split out of ``geomon.io.read`` (module size).
"""

from __future__ import annotations

import codecs
import io
import shutil
import zipfile
from pathlib import Path, PurePosixPath

from geomon.errors import ReadError
from geomon.io import limits as glimits
from geomon.messages import Issue, cannot_read, message
from geomon.specs import LayerSpec


def _unzip_shapefile(
    data: bytes,
    tmpdir: Path,
    spec: LayerSpec,
    name: str,
    limits: glimits.UploadLimits | None = None,
) -> tuple[Path, list[Issue]]:
    """Copy one Shapefile's parts out of a zip under fixed safe names; return the .shp path.

    The zip is checked against `limits` first (member count, unsafe paths, unpacked size,
    compression ratio) and every part is inflated in memory with a byte budget.
    """
    limits = limits or glimits.current()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = glimits.check_archive(zf, name, limits)
            shps = sorted(
                (m for m in members if m.filename.lower().endswith(".shp")),
                key=lambda m: (PurePosixPath(m.filename).stem.casefold() != spec.name, m.filename),
            )
            if not shps:
                msg = message(f"{name} 中没有 .shp 文件", f"{name} contains no .shp file")
                raise ReadError(msg, code="no_shapefile", path=name)
            stem = shps[0].filename[:-4].casefold()
            parts = [m for m in members if m.filename.rsplit(".", 1)[0].casefold() == stem]
            budget = limits.max_unzipped_bytes
            for m in parts:
                content = glimits.read_member(zf, m, name, budget)
                budget -= len(content)
                (tmpdir / f"layer.{m.filename.rsplit('.', 1)[1].lower()}").write_bytes(content)
    except ReadError:
        raise
    except Exception as exc:  # BadZipFile, CRC errors, truncated members
        raise cannot_read(name, exc, tmp=tmpdir) from exc
    issues = []
    if len(shps) > 1:
        used = shps[0].filename
        text = message(
            f"{name} 中有 {len(shps)} 个 .shp，只读取了 {used}",
            f"{name} holds {len(shps)} .shp files; only {used} was read",
        )
        issues.append(Issue(None, None, "multiple_shapefiles", text, "warning"))
    return tmpdir / "layer.shp", issues


def _copy_shapefile(shp: Path, tmpdir: Path) -> Path:
    for part in shp.parent.iterdir():
        if part.stem == shp.stem and part.is_file():
            shutil.copyfile(part, tmpdir / f"layer{part.suffix.lower()}")
    return tmpdir / "layer.shp"


def _shapefile_encoding(shp: Path, name: str) -> str | None:
    """
    Encoding to read the DBF with: None lets GDAL honour a .cpg; without one, UTF-8 if the DBF
    decodes as UTF-8, else GB18030 (GBK). Field names cut inside a character are repaired.
    """
    parts = {p.suffix.lower(): p for p in shp.parent.iterdir() if p.stem == shp.stem}
    missing = [e for e in (".shx", ".dbf") if e not in parts]
    if missing:
        msg = message(
            f"{name} 缺少 Shapefile 组成文件 {'、'.join(missing)}",
            f"{name} lacks the Shapefile part(s) {', '.join(missing)}",
        )
        raise ReadError(msg, code="incomplete_shapefile", path=name)
    dbf = parts[".dbf"].read_bytes()
    if ".cpg" in parts:
        codec, encoding = _codec(parts[".cpg"].read_text("ascii", errors="replace").strip()), None
    else:
        codec = "utf-8" if _decodes(dbf, "utf-8") else "gb18030"
        encoding = codec.upper()
    if codec is not None:
        parts[".dbf"].write_bytes(_repair_field_names(dbf, codec))
    return encoding


def _codec(label: str) -> str | None:
    """Python codec for a .cpg label ("UTF-8", "GBK", "936"), or None if unknown."""
    for candidate in (label, f"cp{label}"):
        try:
            return codecs.lookup(candidate).name
        except LookupError:
            continue
    return None


def _name_slots(dbf: bytes) -> tuple[list[int], int]:
    """Offsets of the DBF's 32-byte field descriptors, and the header length."""
    # a corrupt DBF may claim a header longer than the file (found by tests/data/bad)
    header_len = min(int.from_bytes(dbf[8:10], "little"), len(dbf)) if len(dbf) >= 32 else len(dbf)
    slots = []
    for i in range(32, header_len - 31, 32):
        if dbf[i] == 0x0D:
            break
        slots.append(i)
    return slots, header_len


def _decodes(dbf: bytes, codec: str) -> bool:
    """Whether field names (allowing a cut last character) and records decode with `codec`."""
    slots, header_len = _name_slots(dbf)
    try:
        for i in slots:
            raw = dbf[i : i + 11].split(b"\0")[0]
            codecs.getincrementaldecoder(codec)().decode(raw, final=False)
        dbf[header_len:].decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def _repair_field_names(dbf: bytes, codec: str) -> bytes:
    """Drop bytes of a character cut by the 10-byte name limit (GDAL writes "排污口\\xe7")."""
    out = bytearray(dbf)
    for i in _name_slots(dbf)[0]:
        raw = dbf[i : i + 11].split(b"\0")[0]
        fixed = raw.decode(codec, errors="ignore").encode(codec)
        out[i : i + 11] = fixed[:11].ljust(11, b"\0")
    return bytes(out)
