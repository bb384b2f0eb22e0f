"""The user cache folder shared by every cache (history rows, tempo estimates): one place, one rule.

Each cache validates what it reads (an entry that does not match its schema is dropped, never trusted) and
the folder is kept under a size cap: :func:`prune` removes the oldest entries first, and entries of older
cache versions at once. :func:`clear` (``cadence cache clear``) removes every entry cadence wrote.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CACHE_ENTRIES", "CacheUsage", "clear", "default_cache_dir", "max_cache_bytes", "prune", "usage"]

#: what cadence writes in the cache folder (nothing else there is ever touched)
CACHE_ENTRIES = ("history-v*", "tempo-estimates-v*.json")
#: default size cap of the cache folder; ``$CADENCE_CACHE_MAX_MB`` overrides it
DEFAULT_MAX_MB = 256


def default_cache_dir() -> Path:
    """Return ``$CADENCE_CACHE_DIR``, else the user cache folder (``$XDG_CACHE_HOME/cadence`` on Linux)."""
    env = os.environ.get("CADENCE_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("cadence", appauthor=False))


def max_cache_bytes() -> int:
    """Return the cache size cap in bytes: ``$CADENCE_CACHE_MAX_MB`` (a number >= 0), else 256 MB."""
    raw = os.environ.get("CADENCE_CACHE_MAX_MB", "")
    try:
        mb = float(raw) if raw else DEFAULT_MAX_MB
    except ValueError:
        mb = DEFAULT_MAX_MB
    if not 0 <= mb < 1e9:
        mb = DEFAULT_MAX_MB
    return int(mb * 1024 * 1024)


@dataclass(frozen=True)
class CacheUsage:
    """What the cache folder holds: files and bytes of cadence's own entries."""

    folder: str
    n_files: int
    n_bytes: int


def _entries(cache_dir: Path) -> list[Path]:
    found: list[Path] = []
    for pattern in CACHE_ENTRIES:
        found.extend(cache_dir.glob(pattern))
    return sorted(found)


def _files(cache_dir: Path) -> list[tuple[float, int, Path]]:
    """Return (mtime, size, path) of every file in cadence's cache entries."""
    out = []
    for entry in _entries(cache_dir):
        paths = [entry] if entry.is_file() else [p for p in entry.rglob("*") if p.is_file()]
        for p in paths:
            with contextlib.suppress(OSError):
                st = p.lstat()
                out.append((st.st_mtime, st.st_size, p))
    return out


def usage(cache_dir: str | os.PathLike[str]) -> CacheUsage:
    """Count the files and bytes cadence keeps in ``cache_dir``."""
    files = _files(Path(cache_dir))
    return CacheUsage(os.fspath(cache_dir), len(files), sum(size for _, size, _ in files))


def prune(
    cache_dir: str | os.PathLike[str], max_bytes: int | None = None, *, stale: tuple[str, ...] = ()
) -> int:
    """Remove ``stale`` entries (names of old cache versions), then the oldest files beyond ``max_bytes``.

    Returns
    -------
    int
        How many files were removed. Errors (a read-only cache) are ignored: pruning is housekeeping.
    """
    root = Path(cache_dir)
    removed = 0
    for name in stale:
        target = root / name
        if target.is_dir() and not target.is_symlink():
            removed += sum(1 for p in target.rglob("*") if p.is_file())
            shutil.rmtree(target, ignore_errors=True)
    cap = max_cache_bytes() if max_bytes is None else max_bytes
    files = _files(root)
    total = sum(size for _, size, _ in files)
    for _, size, path in sorted(files, key=lambda f: f[0]):
        if total <= cap:
            break
        with contextlib.suppress(OSError):
            path.unlink()
            total -= size
            removed += 1
    return removed


def clear(cache_dir: str | os.PathLike[str]) -> CacheUsage:
    """Remove every cache entry cadence wrote in ``cache_dir``; return what was there."""
    root = Path(cache_dir)
    before = usage(root)
    for entry in _entries(root):
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()
    return before
