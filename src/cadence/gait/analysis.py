"""Running-cadence analysis of a :class:`~cadence.datatypes.CadenceTrace`: pure functions of arrays.

The rule (documented in docs/fit.md):

1. Each record stands for the time since the previous record (at most ``max_record_gap_s``), counted only
   while the activity timer runs: paused time never counts.
2. A record is *running* when its step rate, median-smoothed over ``smooth_records`` records, is at least
   ``run_threshold_spm`` (140 spm) and the raw step rate is at least ``walk_threshold_spm``; *walking* when
   the smoothed rate is between the two thresholds; *stopped* otherwise (no steps, standing at a crossing).
3. ``running_cadence_spm`` is the time-weighted mean over running records. ``watch_avg_cadence_spm`` is what
   the watch's session message reports: the time-weighted mean over all timer time, stops and walk breaks
   included, truncated to whole strides per minute when the device writes no fractional cadence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ..datatypes import CadenceTrace, running_time_function
from ..errors import ParameterError

__all__ = [
    "AnalysisOptions",
    "CadenceSummary",
    "KmSplit",
    "LapSummary",
    "SpeedFit",
    "analyze_trace",
    "classify_gait",
    "distance_splits",
    "fit_cadence_vs_speed",
    "record_weights_s",
    "repair_doubled_cadence",
    "repair_doubled_walk",
    "time_in_band_s",
    "weighted_mean",
    "weighted_quantiles",
]

GAIT_UNKNOWN, GAIT_STOPPED, GAIT_WALKING, GAIT_RUNNING = -1, 0, 1, 2
#: in a walking or hiking session, a "running" step longer than this is a GPS jump, not running (a 1.6 m
#: step at 150 spm would be 4 m/s)
MAX_WALK_SESSION_STEP_M = 1.6


#: no runner steps faster than this (sprinters reach about 300): thresholds beyond it are mistakes
MAX_STEP_RATE_SPM = 400.0


@dataclass(frozen=True)
class AnalysisOptions:
    """How running is told from walking and stops.

    Parameters
    ----------
    run_threshold_spm : float
        Smoothed step rate at or above which a record counts as running (default 140 spm).
    walk_threshold_spm : float
        Step rate below which a record counts as stopped (default 60 spm).
    smooth_records : int
        Odd number of records in the running median used for classification (default 5).
    max_record_gap_s : float
        Longest time one record may stand for (default 30 s; longer gaps in the recording are dropouts).
    repair_doubling : bool
        Halve isolated readings that are double the local walking cadence (a known watch artefact), and
        readings of 140+ spm at walking speed whose step would be too short for running (see
        :func:`repair_doubled_walk`).
    bin_width_spm : float
        Width of the cadence histogram bins (default 5 spm).
    walk_run_speed_ms : float
        The walk-to-run transition speed (default 2.0 m/s, Hreljac 1993: 2.06 m/s). Below it, a step rate
        of 140+ spm with a step shorter than ``min_running_step_m`` is a doubled walk; in a session the
        watch labels walking or hiking, running needs this speed where the speed is known.
    min_running_step_m : float
        Shortest step (speed / step rate) counted as running below ``walk_run_speed_ms`` (default 0.55 m).

    """

    run_threshold_spm: float = 140.0
    walk_threshold_spm: float = 60.0
    smooth_records: int = 5
    max_record_gap_s: float = 30.0
    repair_doubling: bool = True
    bin_width_spm: float = 5.0
    walk_run_speed_ms: float = 2.0
    min_running_step_m: float = 0.55

    def __post_init__(self) -> None:
        if not 0 < self.walk_threshold_spm < self.run_threshold_spm <= MAX_STEP_RATE_SPM:
            raise ParameterError(
                f"need 0 < walk_threshold_spm < run_threshold_spm <= {MAX_STEP_RATE_SPM:g}, got "
                f"{self.walk_threshold_spm=}, {self.run_threshold_spm=}"
            )
        if self.smooth_records < 1 or self.smooth_records % 2 == 0:
            raise ParameterError(f"{self.smooth_records=} must be a positive odd number")
        if self.max_record_gap_s <= 0:
            raise ParameterError(f"{self.max_record_gap_s=} must be > 0")
        if self.bin_width_spm <= 0:
            raise ParameterError(f"{self.bin_width_spm=} must be > 0")
        if not 0 < self.walk_run_speed_ms <= 4:
            raise ParameterError(f"{self.walk_run_speed_ms=} must be in (0, 4] m/s")
        if not 0 <= self.min_running_step_m < 2:
            raise ParameterError(f"{self.min_running_step_m=} must be in [0, 2) m")


@dataclass(frozen=True)
class SpeedFit:
    """Least-squares line ``cadence_spm = intercept_spm + slope_spm_per_ms * speed_ms`` over running time."""

    slope_spm_per_ms: float = float("nan")
    intercept_spm: float = float("nan")
    r2: float = float("nan")
    n: int = 0
    speed_min_ms: float = float("nan")
    speed_max_ms: float = float("nan")

    def cadence_at(self, speed_ms: float | NDArray[np.float64]) -> float | NDArray[np.float64]:
        """Fitted step rate in spm at ``speed_ms``."""
        return self.intercept_spm + self.slope_spm_per_ms * np.asarray(speed_ms)


@dataclass(frozen=True)
class KmSplit:
    """One kilometre of the activity (the last one may be partial)."""

    km: int
    distance_m: float
    time_s: float
    running_time_s: float
    running_cadence_spm: float
    pace_s_per_km: float


@dataclass(frozen=True)
class LapSummary:
    """One lap of the activity (as the watch split it: lap button or auto-lap).

    ``time_s`` is timer time (pauses excluded); ``pace_s_per_km`` is ``time_s`` per kilometre of the lap's
    distance; the running figures are over the lap's running records only (walk breaks and stops excluded).
    ``dynamics`` holds the running-time-weighted means of the running dynamics the file has (keys as in
    :data:`~cadence.datatypes.RUNNING_DYNAMICS`).
    """

    lap: int
    start_s: float
    time_s: float
    distance_m: float
    pace_s_per_km: float
    running_time_s: float
    running_cadence_spm: float
    step_length_m: float
    dynamics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class CadenceSummary:
    """The result of :func:`analyze_trace`: cadence figures plus what was excluded and why.

    All cadences are in steps per minute; ``nan`` where there is nothing to measure (e.g. no running).
    The ``record_*`` arrays are per record of the trace: the step rate after artefact repair, the gait
    (-1 no cadence reading, 0 stopped, 1 walking, 2 running) and the timer seconds each record stands for
    (0 while paused).

    ``step_length_m`` is the watch's own step length (time-weighted over running) when it measured one over
    at least half the running time, otherwise running distance over running steps (speed and cadence);
    ``step_length_source`` says which (``"watch"``, ``"speed and cadence"``, or ``""`` when neither).
    ``dynamics`` holds the running-time-weighted means of the running dynamics in the file (ground contact
    time, vertical oscillation, ...: keys as in :data:`~cadence.datatypes.RUNNING_DYNAMICS`, step length
    included when the watch wrote it).
    """

    sport: str
    duration_s: float
    timer_time_s: float
    running_time_s: float
    walking_time_s: float
    stopped_time_s: float
    no_cadence_time_s: float
    paused_time_s: float
    running_cadence_spm: float
    walking_cadence_spm: float
    watch_avg_cadence_spm: float
    device_avg_cadence_spm: float
    cadence_p10_spm: float
    cadence_median_spm: float
    cadence_p90_spm: float
    cadence_max_sustained_spm: float
    drift_spm: float
    first_third_cadence_spm: float
    last_third_cadence_spm: float
    cadence_vs_speed: SpeedFit
    step_length_m: float
    running_distance_m: float
    distance_m: float
    histogram: tuple[tuple[float, float, float], ...]
    splits: tuple[KmSplit, ...]
    n_records: int
    n_doubled_repaired: int
    step_length_source: str = ""
    dynamics: dict[str, float] = field(default_factory=dict)
    laps: tuple[LapSummary, ...] = ()
    #: why readings were repaired or reclassified, and how many: ``doubled_burst`` (short bursts at double
    #: the walking cadence, halved), ``doubled_at_walking_speed`` (140+ spm at walking speed with a step
    #: too short for running, halved), ``walking_not_running`` (a walking/hiking session's 140+ spm below
    #: the walk-to-run speed: walking, value kept)
    repairs: dict[str, int] = field(default_factory=dict)
    record_cadence_spm: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0), repr=False)
    record_gait: NDArray[np.int8] = field(default_factory=lambda: np.zeros(0, dtype=np.int8), repr=False)
    record_weight_s: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0), repr=False)
    notes: tuple[str, ...] = field(default=())

    @property
    def record_running(self) -> NDArray[np.bool_]:
        """Per record: counted as running time (running gait while the timer ran)."""
        return (self.record_gait == GAIT_RUNNING) & (self.record_weight_s > 0)


def record_weights_s(
    t_s: NDArray[np.float64], timer_intervals_s: NDArray[np.float64], max_gap_s: float
) -> NDArray[np.float64]:
    """Seconds of timer time each record stands for.

    Record ``i`` stands for ``(t_i - min(t_i - t_{i-1}, max_gap_s), t_i]``: a watch writes the value it
    measured since its previous record (smart recording writes a record when a value changes). The first
    record stands for the median record interval. Only the part inside a timer interval counts.

    Parameters
    ----------
    t_s : ndarray, shape (n,)
        Strictly increasing record times.
    timer_intervals_s : ndarray, shape (k, 2)
        Timer-running intervals.
    max_gap_s : float
        Longest time one record may stand for.

    Returns
    -------
    ndarray, shape (n,)
        Non-negative weights in seconds.

    """
    t = np.asarray(t_s, dtype=float)
    if t.size == 0:
        return np.zeros(0)
    dt = np.diff(t)
    last = float(np.median(dt)) if dt.size else 1.0
    span = np.minimum(np.insert(dt, 0, last), max_gap_s)
    xp, fp = running_time_function(timer_intervals_s)
    return np.maximum(np.interp(t, xp, fp) - np.interp(t - span, xp, fp), 0.0)


def repair_doubled_cadence(
    cadence_spm: NDArray[np.float64], *, walking_max_spm: float = 140.0, window: int = 9, max_run: int = 3
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Halve short bursts of readings at double the local walking cadence.

    Some watches (e.g. Garmin FR255 while walking) flip between the true cadence and double it from one
    second to the next. A reading is repaired when it is 1.8-2.2x the local reference (the 25th percentile of
    a ``window``-record neighbourhood), the reference is a walking cadence (50 spm to ``walking_max_spm``),
    and it belongs to a burst of at most ``max_run`` such readings with readings at the reference on both
    sides. A real change from walking to running lasts longer than a burst and is left alone.

    Parameters
    ----------
    cadence_spm : ndarray, shape (n,)
        Per-record step rate.
    walking_max_spm, window, max_run
        See above.

    Returns
    -------
    repaired : ndarray, shape (n,)
        Copy of ``cadence_spm`` with the flagged readings halved.
    flagged : ndarray of bool, shape (n,)
        Which readings were halved.

    """
    c = np.asarray(cadence_spm, dtype=float)
    n = c.size
    flagged = np.zeros(n, dtype=bool)
    if n < 3:
        return c.copy(), flagged
    filled = np.where(np.isfinite(c), c, 0.0)
    ref = _running(filled, min(window, n), lambda w: np.percentile(w, 25, axis=-1, method="nearest"))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = filled / ref
    walking_ref = (ref >= 50.0) & (ref < walking_max_spm)
    candidate = walking_ref & (ratio >= 1.8) & (ratio <= 2.2)
    at_ref = walking_ref & (np.abs(ratio - 1.0) < 0.15)
    # runs of consecutive candidates: [start, stop)
    edges = np.diff(np.concatenate([[0], candidate.astype(np.int8), [0]]))
    starts = np.nonzero(edges == 1)[0]
    stops = np.nonzero(edges == -1)[0]
    short = (stops - starts) <= max_run
    bounded = (starts > 0) & (stops < n)
    starts, stops = starts[short & bounded], stops[short & bounded]
    ok = at_ref[starts - 1] & at_ref[stops]
    for a, b in zip(starts[ok], stops[ok], strict=True):  # one slice per burst, not per sample
        flagged[a:b] = True
    out = c.copy()
    out[flagged] /= 2.0
    return out, flagged


def repair_doubled_walk(
    cadence_spm: NDArray[np.float64],
    speed_ms: NDArray[np.float64],
    *,
    walk_run_speed_ms: float = 2.0,
    min_running_step_m: float = 0.55,
    run_threshold_spm: float = 140.0,
    smooth_records: int = 9,
    t_s: NDArray[np.float64] | None = None,
    context_s: float = 30.0,
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Halve readings that are a doubled walk: 140+ spm at walking speed with a step too short to run.

    A reading is repaired when the speed (median over ``smooth_records`` records) is known, at least
    0.5 m/s (a standing or wrong treadmill speed is no evidence) and below ``walk_run_speed_ms`` all
    through the ``context_s`` around it (a runner speeding up from a stop reaches running speed within
    seconds; a walk stays slow), the step rate is at least ``run_threshold_spm``, the step length
    ``speed / (step rate / 60)`` is below ``min_running_step_m``, and half the step rate is a walking one
    (50-140 spm, a step of 0.4-1.3 m).

    Parameters
    ----------
    cadence_spm, speed_ms : ndarray, shape (n,)
        Per-record step rate (spm) and speed (m/s, ``nan`` where unknown).
    walk_run_speed_ms, min_running_step_m, run_threshold_spm, smooth_records, context_s
        See above.
    t_s : ndarray, shape (n,), optional
        Record times, to size the ``context_s`` window (default: one record per second).

    Returns
    -------
    repaired : ndarray, shape (n,)
        Copy of ``cadence_spm`` with the flagged readings halved.
    flagged : ndarray of bool, shape (n,)
        Which readings were halved.

    Notes
    -----
    People change from walking to running near 2 m/s (preferred transition speed 2.06 m/s, Hreljac 1993,
    Med Sci Sports Exerc 25:1158). Just above it, runners take steps of about 0.7-0.8 m (2.2 m/s at 160 spm
    is a 0.83 m step; recreational runners at 2.5-3 m/s take 0.85-1.05 m, Cavanagh & Kram 1989, Med Sci
    Sports Exerc 21:467), while a walk read at double its cadence gives half its step: 0.35-0.5 m (a FR255
    hike at 1.7 m/s and 218 spm: 0.47 m). 0.55 m sits between the two.
    """
    c = np.asarray(cadence_spm, dtype=float)
    v_raw = np.asarray(speed_ms, dtype=float)
    flagged = np.zeros(c.size, dtype=bool)
    if c.size == 0 or not np.isfinite(v_raw).any():
        return c.copy(), flagged
    size = max(1, min(smooth_records, c.size) | 1)
    v = _running(np.where(np.isfinite(v_raw), v_raw, np.nan), size, lambda w: _nanmedian_rows(w))
    dt = float(np.median(np.diff(t_s))) if t_s is not None and len(t_s) > 1 else 1.0
    ctx = int(np.clip(round(context_s / max(dt, 1e-3)), 1, 121)) | 1
    v_max = _running(np.where(np.isfinite(v), v, -np.inf), min(ctx, c.size) | 1, lambda w: np.max(w, axis=-1))
    with np.errstate(divide="ignore", invalid="ignore"):
        step_m = v / (c / 60.0)
        half = c / 2.0
    flagged = (
        (v_max < walk_run_speed_ms)
        & np.isfinite(v)
        & np.isfinite(c)
        & (v >= 0.5)
        & (v < walk_run_speed_ms)
        & (c >= run_threshold_spm)
        & (step_m < min_running_step_m)
        & (half >= 50.0)
        & (half < 140.0)
        & (2 * step_m >= 0.4)
        & (2 * step_m <= 1.3)
    )
    out = c.copy()
    out[flagged] /= 2.0
    return out, flagged


def _nanmedian_rows(w: NDArray[np.float64]) -> NDArray[np.float64]:
    """Median of each row ignoring ``nan`` (``nan`` for an all-``nan`` row), without a RuntimeWarning."""
    srt = np.sort(w, axis=-1)  # nan sorts last
    n_ok = np.isfinite(srt).sum(axis=-1)
    rows = np.arange(srt.shape[0])
    lo = np.maximum((n_ok - 1) // 2, 0)
    hi = np.maximum(n_ok // 2, 0)
    med = 0.5 * (srt[rows, lo] + srt[rows, hi])
    return np.where(n_ok > 0, med, np.nan)


def _running(
    values: NDArray[np.float64], size: int, reduce: Callable[[NDArray[np.float64]], NDArray[np.float64]]
) -> NDArray[np.float64]:
    """Apply ``reduce`` over a centred window of ``size`` samples (edges padded with the edge value).

    numpy only: importing scipy.ndimage for two small filters would cost every ``cadence analyze`` run a
    quarter of a second.
    """
    half = size // 2
    padded = np.pad(values, (half, size - 1 - half), mode="edge")
    return reduce(np.lib.stride_tricks.sliding_window_view(padded, size))


def classify_gait(cadence_spm: NDArray[np.float64], options: AnalysisOptions) -> NDArray[np.int8]:
    """Per-record gait: -1 no cadence reading, 0 stopped, 1 walking, 2 running (rule: module docstring)."""
    raw = np.asarray(cadence_spm, dtype=float)
    c = np.nan_to_num(raw, nan=0.0)
    smooth = _running(c, options.smooth_records, lambda w: np.median(w, axis=-1)) if c.size else c
    gait = np.full(c.size, GAIT_STOPPED, dtype=np.int8)
    gait[np.isnan(raw)] = GAIT_UNKNOWN
    moving = c >= options.walk_threshold_spm
    gait[moving & (smooth >= options.walk_threshold_spm)] = GAIT_WALKING
    gait[moving & (smooth >= options.run_threshold_spm)] = GAIT_RUNNING
    return gait


def weighted_quantiles(
    values: NDArray[np.float64], weights: NDArray[np.float64], q: NDArray[np.float64] | list[float]
) -> NDArray[np.float64]:
    """Quantiles ``q`` (0-1) of ``values`` where each value counts ``weights`` (seconds); nan if empty."""
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    ok = np.isfinite(v) & (w > 0)
    qq = np.asarray(q, dtype=float)
    if not ok.any():
        return np.full(qq.shape, np.nan)
    order = np.argsort(v[ok])
    vs, ws = v[ok][order], w[ok][order]
    cum = np.cumsum(ws)
    centers = (cum - 0.5 * ws) / cum[-1]
    return np.interp(qq, centers, vs)


def weighted_mean(values: NDArray[np.float64], weights: NDArray[np.float64]) -> float:
    """Return the mean of the finite ``values`` weighted by ``weights`` (seconds); ``nan`` if none counts."""
    ok = np.isfinite(values) & (weights > 0)
    total = float(weights[ok].sum())
    return float(np.dot(values[ok], weights[ok]) / total) if total > 0 else float("nan")


def fit_cadence_vs_speed(
    cadence_spm: NDArray[np.float64], speed_ms: NDArray[np.float64], weights_s: NDArray[np.float64]
) -> SpeedFit:
    """Time-weighted least-squares line of step rate on speed.

    Parameters
    ----------
    cadence_spm, speed_ms, weights_s : ndarray, shape (n,)
        Per-record step rate, speed and the seconds each record stands for (0 to leave a record out).

    Returns
    -------
    SpeedFit
        ``nan`` fields when fewer than 10 records have a speed or the speed does not vary.

    """
    c = np.asarray(cadence_spm, dtype=float)
    s = np.asarray(speed_ms, dtype=float)
    w = np.asarray(weights_s, dtype=float)
    ok = np.isfinite(c) & np.isfinite(s) & (w > 0) & (s > 0)
    n = int(ok.sum())
    if n < 10:
        return SpeedFit(n=n)
    c, s, w = c[ok], s[ok], w[ok]
    s_mean = np.average(s, weights=w)
    c_mean = np.average(c, weights=w)
    s_var = np.average((s - s_mean) ** 2, weights=w)
    if s_var <= 1e-12:
        return SpeedFit(n=n, speed_min_ms=float(s.min()), speed_max_ms=float(s.max()))
    slope = np.average((s - s_mean) * (c - c_mean), weights=w) / s_var
    intercept = c_mean - slope * s_mean
    resid = c - (intercept + slope * s)
    c_var = np.average((c - c_mean) ** 2, weights=w)
    r2 = 1.0 - np.average(resid**2, weights=w) / c_var if c_var > 0 else float("nan")
    return SpeedFit(
        slope_spm_per_ms=float(slope),
        intercept_spm=float(intercept),
        r2=float(r2),
        n=n,
        speed_min_ms=float(s.min()),
        speed_max_ms=float(s.max()),
    )


def _max_sustained(
    cadence_spm: NDArray[np.float64],
    weights_s: NDArray[np.float64],
    window_s: float = 60.0,
) -> float:
    """Highest time-weighted mean step rate over any ``window_s`` of running (nan if shorter)."""
    ok = np.isfinite(cadence_spm) & (weights_s > 0)
    if weights_s[ok].sum() < window_s:
        return float("nan")
    cw = np.where(ok, cadence_spm * weights_s, 0.0)
    w = np.where(ok, weights_s, 0.0)
    cum_cw = np.concatenate([[0.0], np.cumsum(cw)])
    cum_w = np.concatenate([[0.0], np.cumsum(w)])
    # for every start record, the first record index whose running time reaches window_s
    end = np.searchsorted(cum_w, cum_w[:-1] + window_s, side="left")
    valid = end < cum_w.size
    if not valid.any():
        return float("nan")
    starts = np.nonzero(valid)[0]
    means = (cum_cw[end[valid]] - cum_cw[starts]) / (cum_w[end[valid]] - cum_w[starts])
    return float(np.max(means))


def distance_splits(trace: CadenceTrace, summary: CadenceSummary, unit_m: float) -> tuple[KmSplit, ...]:
    """Return the splits every ``unit_m`` metres (1609.344: miles); ``KmSplit.km`` numbers them.

    ``pace_s_per_km`` stays per kilometre; ``distance_m`` is the split's length (``unit_m`` but the last).
    """
    if not unit_m > 0:
        raise ParameterError(f"{unit_m=} must be > 0")
    return _splits(trace, summary.record_weight_s, summary.record_running, summary.record_cadence_spm, unit_m)


def _splits(
    trace: CadenceTrace,
    weights_s: NDArray[np.float64],
    running: NDArray[np.bool_],
    cadence: NDArray[np.float64],
    unit_m: float = 1000.0,
) -> tuple[KmSplit, ...]:
    d = trace.distance_m
    ok = np.isfinite(d)
    if ok.sum() < 2 or np.nanmax(d) < 1.0:
        return ()
    # distance from the session start (multisport files count from the start of the whole activity)
    d0 = float(d[ok][0])
    d_filled = np.maximum.accumulate(np.where(ok, d - d0, -np.inf))
    d_filled[~np.isfinite(d_filled)] = 0.0
    km = np.floor(d_filled / unit_m).astype(int)
    n_km = int(km.max()) + 1
    time_s = np.bincount(km, weights=weights_s, minlength=n_km)
    run_w = np.where(running & np.isfinite(cadence), weights_s, 0.0)
    run_time = np.bincount(km, weights=run_w, minlength=n_km)
    run_cw = np.bincount(km, weights=np.where(run_w > 0, cadence, 0.0) * run_w, minlength=n_km)
    total_m = float(d_filled[-1])
    out = []
    for k in range(n_km):
        dist = min(unit_m, total_m - unit_m * k)
        if dist <= 0:
            continue
        out.append(
            KmSplit(
                km=k + 1,
                distance_m=dist,
                time_s=float(time_s[k]),
                running_time_s=float(run_time[k]),
                running_cadence_spm=float(run_cw[k] / run_time[k]) if run_time[k] > 0 else float("nan"),
                pace_s_per_km=float(time_s[k] / dist * 1000.0) if dist > 0 else float("nan"),
            )
        )
    return tuple(out)


def _step_length(
    trace: CadenceTrace, cadence: NDArray[np.float64], run_w: NDArray[np.float64]
) -> tuple[float, str]:
    """Step length over the records weighted by ``run_w``, and its source (rule: :class:`CadenceSummary`)."""
    watch = trace.dynamics.get("step_length_m")
    total = float(run_w.sum())
    if watch is not None and total > 0:
        measured = float(run_w[np.isfinite(watch)].sum())
        if measured >= 0.5 * total:
            return weighted_mean(watch, run_w), "watch"
    ok = np.isfinite(trace.speed_ms) & np.isfinite(cadence) & (run_w > 0)
    steps = float(np.dot(cadence[ok] / 60.0, run_w[ok]))
    if steps <= 0:
        return float("nan"), ""
    return float(np.dot(trace.speed_ms[ok], run_w[ok])) / steps, "speed and cadence"


def _group_means(
    values: NDArray[np.float64], weights: NDArray[np.float64], group: NDArray[np.intp], n: int
) -> NDArray[np.float64]:
    """Weighted mean of the finite ``values`` in each of ``n`` groups (``nan`` where none counts)."""
    ok = np.isfinite(values) & (weights > 0)
    w = np.where(ok, weights, 0.0)
    total = np.bincount(group, weights=w, minlength=n)
    sums = np.bincount(group, weights=np.where(ok, values, 0.0) * w, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, sums / np.where(total > 0, total, 1.0), np.nan)


def _laps(
    trace: CadenceTrace,
    weights: NDArray[np.float64],
    run_w: NDArray[np.float64],
    cadence: NDArray[np.float64],
    step_source: str,
) -> tuple[LapSummary, ...]:
    """Per-lap time, distance, pace, running cadence, step length and dynamics (vectorized by lap)."""
    starts = np.asarray(trace.lap_start_s, dtype=float)
    if trace.n == 0 or starts.size == 0:
        return ()
    n = starts.size
    # a record stands for the time just before it: it belongs to the lap with start < t <= next start
    lap = np.clip(np.searchsorted(starts, trace.t_s, side="left") - 1, 0, n - 1)
    time_s = np.bincount(lap, weights=weights, minlength=n)
    run_s = np.bincount(lap, weights=run_w, minlength=n)
    cad = _group_means(cadence, run_w, lap, n)
    d = trace.distance_m
    ok = np.isfinite(d)
    if ok.any():
        filled = np.maximum.accumulate(np.where(ok, d, -np.inf))
        filled = np.where(np.isfinite(filled), filled, float(d[ok][0]))
        last = np.full(n, np.nan)
        last[lap] = filled  # the last record of each lap wins (records are in time order)
        last = np.fmax.accumulate(np.where(np.isfinite(last), last, -np.inf))
        before = np.concatenate([[float(d[ok][0])], last[:-1]])
        dist = np.where(np.isfinite(last), last - before, np.nan)
    else:
        dist = np.full(n, np.nan)
    if step_source == "watch":
        step = _group_means(trace.dynamics["step_length_m"], run_w, lap, n)
    else:
        sok = np.isfinite(trace.speed_ms) & np.isfinite(cadence) & (run_w > 0)
        metres = np.bincount(lap, weights=np.where(sok, trace.speed_ms * run_w, 0.0), minlength=n)
        steps = np.bincount(lap, weights=np.where(sok, cadence / 60.0 * run_w, 0.0), minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            step = np.where(steps > 0, metres / np.where(steps > 0, steps, 1.0), np.nan)
    dyn = {key: _group_means(col, run_w, lap, n) for key, col in trace.dynamics.items()}
    out = []
    for i in range(n):
        if time_s[i] <= 0 and not (lap == i).any():
            continue
        km = dist[i] / 1000.0
        out.append(
            LapSummary(
                lap=i + 1,
                start_s=float(starts[i]),
                time_s=float(time_s[i]),
                distance_m=float(dist[i]),
                pace_s_per_km=float(time_s[i] / km) if km > 0.01 else float("nan"),
                running_time_s=float(run_s[i]),
                running_cadence_spm=float(cad[i]),
                step_length_m=float(step[i]),
                dynamics={k: float(v[i]) for k, v in dyn.items() if np.isfinite(v[i])},
            )
        )
    return tuple(out)


def analyze_trace(trace: CadenceTrace, options: AnalysisOptions | None = None) -> CadenceSummary:
    """Summarize the step rate of one activity.

    Parameters
    ----------
    trace : CadenceTrace
        Per-record data from a reader.
    options : AnalysisOptions, optional
        Thresholds and rules; the defaults are documented in docs/fit.md.

    Returns
    -------
    CadenceSummary
        Running cadence (pauses, stops and walk breaks excluded), the watch-style average, distribution,
        drift, per-km splits, cadence vs speed and step length. A trace with no step data (cycling, or no
        records) gives ``nan`` cadences and zero running time.

    """
    opts = options or AnalysisOptions()
    t = trace.t_s
    weights = record_weights_s(t, trace.timer_intervals_s, opts.max_record_gap_s)
    timer_time = (
        float(np.sum(np.diff(trace.timer_intervals_s, axis=1))) if trace.timer_intervals_s.size else 0.0
    )
    if np.isfinite(trace.device.total_elapsed_time_s):
        duration = trace.device.total_elapsed_time_s
    else:
        duration = float(t[-1] - t[0] + (np.median(np.diff(t)) if t.size > 1 else 0.0)) if t.size else 0.0

    cadence = trace.cadence_spm.astype(float)
    notes = list(trace.notes)
    flagged = np.zeros(cadence.size, dtype=bool)
    repairs: dict[str, int] = {}
    speed = np.asarray(trace.speed_ms, dtype=float)
    if opts.repair_doubling and trace.is_step_sport:
        cadence, flagged = repair_doubled_cadence(cadence, walking_max_spm=opts.run_threshold_spm)
        if flagged.any():
            repairs["doubled_burst"] = int(flagged.sum())
            notes.append(
                f"repaired {int(flagged.sum())} readings that were double the walking cadence "
                "(watch artefact)"
            )
        cadence, walk_flagged = repair_doubled_walk(
            cadence,
            speed,
            walk_run_speed_ms=opts.walk_run_speed_ms,
            min_running_step_m=opts.min_running_step_m,
            run_threshold_spm=opts.run_threshold_spm,
            t_s=t,
        )
        if walk_flagged.any():
            repairs["doubled_at_walking_speed"] = int(walk_flagged.sum())
            n, thr = int(walk_flagged.sum()), opts.run_threshold_spm
            notes.append(
                f"halved {n} readings: {thr:.0f}+ spm below {opts.walk_run_speed_ms:g} m/s,"
                " a walk read double"
            )
            flagged = flagged | walk_flagged

    gait = classify_gait(cadence, opts)
    if trace.is_step_sport and _is_walk_session(trace):
        # a walk or hike: running only where the speed says so (or is unknown)
        with np.errstate(divide="ignore", invalid="ignore"):
            step_m = speed / (cadence / 60.0)
        # below the walk-to-run speed, or a step no runner at this step rate takes (a GPS jump)
        implausible = (speed < opts.walk_run_speed_ms) | (step_m > MAX_WALK_SESSION_STEP_M)
        slow = np.isfinite(speed) & implausible & (gait == GAIT_RUNNING)
        if slow.any():
            gait[slow] = GAIT_WALKING
            repairs["walking_not_running"] = int(slow.sum())
            n, thr = int(slow.sum()), opts.run_threshold_spm
            notes.append(
                f"{n} readings of {thr:.0f}+ spm in this {trace.sport} session were below the walk-to-run"
                f" speed ({opts.walk_run_speed_ms:g} m/s): counted as fast walking"
            )
    running = gait == GAIT_RUNNING
    walking = gait == GAIT_WALKING
    run_w = np.where(running, weights, 0.0)
    walk_w = np.where(walking, weights, 0.0)
    stop_w = np.where(gait == GAIT_STOPPED, weights, 0.0)
    running_time = float(run_w.sum())

    # the watch's own average: every timer second, stops and walk breaks included (no repair: as the device)
    raw = trace.cadence_spm
    watch = weighted_mean(raw, weights)
    if trace.device.avg_cadence_spm == trace.device.avg_cadence_spm and not trace.device.has_fractional:
        watch = 2.0 * np.floor(watch / 2.0 + 1e-9) if np.isfinite(watch) else watch

    p10, p50, p90 = weighted_quantiles(cadence, run_w, [0.1, 0.5, 0.9])
    run_cadence = weighted_mean(cadence, run_w)

    # drift: first vs last third of the running time
    cum = np.cumsum(run_w)
    third = running_time / 3.0
    first = weighted_mean(cadence, np.where(cum <= third, run_w, 0.0)) if running_time > 0 else np.nan
    last = weighted_mean(cadence, np.where(cum > 2 * third, run_w, 0.0)) if running_time > 0 else np.nan

    fit = fit_cadence_vs_speed(cadence, trace.speed_ms, run_w)
    speed_ok = np.isfinite(trace.speed_ms) & np.isfinite(cadence) & (run_w > 0)
    run_dist = float(np.dot(trace.speed_ms[speed_ok], run_w[speed_ok]))
    dynamics = {key: weighted_mean(col, run_w) for key, col in trace.dynamics.items()}
    dynamics = {key: value for key, value in dynamics.items() if np.isfinite(value)}
    step_length, step_source = _step_length(trace, cadence, run_w)

    hist: list[tuple[float, float, float]] = []
    if running_time > 0:
        width = opts.bin_width_spm
        c_run = cadence[run_w > 0]
        lo = np.floor(np.nanmin(c_run) / width) * width
        hi = np.floor(np.nanmax(c_run) / width) * width + width
        edges = np.arange(lo, hi + width / 2, width)
        counts, _ = np.histogram(c_run, bins=edges, weights=run_w[run_w > 0])
        hist = [(float(a), float(b), float(s)) for a, b, s in zip(edges[:-1], edges[1:], counts, strict=True)]

    d = trace.distance_m[np.isfinite(trace.distance_m)]
    distance = trace.device.total_distance_m
    if not np.isfinite(distance):
        distance = float(d.max() - d[0]) if d.size else float("nan")
    return CadenceSummary(
        sport=trace.sport,
        duration_s=float(duration),
        timer_time_s=timer_time,
        running_time_s=running_time,
        walking_time_s=float(walk_w.sum()),
        stopped_time_s=float(stop_w.sum()),
        no_cadence_time_s=float(np.where(gait == GAIT_UNKNOWN, weights, 0.0).sum()),
        paused_time_s=max(float(duration) - timer_time, 0.0),
        running_cadence_spm=run_cadence,
        walking_cadence_spm=weighted_mean(cadence, walk_w),
        watch_avg_cadence_spm=float(watch),
        device_avg_cadence_spm=trace.device.avg_cadence_spm,
        cadence_p10_spm=float(p10),
        cadence_median_spm=float(p50),
        cadence_p90_spm=float(p90),
        cadence_max_sustained_spm=_max_sustained(cadence, run_w),
        drift_spm=float(last - first),
        first_third_cadence_spm=float(first),
        last_third_cadence_spm=float(last),
        cadence_vs_speed=fit,
        step_length_m=float(step_length),
        running_distance_m=run_dist,
        distance_m=float(distance),
        histogram=tuple(hist),
        splits=_splits(trace, weights, running, cadence),
        n_records=trace.n,
        n_doubled_repaired=int(flagged.sum()),
        step_length_source=step_source,
        dynamics=dynamics,
        laps=_laps(trace, weights, run_w, cadence, step_source),
        repairs=repairs,
        record_cadence_spm=cadence,
        record_gait=gait,
        record_weight_s=weights,
        notes=tuple(notes),
    )


def _is_walk_session(trace: CadenceTrace) -> bool:
    """Whether the file labels the session a walk or a hike."""
    walk = {"walking", "hiking", "casual_walking", "speed_walking"}
    return trace.sport in walk or trace.sub_sport in walk


def time_in_band_s(
    summary: CadenceSummary, low_spm: float, high_spm: float, mask: NDArray[np.bool_] | None = None
) -> tuple[float, float, float]:
    """Return the running seconds below, inside and above the band ``[low_spm, high_spm]``.

    Parameters
    ----------
    summary : CadenceSummary
        From :func:`analyze_trace` (its per-record arrays are used).
    low_spm, high_spm : float
        The band, inclusive.
    mask : ndarray of bool, shape (n_records,), optional
        Restrict to these records (e.g. one lap or one segment of a plan).

    Returns
    -------
    below_s, in_s, above_s : float
        Running time in seconds; they add up to the running time inside ``mask``.
    """
    if low_spm > high_spm:
        raise ParameterError(f"{low_spm=} must be <= {high_spm=}")
    w = np.where(summary.record_running, summary.record_weight_s, 0.0)
    if mask is not None:
        w = np.where(mask, w, 0.0)
    c = summary.record_cadence_spm
    below = float(w[c < low_spm].sum())
    above = float(w[c > high_spm].sum())
    inside = float(w[(c >= low_spm) & (c <= high_spm)].sum())
    return below, inside, above
