"""The user cache folder shared by every cache, and the content-keyed parallel runner over many files.

Each cache validates what it reads (an entry that does not match its schema is dropped, never trusted) and
the folder is kept under a size cap: :func:`prune` removes the oldest entries first, and entries of older
cache versions at once. :func:`clear` (``cadence cache clear``) removes every entry cadence wrote.

:func:`run_cached` is what ``history`` and ``analyze`` share: hash each file (BLAKE2b of its bytes), take its
outcome from the cache when the hash and the job's salt match, otherwise run the job's work in a process pool
(biggest files first), writing the cache as outcomes arrive. It knows nothing of what the work is.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from .errors import CadenceError

__all__ = [
    "CACHE_ENTRIES",
    "CacheUsage",
    "CachedJob",
    "clear",
    "max_cache_bytes",
    "prune",
    "usage",
    "SchedulerError",
    "cache_key",
    "cache_path",
    "default_cache_dir",
    "default_jobs",
    "file_digest",
    "file_size",
    "run_cached",
]

T = TypeVar("T")
P = TypeVar("P")

#: what cadence writes in the cache folder (nothing else there is ever touched)
CACHE_ENTRIES = ("history-v*", "analyze-v*", "tempo-estimates-v*.json")
#: default size cap of the cache folder; ``$CADENCE_CACHE_MAX_MB`` overrides it
DEFAULT_MAX_MB = 256
#: a cache entry larger than this is not read (one file's outcome is a few kB)
MAX_ENTRY_BYTES = 4 * 1024 * 1024


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


# ---------------------------------------------------------------------------------------------------------
# content-keyed, parallel runs over many files (``history`` and ``analyze`` both use this)


@dataclass(frozen=True)
class CachedJob(Generic[T]):
    """How to run one kind of per-file work through :func:`run_cached`.

    Attributes
    ----------
    work : callable
        ``work(path) -> outcome``: a picklable module-level function (it runs in worker processes) that
        never raises for a bad file (it returns an outcome that says so).
    namespace : str
        The cache sub-folder, with its format version (e.g. ``"history-v1"``).
    salt : str
        Everything besides the file's bytes the outcome depends on (package version, options): part of
        the key.
    encode, decode : callable
        Outcome to a JSON-ready object and back; ``decode(obj, path)`` gives the outcome for ``path`` (the
        same bytes may sit under another name).
    rename : callable
        ``rename(outcome, old_path, new_path)``: the outcome of a copy of the file (a Dask worker works on a
        copy of the bytes), as if made from the file itself.
    cacheable : callable
        Whether an outcome may be cached (not a crash of our own code).
    crashed : callable
        ``crashed(path, exc)``: the outcome for a worker that died.
    """

    work: Callable[[str], T]
    namespace: str
    salt: str
    encode: Callable[[T], Any]
    decode: Callable[[Any, str], T]
    rename: Callable[[T, str, str], T]
    cacheable: Callable[[T], bool]
    crashed: Callable[[str, BaseException], T]


def file_digest(path: str | os.PathLike[str]) -> str:
    """Return the BLAKE2b (128-bit) hex digest of the file's bytes."""
    import hashlib
    import stat

    if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO would block here: the reader refuses it in one line
        raise OSError(f"{os.fspath(path)}: not a regular file")
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, lambda: hashlib.blake2b(digest_size=16)).hexdigest()


def cache_key(digest: str, salt: str) -> str:
    """Return the cache key of a file's digest under ``salt``."""
    import hashlib

    return hashlib.blake2b(f"{digest}:{salt}".encode(), digest_size=16).hexdigest()


def default_jobs() -> int:
    """Return the number of CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def file_size(path: str) -> int:
    """Return the size of ``path`` in bytes (0 if it cannot be read: the reader will say why)."""
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def run_cached(
    job: CachedJob[T],
    files: Sequence[str],
    *,
    cache_dir: str | os.PathLike[str] | None,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    scheduler: str | None = None,
) -> tuple[list[T], list[bool]]:
    """Run ``job.work`` on every file: from the cache when its content is known, otherwise in parallel.

    Parameters
    ----------
    job : CachedJob
        The work and its cache rules.
    files : sequence of str
        The files.
    cache_dir : path or None
        Cache folder; ``None`` disables the cache (nothing is read or written).
    jobs : int, optional
        Worker processes (default: the CPUs this process may use); 1 works in this process.
    progress : callable, optional
        ``progress(done_bytes, total_bytes)`` after each file that is worked on (cached files are done
        before the first call and are not counted: the estimate is the work left, weighted by bytes).
    scheduler : str, optional
        A Dask distributed scheduler (``tcp://HOST:PORT``): the files left are sent there, their bytes with
        them (the workers need no shared folder), instead of to local processes. The cache stays here.

    Returns
    -------
    outcomes : list
        In the order of ``files``.
    from_cache : list of bool
        Whether each came from the cache.

    Raises
    ------
    ValueError
        ``jobs`` < 1.
    SchedulerError
        The Dask extra is missing, or the scheduler cannot be reached.
    """
    if jobs is not None and jobs < 1:
        raise ValueError(f"{jobs=} must be >= 1")
    cdir = Path(cache_dir) if cache_dir is not None else None
    outcomes: dict[str, T] = {}
    cached: set[str] = set()
    todo: list[tuple[str, str | None]] = []
    for path in dict.fromkeys(files):
        key = None
        if cdir is not None:
            try:
                key = cache_key(file_digest(path), job.salt)
            except OSError:
                key = None  # unreadable: let the work name the problem
            hit = _read(cdir, job, key, path) if key else None
            if hit is not None:
                outcomes[path] = hit
                cached.add(path)
                continue
        todo.append((path, key))

    total = sum(file_size(p) for p, _ in todo)
    state = {"done": 0, "cache_ok": cdir is not None}  # cache_ok cleared after a failed write: one warning

    def done(path: str, key: str | None, outcome: T) -> None:
        outcomes[path] = outcome
        if state["cache_ok"] and cdir is not None and key is not None and job.cacheable(outcome):
            state["cache_ok"] = _write(cdir, job, key, outcome)
        state["done"] += file_size(path)
        if progress:
            progress(int(state["done"]), total)

    n_jobs = min(jobs or default_jobs(), len(todo))
    if scheduler is not None and todo:
        _run_on_dask(job, todo, scheduler, done)
    elif n_jobs <= 1:
        for path, key in todo:
            done(path, key, job.work(path))
    else:
        # biggest files first: a long file started last would leave the other workers idle at the end
        todo.sort(key=lambda item: -file_size(item[0]))
        keys = dict(todo)
        run_in_pool(job.work, list(keys), n_jobs, lambda p, o: done(p, keys[p], o), job.crashed)
    if cdir is not None and state["cache_ok"] and todo:
        prefix = job.namespace.rsplit("-v", 1)[0]
        stale = tuple(p.name for p in cdir.glob(f"{prefix}-v*") if p.name != job.namespace)
        prune(cdir, stale=stale)
    return [outcomes[p] for p in files], [p in cached for p in files]


def run_in_pool(
    work: Callable[[P], T],
    items: Sequence[P],
    jobs: int,
    done: Callable[[P, T], None],
    crashed: Callable[[P, Exception], T],
) -> None:
    """Run ``work(item)`` for every item in ``jobs`` worker processes; ``done(item, outcome)`` as each ends.

    A worker that raises gives ``crashed(item, exc)`` as that item's outcome. Workers ignore Ctrl-C and end
    with the main process; on Ctrl-C or SIGTERM the queued items are dropped and the workers stopped at once.
    ``work`` must be picklable (a module-level function, or a :func:`functools.partial` of one).
    """
    import concurrent.futures as cf

    pool = cf.ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init)
    try:
        futures = {pool.submit(work, item): item for item in items}
        for fut in cf.as_completed(futures):
            item = futures[fut]
            try:
                outcome = fut.result()
            except Exception as exc:  # noqa: BLE001 - a crashed worker fails its item, not the run
                outcome = crashed(item, exc)
            done(item, outcome)
    except BaseException:  # Ctrl-C, SIGTERM: drop the queued items and stop the workers now
        _stop_pool(pool)
        raise
    pool.shutdown()


def _stop_pool(pool: Any) -> None:
    """Cancel what is queued and end the workers at once (not after the file each is working on)."""
    workers = list((getattr(pool, "_processes", None) or {}).values())  # shutdown() forgets them
    for proc in workers:
        if proc.is_alive():
            proc.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in workers:
        proc.join(timeout=5)
        if proc.is_alive():
            proc.kill()


class SchedulerError(CadenceError, RuntimeError):
    """The Dask scheduler given cannot be used (extra missing, unreachable)."""

    exit_code = 2


def _work_on_copy(work: Callable[[str], T], name: str, data: bytes) -> tuple[T, str]:
    """Run ``work`` on a copy of a file's bytes under its own name (on a Dask worker); outcome and path."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="cadence-") as tmp:
        path = os.path.join(tmp, name)
        with open(path, "wb") as fh:
            fh.write(data)
        return work(path), path


def _run_on_dask(
    job: CachedJob[T],
    todo: list[tuple[str, str | None]],
    address: str,
    done: Callable[[str, str | None, T], None],
) -> None:
    """Send each file's bytes to the Dask cluster at ``address``; ``done`` as each outcome comes back."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise SchedulerError(
            f"--scheduler {address} needs the dask extra: pip install 'cadence[dask]'"
        ) from None
    try:
        client = Client(address, timeout="5s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise SchedulerError(f"--scheduler {address}: cannot connect ({exc})") from None
    try:
        futures = {}
        for path, key in sorted(todo, key=lambda item: -file_size(item[0])):
            try:
                with open(path, "rb") as fh:
                    data = fh.read()
            except OSError:
                done(path, key, job.work(path))  # let the work name the problem, here
                continue
            fut = client.submit(_work_on_copy, job.work, os.path.basename(path), data, pure=False)
            futures[fut] = (path, key)
        for fut in as_completed(list(futures)):
            path, key = futures[fut]
            try:
                outcome, copy = fut.result()
                outcome = job.rename(outcome, copy, path)
            except Exception as exc:  # noqa: BLE001 - a crashed worker fails its file, not the run
                outcome = job.crashed(path, exc)
            done(path, key, outcome)
    finally:
        client.close()


def _worker_init() -> None:
    """Workers leave Ctrl-C to the main process, end quietly on SIGTERM, and die with it (Linux)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the main process stops its workers with SIGTERM
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    try:  # no orphans even if the main process is killed outright: PR_SET_PDEATHSIG
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def cache_path(cache_dir: Path, namespace: str, key: str) -> Path:
    """Return where the entry ``key`` of ``namespace`` lives."""
    return cache_dir / namespace / key[:2] / f"{key}.json"


def _read(cache_dir: Path, job: CachedJob[T], key: str, path: str) -> T | None:
    import json

    entry = cache_path(cache_dir, job.namespace, key)
    try:
        if entry.stat().st_size > MAX_ENTRY_BYTES:
            return None
        raw = json.loads(entry.read_text(encoding="utf-8"))
        return job.decode(raw, path)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None  # missing or damaged entry: work again (and overwrite it)


def _write(cache_dir: Path, job: CachedJob[T], key: str, outcome: T) -> bool:
    """Write one cache entry; on failure warn and return False (the caller stops writing: one warning)."""
    import json
    import warnings

    from ._atomic import atomic_output

    dest = cache_path(cache_dir, job.namespace, key)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(dest, force=True) as fh:
            json.dump(job.encode(outcome), fh)
    except OSError as exc:  # a read-only or full cache never stops the run
        problem = exc.strerror or exc
        warnings.warn(f"cache not written, continuing without it ({dest}): {problem}", stacklevel=2)
        return False
    return True
