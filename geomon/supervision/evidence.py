"""Evidence files (整改佐证、巡查照片): checked, read and made ready for the store.

A file is accepted only if it is within the size limit and is a JPEG, PNG or PDF **by its magic
bytes** (the name's suffix and the browser's claimed type are ignored), and an image only if
Pillow can decode it within its pixel limit (a decompression bomb is refused). From a photo the
EXIF time (DateTimeOriginal, else DateTime) and GPS position (WGS84 degrees, south/west negative)
are read when present, and a JPEG thumbnail is made (EXIF orientation applied, metadata dropped).
The limits are data (`geomon/rules/supervision.toml` ``[evidence]``).

Stored files are served back only with the media type checked here (`geomon.store.files`), never
executed; names are reduced to a plain base name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geomon.errors import EvidenceError
from geomon.messages import message
from geomon.rules.supervision import EvidenceLimits, rules
from geomon.store.files import StoredFile

_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME, _DATETIME_ORIGINAL = 0x0132, 0x9003


@dataclass(frozen=True, slots=True)
class Evidence:
    """One checked file: name, media type, bytes, SHA-256, EXIF time/position, thumbnail."""

    name: str
    media_type: str
    data: bytes
    sha256: str
    taken_at: str | None = None  # ISO 8601 as the camera wrote it (local time, no zone)
    lon: float | None = None
    lat: float | None = None
    thumbnail: bytes | None = None

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)

    def stored(self, layer: str, key: str, caption: str | None = None) -> StoredFile:
        """This file as a `StoredFile` beside row `key` of `layer`."""
        return StoredFile(
            layer=layer,
            key=key,
            name=self.name,
            media_type=self.media_type,
            data=self.data,
            sha256=self.sha256,
            taken_at=self.taken_at,
            lon=self.lon,
            lat=self.lat,
            thumbnail=self.thumbnail,
            caption=caption,
        )


def sniff(data: bytes) -> str | None:
    """The media type of `data` from its first bytes (JPEG, PNG, PDF), None for anything else."""
    for magic, media_type in _MAGIC:
        if data.startswith(magic):
            return media_type
    return None


def safe_name(name: str) -> str:
    """A plain base name: no folders, no control characters, at most 120 characters."""
    base = re.split(r"[\\/]", str(name))[-1]
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip() or "file"
    return base[-120:]


def _degrees(value: Any) -> float:
    d, m, s = (float(v) for v in value)
    return d + m / 60 + s / 3600


def _exif(image: Any) -> tuple[str | None, float | None, float | None]:
    exif = image.getexif()
    when = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    taken = None
    if isinstance(when, str):
        try:
            taken = dt.datetime.strptime(when.strip("\x00 "), "%Y:%m:%d %H:%M:%S").isoformat()
        except ValueError:
            taken = None
    gps = exif.get_ifd(_GPS_IFD)
    lon = lat = None
    try:
        if 2 in gps and 4 in gps:
            lat, lon = _degrees(gps[2]), _degrees(gps[4])
            lat = -lat if str(gps.get(1, "N")).upper().startswith("S") else lat
            lon = -lon if str(gps.get(3, "E")).upper().startswith("W") else lon
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                lon = lat = None
    except (TypeError, ValueError, ZeroDivisionError):
        lon = lat = None
    return taken, lon, lat


def _image(name: str, data: bytes, limits: EvidenceLimits) -> tuple[Any, ...]:
    from PIL import Image, ImageOps, UnidentifiedImageError  # noqa: PLC0415  (heavy; images only)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                taken, lon, lat = _exif(image)
                shown = ImageOps.exif_transpose(image).convert("RGB")
                shown.thumbnail((limits.thumbnail_px, limits.thumbnail_px))
                out = io.BytesIO()
                shown.save(out, format="JPEG", quality=80)
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
    ) as exc:
        msg = message(f"{name}：图片无法读取（{exc}）", f"{name}: the image cannot be read ({exc})")
        raise EvidenceError(msg) from exc
    return taken, lon, lat, out.getvalue()


def _check_size(name: str, size: int, limits: EvidenceLimits) -> None:
    if size > limits.max_bytes:
        mb = limits.max_bytes / 1024 / 1024
        msg = message(
            f"{name}：{size / 1024 / 1024:.1f} MB，超过单个文件上限 {mb:g} MB",
            f"{name}: {size / 1024 / 1024:.1f} MB, over the {mb:g} MB limit for one file",
        )
        raise EvidenceError(msg)


def check_evidence(name: str, data: bytes, *, limits: EvidenceLimits | None = None) -> Evidence:
    """Check one file against the limits and read it (see the module docstring).

    Raises `EvidenceError` naming the file and the reason for a file too large, of a type not
    allowed (by its magic bytes) or an image that cannot be decoded.
    """
    limits = limits or rules().evidence
    name = safe_name(name)
    if len(data) == 0:
        raise EvidenceError(message(f"{name}：文件为空", f"{name}: the file is empty"))
    _check_size(name, len(data), limits)
    media_type = sniff(data)
    if media_type is None or media_type not in limits.types:
        msg = message(
            f"{name}：不是允许的文件类型（按文件内容判断；允许 JPEG、PNG、PDF）",
            f"{name}: not an allowed file type (judged by its content; JPEG, PNG or PDF)",
        )
        raise EvidenceError(msg)
    taken = lon = lat = thumb = None
    if media_type.startswith("image/"):
        taken, lon, lat, thumb = _image(name, data, limits)
    return Evidence(
        name=name,
        media_type=media_type,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        taken_at=taken,
        lon=lon,
        lat=lat,
        thumbnail=thumb,
    )


def check_files(
    files: Sequence[tuple[str, bytes]], *, limits: EvidenceLimits | None = None
) -> list[Evidence]:
    """Check several (name, bytes) files for one step: every one, and their number."""
    limits = limits or rules().evidence
    if len(files) > limits.max_files:
        msg = message(
            f"一次最多上传 {limits.max_files} 个文件，收到 {len(files)} 个",
            f"at most {limits.max_files} files per step, got {len(files)}",
        )
        raise EvidenceError(msg)
    return [check_evidence(n, d, limits=limits) for n, d in files]


def read_paths(
    paths: Sequence[str | Path], *, limits: EvidenceLimits | None = None
) -> list[tuple[str, bytes]]:
    """(name, bytes) of files on disk; `EvidenceError` for one that cannot be read.

    A file over the size limit is refused before it is read (its size on disk).
    """
    limits = limits or rules().evidence
    out = []
    for p in paths:
        path = Path(p)
        try:
            _check_size(safe_name(path.name), path.stat().st_size, limits)
            out.append((path.name, path.read_bytes()))
        except OSError as exc:
            msg = message(f"{path}：无法读取（{exc}）", f"{path}: cannot be read ({exc})")
            raise EvidenceError(msg) from exc
    return out
