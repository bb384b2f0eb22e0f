"""Open what activity files come packed in: ``.gz``, ``.zip`` and zips inside zips, in memory and guarded.

A member of an archive is named by a path that runs through it, the way a runner would read it:
``export.zip/activities/123.fit.gz``,
``garmin.zip/DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0.zip/456_ACTIVITY.fit``.
:func:`read_source` turns such a path (or a plain file) into bytes. Nothing is extracted to disk: members
are decompressed in memory, under :class:`ArchiveLimits` (zip bombs: a size and a ratio limit, checked
while decompressing, not trusted from the header) and member names that could escape a folder (absolute
paths, ``..``) are refused.
"""

from __future__ import annotations

import gzip
import io
import os
import posixpath
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO

from ..errors import InputFormatError, ParameterError

__all__ = [
    "ArchiveLimits",
    "archive_members",
    "gunzip",
    "is_gzip",
    "is_zip",
    "read_source",
    "split_source",
    "unsafe_member_name",
]

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ArchiveLimits:
    """How much an archive may unpack to (a guard against zip bombs).

    Parameters
    ----------
    max_member_bytes : int
        Largest decompressed member (default 1 GiB; a 24 h FIT file is about 30 MB, its TCX about 150 MB).
    max_ratio : float
        Largest decompressed / compressed size for a member over ``ratio_floor_bytes`` (default 200; activity
        XML compresses 10-30x, FIT 3-5x, a zip bomb 1000x and more).
    ratio_floor_bytes : int
        Members smaller than this (default 8 MiB) are not held to the ratio (tiny files compress oddly).
    max_depth : int
        How many zips deep to look (default 3: Garmin Connect puts zips in a zip).

    """

    max_member_bytes: int = 1 << 30
    max_ratio: float = 200.0
    ratio_floor_bytes: int = 8 << 20
    max_depth: int = 3

    def __post_init__(self) -> None:
        bad = self.max_member_bytes <= 0 or self.max_ratio <= 1 or self.ratio_floor_bytes < 0
        if bad or self.max_depth < 1:
            raise ParameterError(f"archive limits out of range: {self}")

    def cap(self, compressed_bytes: int) -> int:
        """Most bytes a member of ``compressed_bytes`` may decompress to."""
        by_ratio = int(max(compressed_bytes, 1) * self.max_ratio)
        return min(self.max_member_bytes, max(by_ratio, self.ratio_floor_bytes))


DEFAULT_LIMITS = ArchiveLimits()


def is_gzip(head: bytes) -> bool:
    """Whether ``head`` starts a gzip stream."""
    return head[:2] == GZIP_MAGIC


def is_zip(head: bytes) -> bool:
    """Whether ``head`` starts a zip archive (an empty zip starts with its end record)."""
    return head[:4] == ZIP_MAGIC or head[:4] == b"PK\x05\x06"


def _read_capped(fh: IO[bytes] | gzip.GzipFile, cap: int, name: str) -> bytes:
    out = bytearray()
    while True:
        chunk = fh.read(_CHUNK)
        if not chunk:
            return bytes(out)
        out += chunk
        if len(out) > cap:
            raise InputFormatError(
                name, f"decompresses to more than {cap // (1 << 20)} MiB: refused (a zip bomb?)"
            )


def gunzip(data: bytes, name: str, limits: ArchiveLimits = DEFAULT_LIMITS) -> bytes:
    """Decompress gzip ``data`` in memory, refusing more than the limits allow.

    Raises
    ------
    InputFormatError
        Corrupt or truncated gzip, or over the limits.
    """
    import zlib

    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            return _read_capped(fh, limits.cap(len(data)), name)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputFormatError(name, f"corrupt or truncated gzip ({exc})") from None


def unsafe_member_name(member: str) -> str | None:
    """Say why a member name is refused (absolute, a drive, climbing out with ``..``); ``None`` if safe."""
    if member.startswith(("/", "\\")) or (len(member) > 1 and member[1] == ":"):
        return "absolute path"
    parts = member.replace("\\", "/").split("/")
    if ".." in parts:
        return "path climbs out of the archive ('..')"
    if "\x00" in member:
        return "NUL in the name"
    return None


def _open_zip(data: bytes | str, name: str) -> zipfile.ZipFile:
    """Open a zip from bytes, or from a path on disk (random access: a big export is not read whole)."""
    try:
        return zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputFormatError(name, f"corrupt zip ({exc})") from None


def _member_bytes(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, limits: ArchiveLimits) -> bytes:
    if info.file_size > limits.max_member_bytes:
        raise InputFormatError(name, f"member of {info.file_size} bytes is over the limit: refused")
    if info.flag_bits & 0x1:
        raise InputFormatError(name, "encrypted zip member")
    try:
        with zf.open(info) as fh:
            return _read_capped(fh, limits.cap(info.compress_size), name)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise InputFormatError(name, f"corrupt zip member ({exc})") from None


def archive_members(
    data: bytes | str,
    name: str,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    depth: int = 1,
    *,
    read_files: bool = True,
) -> Iterator[tuple[str, bytes | None, str | None]]:
    """Walk a zip (bytes, or a path on disk) and the zips in it: ``(member path, bytes, refusal)`` per file.

    ``member path`` runs through the nested zips (``inner.zip/file.fit``). A refused member (unsafe name,
    over the limits, encrypted, nested too deep) comes with ``bytes=None`` and the reason. Folders and
    macOS resource forks (``__MACOSX/``) are left out. With ``read_files=False`` only nested zips are
    decompressed (to list what they hold): the other members come with ``bytes=None`` and no refusal.
    """
    zf = _open_zip(data, name)
    with zf:
        for info in zf.infolist():
            member = info.filename
            if info.is_dir() or member.startswith("__MACOSX/") or PurePosixPath(member).name.startswith("._"):
                continue
            why = unsafe_member_name(member)
            if why:
                yield member, None, why
                continue
            full = f"{name}/{member}"
            nested = member.lower().endswith(".zip")
            if not read_files and not nested:
                if info.file_size > limits.max_member_bytes:
                    yield member, None, f"member of {info.file_size} bytes is over the limit"
                else:
                    yield member, None, None
                continue
            try:
                content = _member_bytes(zf, info, full, limits)
            except InputFormatError as exc:
                yield member, None, exc.problem
                continue
            if is_zip(content[:4]) and nested:
                if depth >= limits.max_depth:
                    yield member, None, f"zip nested more than {limits.max_depth} deep"
                    continue
                try:
                    inner = archive_members(content, full, limits, depth + 1, read_files=read_files)
                    for sub, sub_bytes, sub_why in inner:
                        yield f"{member}/{sub}", sub_bytes, sub_why
                except InputFormatError as exc:
                    yield member, None, exc.problem
                continue
            yield member, content, None


def split_source(path: str) -> tuple[str, list[str]]:
    """Split a path into the file on disk and the member path inside it (``[]`` for a plain file).

    The member path is split at each nested zip:
    ``a.zip/x/b.zip/c.fit`` -> ``("a.zip", ["x/b.zip", "c.fit"])``.
    Raises :class:`InputFormatError` when no part of the path exists.
    """
    if os.path.exists(path):
        return path, []
    head, rest = path, ""
    while True:
        parent, tail = os.path.split(head)
        if not tail or parent == head:
            raise InputFormatError(path, "no such file")
        rest = f"{tail}/{rest}" if rest else tail
        head = parent
        if os.path.isfile(head):
            break
        if os.path.isdir(head) or not head:
            raise InputFormatError(path, "no such file")
    parts: list[str] = []
    current: list[str] = []
    for piece in rest.split("/"):
        current.append(piece)
        if piece.lower().endswith(".zip"):
            parts.append("/".join(current))
            current = []
    if current:
        parts.append("/".join(current))
    return head, parts


def read_source(path: str, limits: ArchiveLimits = DEFAULT_LIMITS) -> bytes:
    """Bytes of a file, or of an archive member named through its zips (see the module docstring).

    The zip a member is read from is kept open for the next call (see :func:`_container`): reading the
    members of an export one by one does not reread its index, nor decompress a nested zip again, per member.

    Raises
    ------
    InputFormatError
        Missing, unreadable, not inside a zip, refused member, or over the limits.
    """
    disk, parts = split_source(path)
    try:
        with open(disk, "rb") as fh:
            if not parts:
                return fh.read()
            head = fh.read(4)
            st = os.fstat(fh.fileno())
    except OSError as exc:
        raise InputFormatError(disk, f"cannot be read ({exc.strerror or exc})") from None
    if not is_zip(head):
        raise InputFormatError(path, f"{disk} is not a zip archive")
    zf, where = _container(disk, (st.st_ino, st.st_size, st.st_mtime_ns), parts, path, limits)
    _check_part(path, parts[-1], len(parts), limits)
    return _read_member(zf, parts[-1], where, path, limits)


def _check_part(path: str, part: str, depth: int, limits: ArchiveLimits) -> None:
    if depth > limits.max_depth:
        raise InputFormatError(path, f"zip nested more than {limits.max_depth} deep")
    why = unsafe_member_name(part)
    if why:
        raise InputFormatError(path, f"refused member name: {why}")


def _read_member(zf: zipfile.ZipFile, part: str, where: str, path: str, limits: ArchiveLimits) -> bytes:
    try:
        info = zf.getinfo(part)
    except KeyError:
        raise InputFormatError(path, f"no member {part!r} in {where}") from None
    return _member_bytes(zf, info, path, limits)


_ContainerKey = tuple[str, tuple[int, int, int], tuple[str, ...], ArchiveLimits]
#: the zips :func:`read_source` read its last members from, most recent last (a process's own: see below)
_OPEN_ZIPS: OrderedDict[_ContainerKey, tuple[zipfile.ZipFile, str]] = OrderedDict()
_OPEN_ZIPS_MAX = 2
_OPEN_ZIPS_LOCK = threading.Lock()
#: hits and misses of :data:`_OPEN_ZIPS` (for tests and benchmarks)
_OPEN_ZIPS_STATS = {"hits": 0, "misses": 0}


def _container(
    disk: str, stamp: tuple[int, int, int], parts: list[str], path: str, limits: ArchiveLimits
) -> tuple[zipfile.ZipFile, str]:
    """Return the open zip that holds the last of ``parts``, and its name (``disk``, or a zip nested in it).

    The parts are checked in the order :func:`read_source` always did (each name before the zip it is
    looked up in is opened). Up to :data:`_OPEN_ZIPS_MAX` zips are kept open, keyed by the file on disk
    (inode, size and modification time: a changed file is opened afresh), the nested path and the limits;
    a nested zip is held decompressed in memory (no more than ``limits`` let it decompress to). A forked
    worker starts with none (an inherited open file shares its offset with the parent's).
    """
    nested = tuple(parts[:-1])
    key = (disk, stamp, nested, limits)
    with _OPEN_ZIPS_LOCK:
        hit = _OPEN_ZIPS.get(key)
        if hit is not None:
            _OPEN_ZIPS.move_to_end(key)
            _OPEN_ZIPS_STATS["hits"] += 1
            return hit
    _check_part(path, parts[0], 1, limits)
    zf = _open_zip(disk, disk)  # the outer zip is opened from disk (random access)
    where = disk
    try:
        for depth, part in enumerate(nested, start=1):
            member = _read_member(zf, part, where, path, limits)
            zf.close()
            where = posixpath.join(where, part)
            if not is_zip(member[:4]):
                raise InputFormatError(path, f"{where} is not a zip archive")
            _check_part(path, parts[depth], depth + 1, limits)
            zf = _open_zip(member, where)
    except BaseException:
        zf.close()
        raise
    with _OPEN_ZIPS_LOCK:
        _OPEN_ZIPS_STATS["misses"] += 1
        _OPEN_ZIPS[key] = (zf, where)
        while len(_OPEN_ZIPS) > _OPEN_ZIPS_MAX:
            _OPEN_ZIPS.popitem(last=False)  # not closed here: another thread may be reading it
    return zf, where


def _forget_open_zips() -> None:
    _OPEN_ZIPS.clear()


os.register_at_fork(after_in_child=_forget_open_zips)
