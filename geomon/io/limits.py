"""Upload limits enforced by the library (not only by Streamlit's ``maxUploadSize``).

`geomon.io.read` checks every source against an `UploadLimits` (from `Settings`): the file type,
its size, and for archives (zipped Shapefiles, KMZ, XLSX) the number of members, their paths,
their total unpacked size and each member's compression ratio. Members are read in memory and
counted as they are inflated; a Shapefile's parts are written to a temporary directory under
fixed names, never under the names the archive gives.

`ReadError` codes (stable)
--------------------------
``too_large``           the file is bigger than ``max_upload_mb``
``too_many_files``      an archive has more than ``max_files`` members, or an upload more files
``zip_bomb``            an archive unpacks to more than ``max_unzipped_mb``, or one member of
                        over 1 MiB is compressed more than ``max_zip_ratio`` : 1
``unsafe_path``         an archive member with an absolute path, ``..``, a drive letter or a
                        symbolic link (zip-slip)
``unsupported_format``  an extension not in ``allowed_types``
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from geomon import config
from geomon.errors import ReadError
from geomon.io.formats import READABLE_SUFFIXES
from geomon.messages import message

MIB = 1024**2
RATIO_MIN_BYTES = MIB  # smaller members may compress as well as they like: they cannot hurt
_CHUNK = MIB


@dataclass(frozen=True, slots=True)
class UploadLimits:
    """What `geomon.io.read` accepts; sizes in bytes."""

    max_bytes: int = 200 * MIB
    max_unzipped_bytes: int = 1024 * MIB
    max_files: int = 100
    max_ratio: float = 200.0
    allowed_types: tuple[str, ...] = READABLE_SUFFIXES

    @classmethod
    def from_settings(cls, settings: config.Settings) -> UploadLimits:
        """The limits `settings` ask for (sizes there are in MiB)."""
        return cls(
            max_bytes=settings.max_upload_mb * MIB,
            max_unzipped_bytes=settings.max_unzipped_mb * MIB,
            max_files=settings.max_files,
            max_ratio=settings.max_zip_ratio,
            allowed_types=tuple(t.lower() for t in settings.allowed_types),
        )


def current() -> UploadLimits:
    """The limits of the environment's settings (`geomon.config.from_env`)."""
    return UploadLimits.from_settings(config.from_env())


def _mib(n: float) -> str:
    return f"{n / MIB:.1f} MiB" if n < 10 * MIB else f"{n / MIB:.0f} MiB"


# --- single files ------------------------------------------------------------------------------


def check_type(name: str, limits: UploadLimits) -> None:
    """Raise ``unsupported_format`` unless `name`'s extension is allowed."""
    ext = Path(name).suffix.lower()
    if ext not in limits.allowed_types:
        allowed = ", ".join(limits.allowed_types)
        msg = message(
            f"不接受的文件类型：{name}（允许：{allowed}）",
            f"file type {ext or '(no extension)'!r} of {name} is not accepted (allowed: {allowed})",
        )
        raise ReadError(msg, code="unsupported_format", path=name)


def check_size(size: int, name: str, limits: UploadLimits) -> None:
    """Raise ``too_large`` if `size` bytes is over the upload limit."""
    if size > limits.max_bytes:
        msg = message(
            f"{name} 太大（{_mib(size)}，上限 {_mib(limits.max_bytes)}）",
            f"{name} is too large ({_mib(size)}; the limit is {_mib(limits.max_bytes)})",
        )
        raise ReadError(msg, code="too_large", path=name)


def read_limited(stream: IO[bytes], name: str, limits: UploadLimits) -> bytes:
    """Read an upload, but never more than one byte past the limit (``too_large``)."""
    data = stream.read(limits.max_bytes + 1)
    check_size(len(data), name, limits)
    return data


def check_batch(files: Iterable[tuple[str, int]], limits: UploadLimits) -> None:
    """Check one upload of several files, given as (name, size in bytes).

    Raises ``too_many_files``, then ``unsupported_format`` or ``too_large`` for the first bad file.
    """
    files = list(files)
    if len(files) > limits.max_files:
        msg = message(
            f"一次上传了 {len(files)} 个文件，最多 {limits.max_files} 个",
            f"{len(files)} files in one upload; at most {limits.max_files}",
        )
        raise ReadError(msg, code="too_many_files")
    for name, size in files:
        check_type(name, limits)
        check_size(size, name, limits)


# --- archives ----------------------------------------------------------------------------------


def is_safe_member(member: str) -> bool:
    """Whether a member name stays inside the folder it is unpacked to (no zip-slip)."""
    p = PurePosixPath(member.replace("\\", "/"))
    return not (p.is_absolute() or ".." in p.parts or re.match(r"^[A-Za-z]:", member))


def is_ignored_member(member: str) -> bool:
    """macOS resource forks (``__MACOSX/``, ``._x``): harmless, never read."""
    p = PurePosixPath(member.replace("\\", "/"))
    return "__MACOSX" in p.parts or p.name.startswith("._")


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def check_archive(
    zf: zipfile.ZipFile, name: str, limits: UploadLimits, *, count_members: bool = True
) -> list[zipfile.ZipInfo]:
    """
    Check an archive's directory before anything is inflated; return its usable file members.

    Parameters
    ----------
    zf
        The open archive.
    name
        The upload's name, for messages.
    limits
        The limits to enforce.
    count_members
        Whether ``max_files`` applies (a zipped Shapefile or KMZ: yes; an XLSX, whose parts
        Excel makes, no).

    Raises
    ------
    ReadError
        ``too_many_files``, ``unsafe_path`` or ``zip_bomb`` (see the module docstring).
    """
    infos = zf.infolist()
    if count_members and len(infos) > limits.max_files:
        msg = message(
            f"{name} 中有 {len(infos)} 个文件，最多 {limits.max_files} 个",
            f"{name} holds {len(infos)} files; at most {limits.max_files} are accepted",
        )
        raise ReadError(msg, code="too_many_files", path=name)
    unsafe = [i.filename for i in infos if not is_safe_member(i.filename) or _is_symlink(i)]
    if unsafe:
        shown = ", ".join(repr(u) for u in unsafe[:3])
        msg = message(
            f"{name} 含有不安全的路径或链接（{shown}），已拒绝",
            f"{name} has unsafe member path(s) or links ({shown}); refused",
        )
        raise ReadError(msg, code="unsafe_path", path=name)
    files = [i for i in infos if not i.is_dir() and not is_ignored_member(i.filename)]
    total = sum(i.file_size for i in files)
    if total > limits.max_unzipped_bytes:
        msg = message(
            f"{name} 解压后 {_mib(total)}，超过上限 {_mib(limits.max_unzipped_bytes)}",
            f"{name} unpacks to {_mib(total)}, over the limit of "
            f"{_mib(limits.max_unzipped_bytes)} (zip bomb?)",
        )
        raise ReadError(msg, code="zip_bomb", path=name)
    for i in files:
        ratio = i.file_size / max(i.compress_size, 1)
        if i.file_size >= RATIO_MIN_BYTES and ratio > limits.max_ratio:
            msg = message(
                f"{name} 中的 {i.filename} 压缩比 {ratio:.0f}:1，疑似压缩炸弹",
                f"{i.filename} in {name} is compressed {ratio:.0f}:1 (over "
                f"{limits.max_ratio:.0f}:1): a zip bomb?",
            )
            raise ReadError(msg, code="zip_bomb", path=name)
    return files


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, budget: int) -> bytes:
    """Inflate one member in memory, counting bytes: more than `budget` raises ``zip_bomb``."""
    out = bytearray()
    with zf.open(info) as fh:
        while chunk := fh.read(_CHUNK):
            out += chunk
            if len(out) > budget:
                msg = message(
                    f"{name} 中的 {info.filename} 解压后超过上限",
                    f"{info.filename} in {name} unpacks to more than the limit (zip bomb?)",
                )
                raise ReadError(msg, code="zip_bomb", path=name)
    return bytes(out)


def check_archive_bytes(
    data: bytes | Path, name: str, limits: UploadLimits, *, count_members: bool = True
) -> None:
    """`check_archive` on a file or bytes that should be a zip; not a zip at all is left to the
    format's reader (which reports it as unreadable)."""
    source: Path | IO[bytes] = data if isinstance(data, Path) else io.BytesIO(data)
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return
    with zf:
        check_archive(zf, name, limits, count_members=count_members)
