"""Many files through ``cadence analyze``: each file's report (JSON, text) made once, cached by content.

:func:`analyze_job` describes the per-file work for :func:`cadence._cache.run_cached`, the same parallel,
content-keyed runner ``history`` uses: a worker analyzes one file and returns its :class:`FileReport` (small,
picklable, JSON-ready), which the command prints in file order. A second run over the same folder reads the
reports from the cache (keyed by the file's bytes, the package version and the options).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._cache import CachedJob
from ..errors import CadenceError
from ..gait.analysis import AnalysisOptions
from ..readers.accel_csv import AccelReadOptions

__all__ = ["ANALYZE_CACHE_VERSION", "FileReport", "SessionReport", "analyze_for_report", "analyze_job"]

#: bump when a report's content changes for the same file and options: old cache entries are then ignored
ANALYZE_CACHE_VERSION = 3


@dataclass(frozen=True)
class SessionReport:
    """One analyzed session as ``analyze`` shows it: its JSON object and its text summary."""

    is_step_sport: bool
    document: dict[str, Any]
    text: str


@dataclass(frozen=True)
class FileReport:
    """One file's sessions, the warnings its reader gave, or the error that stopped it."""

    file: str
    sessions: tuple[SessionReport, ...] = ()
    warnings: tuple[str, ...] = ()
    error: str | None = None
    #: the kind of a readable file that is not an activity ("settings", "workouts", ...): skipped, not failed
    skipped: str | None = None


def _plain(value: Any) -> Any:
    """Make ``value`` JSON-ready with the same values (numpy scalars and arrays to Python)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    return value


def analyze_for_report(
    path: str,
    options: AnalysisOptions | None = None,
    accel: AccelReadOptions | None = None,
    *,
    tz: Any = None,
    units: str = "metric",
    band: Any = None,
) -> FileReport:
    """Analyze one file into its :class:`FileReport`; never raises for a bad file (``error`` says why).

    Runs in a worker process. A bug in the analysis becomes an ``"internal error: ..."`` error.
    """
    from ..errors import NotActivityError
    from ..pipeline import analyze_file, skipped_kind
    from .document import band_dict, result_to_dict
    from .text import format_summary

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results = analyze_file(path, options, accel=accel)
        sessions = tuple(
            SessionReport(
                r.trace.is_step_sport,
                _plain({**result_to_dict(r, tz), **band_dict(r, band)}),
                format_summary(r, tz=tz, units=units, band=band),
            )
            for r in results
        )
    except NotActivityError as exc:
        return FileReport(path, error=str(exc), skipped=skipped_kind(exc))
    except CadenceError as exc:
        return FileReport(path, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - one file's bug must not stop a folder of runs
        return FileReport(path, error=f"internal error: {type(exc).__name__}: {exc} (please report it)")
    return FileReport(path, sessions, tuple(str(w.message) for w in caught))


def _encode(report: FileReport) -> dict[str, Any]:
    return dataclasses.asdict(report)


def _rename(report: FileReport, old: str, new: str) -> FileReport:
    """Return the report as if made from ``new`` (the same bytes under another name, or a worker's copy)."""
    if old == new:
        return report

    def text(t: str) -> str:
        return t.replace(old, new)

    def deep(value: Any) -> Any:  # notes in the document name the file too
        if isinstance(value, str):
            return text(value)
        if isinstance(value, dict):
            return {k: deep(v) for k, v in value.items()}
        if isinstance(value, list):
            return [deep(v) for v in value]
        return value

    sessions = tuple(
        SessionReport(s.is_step_sport, {**deep(s.document), "file": new}, text(s.text))
        for s in report.sessions
    )
    error = text(report.error) if report.error else None
    return FileReport(new, sessions, tuple(text(w) for w in report.warnings), error, report.skipped)


def _check_entry(raw: Any) -> None:
    """Refuse a cache entry that is not what :func:`_encode` writes (``ValueError``: it is dropped)."""

    def text(v: Any, most: int = 200_000) -> bool:
        return isinstance(v, str) and len(v) <= most

    ok = (
        isinstance(raw, dict)
        and {"file", "sessions", "warnings", "error"} <= set(raw)
        and text(raw["file"], 4096)
        and (raw["error"] is None or text(raw["error"], 4096))
        and isinstance(raw["warnings"], list)
        and len(raw["warnings"]) <= 100
        and all(text(w, 4096) for w in raw["warnings"])
        and isinstance(raw["sessions"], list)
        and len(raw["sessions"]) <= 1000
        and all(
            isinstance(sess, dict)
            and isinstance(sess.get("is_step_sport"), bool)
            and isinstance(sess.get("document"), dict)
            and text(sess.get("text"))
            for sess in raw["sessions"]
        )
    )
    if not ok:
        raise ValueError("not an analyze cache entry")


def _decode(raw: dict[str, Any], path: str) -> FileReport:
    """Read a cached report back, for ``path`` (``ValueError`` for an entry out of schema: it is dropped)."""
    _check_entry(raw)
    sessions = tuple(
        SessionReport(bool(s["is_step_sport"]), dict(s["document"]), str(s["text"])) for s in raw["sessions"]
    )
    cached = FileReport(
        str(raw["file"]),
        sessions,
        tuple(str(w) for w in raw["warnings"]),
        raw.get("error"),
        raw.get("skipped"),
    )
    return _rename(cached, cached.file, path)


def _cacheable(report: FileReport) -> bool:
    return report.error is None or not report.error.startswith("internal error")


def _crashed(path: str, exc: BaseException) -> FileReport:
    return FileReport(path, error=f"internal error: {type(exc).__name__}: {exc}")


def analyze_job(
    options: AnalysisOptions | None = None,
    accel: AccelReadOptions | None = None,
    *,
    tz: Any = None,
    units: str = "metric",
    band: Any = None,
) -> CachedJob[FileReport]:
    """Return the per-file work of ``analyze`` and its cache rules, for :func:`~cadence._cache.run_cached`.

    The text and the local times depend on ``tz`` (or, without it, the machine's zone), ``units`` and
    ``band``: they are part of the cache key.
    """
    import os
    import time

    from .. import __version__

    opts = options or AnalysisOptions()
    acc = accel or AccelReadOptions()
    zone = repr(tz) if tz is not None else [os.environ.get("TZ"), time.tzname, time.timezone, time.altzone]
    shown = [zone, units, None if band is None else [band.low_spm, band.high_spm]]
    salt = json.dumps(
        [ANALYZE_CACHE_VERSION, __version__, dataclasses.asdict(opts), dataclasses.asdict(acc), shown],
        sort_keys=True,
        default=repr,
    )
    return CachedJob(
        work=functools.partial(analyze_for_report, options=opts, accel=acc, tz=tz, units=units, band=band),
        namespace=f"analyze-v{ANALYZE_CACHE_VERSION}",
        salt=salt,
        encode=_encode,
        decode=_decode,
        rename=_rename,
        cacheable=_cacheable,
        crashed=_crashed,
    )
