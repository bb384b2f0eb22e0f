"""Progress over weeks of runs: one row per run, ISO-week means and a trend, with a content-keyed cache.

Three layers, top to bottom:

1. :func:`session_facts` (pure): the few numbers of one analyzed session that the history needs,
   independent of the target and the reference speed, so they can be cached (:class:`SessionFacts`, JSON).
2. :func:`collect_facts` (I/O): every activity file found, hashed (BLAKE2b of the bytes); facts come from the
   cache when the hash and :data:`HISTORY_VERSION` match, otherwise from
   :func:`~cadence.pipeline.analyze_file` in a process pool. Unreadable files become :class:`FileProblem`
   rows; nothing stops the rest.
3. :func:`build_history` (pure): runs, weeks, trend for a given target band and reference speed.

The rules (cadence at the reference speed, weeks, trend) are documented in docs/history.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import math
import os
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._cache import CachedJob, default_cache_dir, file_digest, run_cached
from ..errors import CadenceError, ParameterError
from ..gait.analysis import AnalysisOptions, weighted_mean
from .band import TargetBand
from .speed import (
    DECORRELATION_S,
    REFERENCE_MARGIN_MS,
    REFERENCE_MAX_SE_SPM,
    REFERENCE_MIN_RUNNING_S,
    SpeedStats,
    cadence_at_speed,
    speed_stats,
)

__all__ = [
    "DECORRELATION_S",
    "DEFAULT_REFERENCE_SPEED_MS",
    "HISTORY_VERSION",
    "REFERENCE_MARGIN_MS",
    "REFERENCE_MAX_SE_SPM",
    "REFERENCE_MIN_RUNNING_S",
    "RUN_SPORTS",
    "FileOutcome",
    "FileProblem",
    "History",
    "RunRow",
    "SessionFacts",
    "SkippedSession",
    "SpeedStats",
    "Trend",
    "WeekRow",
    "build_history",
    "collect_facts",
    "default_cache_dir",
    "file_digest",
    "session_facts",
]

#: bump when SessionFacts or the analysis behind them changes: old cache entries are then ignored
HISTORY_VERSION = 4
DEFAULT_REFERENCE_SPEED_MS = 3.0
#: sessions of these sports are runs; walks and hikes (other step sports) only with ``include_walks``
RUN_SPORTS = frozenset({"running", "trail_running"})


@dataclass(frozen=True)
class SessionFacts:
    """What the history keeps of one analyzed session (cached as JSON; no target or reference speed in it).

    ``cadence_values_spm`` / ``cadence_time_s`` are the running step rates and the running seconds at each
    (rounded to 0.01 spm), enough to compute the time in any target band without re-reading the file.
    """

    file: str
    session_index: int
    sport: str
    is_step_sport: bool
    start_time: str | None
    distance_m: float
    running_time_s: float
    running_distance_m: float
    running_cadence_spm: float
    step_length_m: float
    speed: SpeedStats
    cadence_values_spm: tuple[float, ...] = ()
    cadence_time_s: tuple[float, ...] = ()
    notes: tuple[str, ...] = ()
    utc_offset_s: float | None = None
    step_length_source: str = ""
    dynamics: dict[str, float] = dataclasses.field(default_factory=dict)
    timer_time_s: float = float("nan")
    watch_avg_cadence_spm: float = float("nan")
    max_sustained_spm: float = float("nan")

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict (``nan`` stays ``nan``: the cache is read back by Python only)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SessionFacts:
        """Inverse of :meth:`to_json`.

        Raises
        ------
        ValueError
            ``d`` does not match the schema (a damaged or planted cache entry): see :func:`check_facts_json`.
        """
        check_facts_json(d)
        d = dict(d)
        d["speed"] = SpeedStats(**d["speed"])
        for k in ("cadence_values_spm", "cadence_time_s", "notes"):
            d[k] = tuple(d[k])
        return cls(**d)


#: plausible bounds of a cached session (a planted or damaged entry outside them is dropped)
_MAX_SPM = 400.0
_MAX_VALUES = 50_000
_MAX_NOTES = 100
_MAX_TEXT = 4000
_MAX_SECONDS = 30 * 86400.0
_MAX_METRES = 1e7


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _number_in(v: Any, lo: float, hi: float, *, nan: bool = True) -> bool:
    """Whether ``v`` is a JSON number in ``[lo, hi]`` (or nan where allowed)."""
    if not _is_number(v):
        return False
    return (nan and math.isnan(v)) or lo <= v <= hi


def check_facts_json(d: Any) -> None:
    """Check one cached session against the :class:`SessionFacts` schema and plausible bounds.

    Raises
    ------
    ValueError
        Saying which field is wrong.
    """
    names = {f.name for f in dataclasses.fields(SessionFacts)}
    if not isinstance(d, dict) or set(d) != names:
        raise ValueError("not a session entry")
    problems = []
    if not isinstance(d["file"], str) or len(d["file"]) > _MAX_TEXT:
        problems.append("file")
    if not isinstance(d["session_index"], int) or isinstance(d["session_index"], bool) or not (
        0 <= d["session_index"] < 10_000
    ):
        problems.append("session_index")
    if not isinstance(d["sport"], str) or len(d["sport"]) > 100:
        problems.append("sport")
    if not isinstance(d["is_step_sport"], bool):
        problems.append("is_step_sport")
    if d["start_time"] is not None:
        try:
            dt.datetime.fromisoformat(d["start_time"])
        except (TypeError, ValueError):
            problems.append("start_time")
    for key, hi in (
        ("distance_m", _MAX_METRES),
        ("running_time_s", _MAX_SECONDS),
        ("running_distance_m", _MAX_METRES),
        ("step_length_m", 10.0),
    ):
        if not _number_in(d[key], 0.0, hi):
            problems.append(key)
    if not _number_in(d["running_cadence_spm"], 0.0, _MAX_SPM):
        problems.append("running_cadence_spm")
    speed = d["speed"]
    speed_names = {f.name for f in dataclasses.fields(SpeedStats)}
    if not isinstance(speed, dict) or set(speed) != speed_names or not all(
        _is_number(v) and not math.isinf(v) for v in speed.values()
    ):
        problems.append("speed")
    values, times = d["cadence_values_spm"], d["cadence_time_s"]
    if (
        not isinstance(values, list)
        or not isinstance(times, list)
        or len(values) != len(times)
        or len(values) > _MAX_VALUES
        or not all(_number_in(v, 0.0, _MAX_SPM, nan=False) for v in values)
        or not all(_number_in(t, 0.0, _MAX_SECONDS, nan=False) for t in times)
    ):
        problems.append("cadence_values_spm/cadence_time_s")
    elif times and _is_number(d["running_time_s"]) and not sum(times) <= 1.01 * d["running_time_s"] + 1.0:
        problems.append("cadence_time_s (more running time than the run has)")
    notes = d["notes"]
    if not isinstance(notes, list) or len(notes) > _MAX_NOTES or not all(
        isinstance(n, str) and len(n) <= _MAX_TEXT for n in notes
    ):
        problems.append("notes")
    if problems:
        raise ValueError(f"cache entry fields out of schema: {', '.join(problems)}")


@dataclass(frozen=True)
class FileProblem:
    """A file that could not be analyzed, and why (one line)."""

    file: str
    error: str


@dataclass(frozen=True)
class FileOutcome:
    """One file's sessions' facts, or its problem; ``from_cache`` says where it came from."""

    file: str
    sessions: tuple[SessionFacts, ...] = ()
    error: str | None = None
    from_cache: bool = False
    #: the kind of a readable file that is not an activity ("settings", "workouts", ...): skipped, not failed
    skipped: str | None = None


@dataclass(frozen=True)
class RunRow:
    """One run of the history (a step-sport session with running time).

    ``start_time`` is on the local clock (aware: the file's offset, else ``--tz``, else the machine's zone;
    ``utc_offset_source`` says which), so its date and ISO week are the runner's.
    """

    file: str
    session_index: int
    sport: str
    start_time: dt.datetime | None
    distance_m: float
    running_time_s: float
    running_cadence_spm: float
    running_speed_ms: float
    cadence_at_reference_spm: float
    reference_note: str
    speed_fit_r2: float
    step_length_m: float
    time_in_band_s: float
    band_fraction: float
    notes: tuple[str, ...] = ()
    utc_offset_source: str = ""
    step_length_source: str = ""
    dynamics: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def iso_week(self) -> tuple[int, int] | None:
        """(ISO year, ISO week) of the start time, or ``None`` when the file has no date."""
        if self.start_time is None:
            return None
        y, w, _ = self.start_time.isocalendar()
        return (y, w)


@dataclass(frozen=True)
class WeekRow:
    """One ISO week with runs (Monday to Sunday on each run's local clock)."""

    iso_year: int
    iso_week: int
    monday: dt.date
    runs: int
    distance_m: float
    running_time_s: float
    running_cadence_spm: float
    cadence_at_reference_spm: float
    runs_with_reference: int
    time_in_band_s: float
    dynamics: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def label(self) -> str:
        """``"2018-W07"``."""
        return f"{self.iso_year}-W{self.iso_week:02d}"


@dataclass(frozen=True)
class Trend:
    """Least-squares lines through the weekly means against weeks since the first week with runs."""

    n_weeks: int = 0
    running_cadence_spm_per_week: float = float("nan")
    running_cadence_intercept_spm: float = float("nan")
    cadence_at_reference_spm_per_week: float = float("nan")
    cadence_at_reference_intercept_spm: float = float("nan")
    #: the running dynamics' weekly means against weeks: change per week, in each key's unit
    dynamics_per_week: dict[str, float] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class SkippedSession:
    """A readable session that is not a run (cycling, no running, or a duplicate of another file's)."""

    file: str
    session_index: int
    sport: str
    reason: str


@dataclass(frozen=True)
class History:
    """The result of :func:`build_history`: runs (by date), ISO weeks, trend, and what was left out."""

    runs: tuple[RunRow, ...]
    weeks: tuple[WeekRow, ...]
    trend: Trend
    skipped: tuple[SkippedSession, ...]
    errors: tuple[FileProblem, ...]
    reference_speed_ms: float
    band: TargetBand | None
    n_files: int = 0
    n_analyzed: int = 0
    n_from_cache: int = 0
    #: files that are not activities (settings, monitoring, workouts, unknown...), counted by kind
    skipped_files: dict[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------------
# 1. facts of one session (pure)


def session_facts(result: Any) -> SessionFacts:
    """Extract the cacheable facts of one :class:`~cadence.pipeline.ActivityResult`.

    Parameters
    ----------
    result : ActivityResult
        One analyzed session.

    Returns
    -------
    SessionFacts
        Running figures, the running cadence distribution and the speed moments for the reference fit.

    """
    tr, s = result.trace, result.summary
    c = s.record_cadence_spm.astype(float)
    run_w = np.where(s.record_running, s.record_weight_s, 0.0)
    ok = np.isfinite(c) & (run_w > 0)
    values, inverse = np.unique(np.round(c[ok], 2), return_inverse=True)
    times = np.bincount(inverse.reshape(-1), weights=run_w[ok], minlength=values.size)

    # the same records the summary's cadence-vs-speed line is fitted on
    speed = speed_stats(c, tr.speed_ms.astype(float), run_w)
    return SessionFacts(
        file=tr.source,
        session_index=tr.session_index,
        sport=tr.sport,
        is_step_sport=tr.is_step_sport,
        start_time=tr.start_time.isoformat() if tr.start_time else None,
        distance_m=float(s.distance_m),
        running_time_s=float(s.running_time_s),
        running_distance_m=float(s.running_distance_m),
        running_cadence_spm=float(s.running_cadence_spm),
        step_length_m=float(s.step_length_m),
        speed=speed,
        cadence_values_spm=tuple(values.tolist()),
        cadence_time_s=tuple(times.tolist()),
        notes=tuple(s.notes),
        utc_offset_s=tr.utc_offset_s,
        step_length_source=s.step_length_source,
        dynamics=dict(s.dynamics),
        timer_time_s=float(s.timer_time_s),
        watch_avg_cadence_spm=float(s.watch_avg_cadence_spm),
        max_sustained_spm=float(s.cadence_max_sustained_spm),
    )


# ---------------------------------------------------------------------------------------------------------
# 2. files -> facts (hashing, cache, process pool)


def _salt(options: AnalysisOptions) -> str:
    from .. import __version__

    return json.dumps([HISTORY_VERSION, __version__, dataclasses.asdict(options)], sort_keys=True)


def _encode(outcome: FileOutcome) -> dict[str, Any]:
    return {
        "file": outcome.file,
        "sessions": [s.to_json() for s in outcome.sessions],
        "error": outcome.error,
        "skipped": outcome.skipped,
    }


def _rename(outcome: FileOutcome, old: str, new: str) -> FileOutcome:
    """Return the outcome as if made from ``new`` (the same bytes under another name, or a worker's copy)."""

    def text(t: str) -> str:
        return t.replace(old, new) if old != new else t

    sessions = tuple(
        dataclasses.replace(s, file=new, notes=tuple(text(n) for n in s.notes)) for s in outcome.sessions
    )
    error = text(outcome.error) if outcome.error else outcome.error
    return dataclasses.replace(outcome, file=new, sessions=sessions, error=error)


def _decode(raw: dict[str, Any], path: str) -> FileOutcome:
    """Return the cached outcome for ``path``; ``ValueError`` when the entry is out of schema (dropped)."""
    keys = {"sessions", "error", "file", "skipped"}
    if not isinstance(raw, dict) or not {"sessions", "error"} <= set(raw) <= keys:
        raise ValueError("not a history cache entry")
    skipped = raw.get("skipped")
    if skipped is not None and not (isinstance(skipped, str) and len(skipped) <= 100):
        raise ValueError("skipped is not a kind of file")
    if not isinstance(raw["sessions"], list) or len(raw["sessions"]) > 1000:
        raise ValueError("not a list of sessions")
    error, file = raw["error"], raw.get("file", path)
    if error is not None and not (isinstance(error, str) and len(error) <= _MAX_TEXT):
        raise ValueError("error is not a line of text")
    if not isinstance(file, str) or len(file) > _MAX_TEXT:
        raise ValueError("file is not a path")
    sessions = tuple(SessionFacts.from_json(d) for d in raw["sessions"])
    cached = FileOutcome(
        str(raw.get("file", path)), sessions, raw.get("error"), from_cache=True, skipped=raw.get("skipped")
    )
    return _rename(cached, cached.file, path)


def _cacheable(outcome: FileOutcome) -> bool:
    return outcome.error is None or not outcome.error.startswith("internal error")


def _crashed(path: str, exc: BaseException) -> FileOutcome:
    return FileOutcome(path, error=f"internal error: {type(exc).__name__}: {exc}")


def analyze_for_history(path: str, options: AnalysisOptions | None = None) -> FileOutcome:
    """Analyze one file into its sessions' facts; a bad file gives a :class:`FileOutcome` with ``error``.

    Runs in a worker process: returns small picklable data, never raises for a bad file.
    """
    from ..errors import NotActivityError
    from ..pipeline import analyze_file, skipped_kind

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results = analyze_file(path, options)
    except NotActivityError as exc:
        return FileOutcome(path, skipped=skipped_kind(exc))
    except CadenceError as exc:
        return FileOutcome(path, error=str(exc))
    extra = tuple(str(w.message) for w in caught)
    facts = []
    for r in results:
        f = session_facts(r)
        facts.append(dataclasses.replace(f, notes=f.notes + extra) if extra else f)
    return FileOutcome(path, tuple(facts))


def history_job(options: AnalysisOptions | None = None) -> CachedJob[FileOutcome]:
    """Return the per-file work of the history and its cache rules, for :func:`~cadence._cache.run_cached`."""
    opts = options or AnalysisOptions()
    return CachedJob(
        work=functools.partial(_guarded, options=opts),
        namespace=f"history-v{HISTORY_VERSION}",
        salt=_salt(opts),
        encode=_encode,
        decode=_decode,
        rename=_rename,
        cacheable=_cacheable,
        crashed=_crashed,
    )


def collect_facts(
    files: Sequence[str],
    *,
    options: AnalysisOptions | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    scheduler: str | None = None,
) -> tuple[list[FileOutcome], int]:
    """Facts of every file: from the cache when its content is known, otherwise analyzed in parallel.

    Parameters
    ----------
    files : sequence of str
        Activity files (expand folders first with :func:`~cadence.pipeline.find_activity_files`).
    options : AnalysisOptions, optional
        Part of the cache key.
    cache_dir : path, optional
        Cache folder; ``None`` disables the cache (nothing is read or written).
    jobs : int, optional
        Worker processes (default: the CPUs this process may use); 1 analyzes in this process.
    progress : callable, optional
        ``progress(done_bytes, total_bytes)`` after each analyzed file (see
        :func:`~cadence._cache.run_cached`).
    scheduler : str, optional
        A Dask distributed scheduler address (``tcp://HOST:PORT``) to analyze on instead of local processes.

    Returns
    -------
    outcomes : list of FileOutcome
        In the order of ``files``.
    n_analyzed : int
        How many files were analyzed (the rest came from the cache).

    """
    if jobs is not None and jobs < 1:
        raise ParameterError(f"{jobs=} must be >= 1")
    job = history_job(options)
    outcomes, cached = run_cached(
        job, files, cache_dir=cache_dir, jobs=jobs, progress=progress, scheduler=scheduler
    )
    return outcomes, len(dict.fromkeys(p for p, c in zip(files, cached, strict=True) if not c))


def _guarded(path: str, options: AnalysisOptions) -> FileOutcome:
    """:func:`analyze_for_history`, with a bug in one file's analysis turned into that file's error."""
    try:
        return analyze_for_history(path, options)
    except Exception as exc:  # noqa: BLE001 - one file's bug must not stop a folder of runs
        return FileOutcome(path, error=f"internal error: {type(exc).__name__}: {exc} (please report it)")


# ---------------------------------------------------------------------------------------------------------
# 3. facts -> runs, weeks, trend (pure)


def _time_in_band(f: SessionFacts, band: TargetBand | None) -> float:
    if band is None:
        return float("nan")
    v = np.asarray(f.cadence_values_spm, dtype=float)
    t = np.asarray(f.cadence_time_s, dtype=float)
    return float(t[(v >= band.low_spm) & (v <= band.high_spm)].sum())


def _run_row(
    f: SessionFacts, band: TargetBand | None, reference_speed_ms: float, tz: dt.tzinfo | None = None
) -> RunRow:
    from .._timefmt import local_time

    at = cadence_at_speed(f.speed, reference_speed_ms)
    ref, note = at.cadence_spm, at.note
    inside = _time_in_band(f, band)
    start = dt.datetime.fromisoformat(f.start_time) if f.start_time else None
    source = ""
    if start is not None:
        start, source = local_time(start, f.utc_offset_s, tz)
    return RunRow(
        file=f.file,
        session_index=f.session_index,
        sport=f.sport,
        start_time=start,
        distance_m=f.distance_m,
        running_time_s=f.running_time_s,
        running_cadence_spm=f.running_cadence_spm,
        running_speed_ms=f.running_distance_m / f.running_time_s if f.running_time_s > 0 else float("nan"),
        cadence_at_reference_spm=float(ref),
        reference_note=note,
        speed_fit_r2=f.speed.r2,
        step_length_m=f.step_length_m,
        time_in_band_s=inside,
        band_fraction=inside / f.running_time_s
        if band is not None and f.running_time_s > 0
        else float("nan"),
        notes=f.notes,
        utc_offset_source=source,
        step_length_source=f.step_length_source,
        dynamics=dict(f.dynamics),
    )


def _weeks(runs: Sequence[RunRow]) -> tuple[WeekRow, ...]:
    by_week: dict[tuple[int, int], list[RunRow]] = {}
    for r in runs:
        if r.iso_week is not None:
            by_week.setdefault(r.iso_week, []).append(r)
    out = []
    for (year, week), rows in sorted(by_week.items()):
        rt = np.array([r.running_time_s for r in rows])
        cad = np.array([r.running_cadence_spm for r in rows])
        ref = np.array([r.cadence_at_reference_spm for r in rows])
        dist = np.array([r.distance_m for r in rows])
        band = np.array([r.time_in_band_s for r in rows])
        keys = sorted({k for r in rows for k in r.dynamics})
        dyn = {k: weighted_mean(np.array([r.dynamics.get(k, np.nan) for r in rows]), rt) for k in keys}
        out.append(
            WeekRow(
                iso_year=year,
                iso_week=week,
                monday=dt.date.fromisocalendar(year, week, 1),
                runs=len(rows),
                distance_m=float(np.nansum(dist)),
                running_time_s=float(rt.sum()),
                running_cadence_spm=weighted_mean(cad, rt),
                cadence_at_reference_spm=weighted_mean(ref, rt),
                runs_with_reference=int(np.isfinite(ref).sum()),
                time_in_band_s=float(band.sum()) if np.isfinite(band).all() else float("nan"),
                dynamics={k: v for k, v in dyn.items() if math.isfinite(v)},
            )
        )
    return tuple(out)


def _line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    ok = np.isfinite(y)
    if ok.sum() < 2 or np.ptp(x[ok]) == 0:
        return float("nan"), float("nan")
    slope, intercept = np.polyfit(x[ok], y[ok], 1)
    return float(slope), float(intercept)


def _trend(weeks: Sequence[WeekRow]) -> Trend:
    if not weeks:
        return Trend()
    x = np.array([(w.monday - weeks[0].monday).days / 7.0 for w in weeks])
    s1, i1 = _line(x, np.array([w.running_cadence_spm for w in weeks]))
    s2, i2 = _line(x, np.array([w.cadence_at_reference_spm for w in weeks]))
    dyn = {}
    for key in sorted({k for w in weeks for k in w.dynamics}):
        slope, _ = _line(x, np.array([w.dynamics.get(key, np.nan) for w in weeks]))
        if math.isfinite(slope):
            dyn[key] = slope
    return Trend(len(weeks), s1, i1, s2, i2, dyn)


def build_history(
    outcomes: Iterable[FileOutcome],
    *,
    band: TargetBand | None = None,
    reference_speed_ms: float = DEFAULT_REFERENCE_SPEED_MS,
    include_walks: bool = False,
    n_analyzed: int = 0,
    tz: dt.tzinfo | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    skipped_files: Mapping[str, int] | None = None,
) -> History:
    """Build the runs, ISO weeks and trend from the files' facts.

    Parameters
    ----------
    outcomes : iterable of FileOutcome
        From :func:`collect_facts`.
    band : TargetBand, optional
        Target band: adds the time in band per run and per week.
    reference_speed_ms : float
        Speed at which each run's cadence-vs-speed line is read (m/s, 1-8).
    include_walks : bool
        Also count walking and hiking sessions that have running time (by default only running sessions
        are runs; a walk with a few fast stretches would blur a running trend).
    n_analyzed : int
        Passed through to :attr:`History.n_analyzed` (files not from the cache).
    tz : tzinfo, optional
        Zone for runs whose file carries no UTC offset (TCX, GPX); the machine's zone when ``None``. A FIT
        file's own offset always wins: a run abroad is dated on the clock where it was run.
    since, until : date, optional
        Keep only the runs on or after ``since`` and on or before ``until`` (local dates; undated runs are
        then left out too).
    skipped_files : mapping of str to int, optional
        Files the folder scan passed over, by kind (added to the outcomes' non-activity files).

    Returns
    -------
    History
        Runs sorted by start time (undated runs last), weeks in order, trend, skipped sessions (not a step
        sport, a walk, no running, or the same activity as an earlier file: same start time, sport and
        running time), and the files that could not be read.

    """
    if not (math.isfinite(reference_speed_ms) and 1.0 <= reference_speed_ms <= 8.0):
        raise ParameterError(f"{reference_speed_ms=} must be between 1 and 8 m/s")
    outcomes = list(outcomes)
    runs: list[RunRow] = []
    skipped: list[SkippedSession] = []
    errors = [FileProblem(o.file, o.error) for o in outcomes if o.error is not None]
    seen: dict[tuple[str, str, int], str] = {}
    for o in outcomes:
        for f in o.sessions:
            if not f.is_step_sport:
                skipped.append(SkippedSession(f.file, f.session_index, f.sport, "not a step sport"))
                continue
            if f.sport not in RUN_SPORTS and not include_walks:
                skipped.append(
                    SkippedSession(f.file, f.session_index, f.sport, "not a run (--include-walks)")
                )
                continue
            if not f.running_time_s > 0:
                no_cadence = "no cadence recorded" in f.notes
                why = "no cadence recorded" if no_cadence else "no running in this session"
                skipped.append(SkippedSession(f.file, f.session_index, f.sport, why))
                continue
            if f.start_time is not None:
                ident = (f.start_time, f.sport, round(f.running_time_s))
                if ident in seen:
                    skipped.append(
                        SkippedSession(f.file, f.session_index, f.sport, f"same activity as {seen[ident]}")
                    )
                    continue
                seen[ident] = f.file
            runs.append(_run_row(f, band, reference_speed_ms, tz))
    if since is not None or until is not None:
        lo, hi = since or dt.date.min, until or dt.date.max
        runs = [r for r in runs if r.start_time is not None and lo <= r.start_time.date() <= hi]
    kinds: Counter[str] = Counter(skipped_files or {})
    kinds.update(o.skipped for o in outcomes if o.skipped is not None)
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    runs.sort(key=lambda r: (r.start_time or far, r.file, r.session_index))
    weeks = _weeks(runs)
    n_files = len(outcomes)
    return History(
        runs=tuple(runs),
        weeks=weeks,
        trend=_trend(weeks),
        skipped=tuple(skipped),
        errors=tuple(errors),
        reference_speed_ms=reference_speed_ms,
        band=band,
        n_files=n_files,
        n_analyzed=n_analyzed,
        n_from_cache=sum(o.from_cache for o in outcomes),
        skipped_files=dict(kinds),
    )


def _offset_s(moment: dt.datetime | None) -> float | None:
    off = moment.utcoffset() if moment is not None else None
    return off.total_seconds() if off is not None else None


def history_to_dict(h: History) -> dict[str, Any]:
    """Return the JSON object of ``cadence history --json`` (docs/history.md); ``nan`` floats -> null."""
    return {
        "schema_version": 1,
        "reference_speed_ms": h.reference_speed_ms,
        "target": None if h.band is None else {"low_spm": h.band.low_spm, "high_spm": h.band.high_spm},
        "runs": [
            {
                "file": r.file,
                "session_index": r.session_index,
                "sport": r.sport,
                "start_time": r.start_time.astimezone(dt.UTC).isoformat() if r.start_time else None,
                "local_start_time": r.start_time.isoformat() if r.start_time else None,
                "utc_offset_s": _offset_s(r.start_time),
                "utc_offset_source": r.utc_offset_source or None,
                "iso_week": f"{r.iso_week[0]}-W{r.iso_week[1]:02d}" if r.iso_week else None,
                "distance_m": r.distance_m,
                "running_time_s": r.running_time_s,
                "running_cadence_spm": r.running_cadence_spm,
                "running_speed_ms": r.running_speed_ms,
                "cadence_at_reference_spm": r.cadence_at_reference_spm,
                "reference_note": r.reference_note or None,
                "speed_fit_r2": r.speed_fit_r2,
                "step_length_m": r.step_length_m,
                "step_length_source": r.step_length_source or None,
                "running_dynamics": dict(r.dynamics),
                "time_in_band_s": r.time_in_band_s,
                "band_fraction": r.band_fraction,
                "notes": list(r.notes),
            }
            for r in h.runs
        ],
        "weeks": [
            {
                "iso_week": w.label,
                "monday": w.monday.isoformat(),
                "runs": w.runs,
                "distance_m": w.distance_m,
                "running_time_s": w.running_time_s,
                "running_cadence_spm": w.running_cadence_spm,
                "cadence_at_reference_spm": w.cadence_at_reference_spm,
                "runs_with_reference": w.runs_with_reference,
                "time_in_band_s": w.time_in_band_s,
                "running_dynamics": dict(w.dynamics),
            }
            for w in h.weeks
        ],
        "trend": {
            "n_weeks": h.trend.n_weeks,
            "running_cadence_spm_per_week": h.trend.running_cadence_spm_per_week,
            "cadence_at_reference_spm_per_week": h.trend.cadence_at_reference_spm_per_week,
            "running_dynamics_per_week": dict(h.trend.dynamics_per_week),
        },
        "skipped_sessions": [
            {"file": s.file, "session_index": s.session_index, "sport": s.sport, "reason": s.reason}
            for s in h.skipped
        ],
        "errors": [{"file": e.file, "error": e.error} for e in h.errors],
        "files": {
            "found": h.n_files,
            "analyzed": h.n_analyzed,
            "from_cache": h.n_from_cache,
            "failed": len(h.errors),
            "not_activities": dict(h.skipped_files),
        },
    }


#: columns of ``cadence history --csv``, one row per run
CSV_COLUMNS = (
    "start_time",
    "iso_week",
    "file",
    "session_index",
    "sport",
    "distance_m",
    "running_time_s",
    "running_cadence_spm",
    "running_speed_ms",
    "cadence_at_reference_spm",
    "step_length_m",
    "stance_time_ms",
    "vertical_oscillation_mm",
    "vertical_ratio_pct",
    "time_in_band_s",
    "band_fraction",
)


def history_csv_rows(h: History) -> list[list[str]]:
    """Header and one row per run for ``--csv`` (empty cell where a value is unknown)."""
    d = history_to_dict(h)

    def cell(v: Any) -> str:
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            return ""
        return (
            f"{v:.4g}"
            if isinstance(v, float) and abs(v) < 10
            else (f"{v:.1f}" if isinstance(v, float) else str(v))
        )

    rows = [{**r.pop("running_dynamics"), **r} for r in d["runs"]]
    return [list(CSV_COLUMNS)] + [[cell(r.get(c)) for c in CSV_COLUMNS] for r in rows]
