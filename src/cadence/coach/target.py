"""Cadence targets: the +5-10 % guidance as whole steps per minute, optionally tied to running speed.

Pure functions of numbers and arrays (no I/O). The method, the evidence and the rounding rule are described
in docs/targets.md.

Rounding rule
-------------
A target bound is ``baseline_spm * (1 + pct / 100)`` rounded half up to a whole step per minute (the product
is first rounded to 6 decimals so that 170 x 1.05 = 178.5 rounds up to 179 despite binary floating point).
160 spm gives 168-176 spm at +5-10 %.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ParameterError
from ..gait.analysis import AnalysisOptions
from .speed import SpeedStats, cadence_at_speed, pool_speed_stats, speed_stats

if TYPE_CHECKING:
    from ..gait.analysis import SpeedFit
    from ..pipeline import ActivityResult
    from .history import SessionFacts

__all__ = [
    "DEFAULT_INCREASE_PCT",
    "ROUNDING_RULE",
    "Baseline",
    "SpeedBaseline",
    "SpeedModel",
    "TargetRange",
    "TargetWarning",
    "baseline_from_results",
    "baseline_warnings",
    "format_pace",
    "parse_increase",
    "parse_speed_ms",
    "pooled_speed_model",
    "round_half_up",
    "speed_baseline",
    "speed_model_from_results",
    "target_range",
]

DEFAULT_INCREASE_PCT = (5.0, 10.0)
ROUNDING_RULE = "round half up to a whole step: floor(baseline_spm * (1 + pct/100) + 0.5)"

#: below this a "running" cadence looks like walking (the analysis' own running threshold, by default)
WALKING_BELOW_SPM = AnalysisOptions().run_threshold_spm
#: at or above this a cadence is already high for a recreational runner: +5-10 % is not the advice
HIGH_AT_SPM = 185.0
#: the evidence covers up to +10 % in one go (Heiderscheit 2011, Lenhart 2014, Bonacci 2018)
MAX_EVIDENCED_PCT = 10.0
#: larger than this is refused: it is a different gait, not a cadence target
MAX_INCREASE_PCT = 30.0
#: a baseline outside this range is not a human step rate
BASELINE_LIMITS_SPM = (40.0, 260.0)

#: a baseline from less running than this is uncertain
MIN_BASELINE_RUNNING_S = 300.0

#: fewer running seconds with a speed than this: no cadence-vs-speed line (the rule at a speed is
#: :func:`cadence.coach.speed.cadence_at_speed`'s, shared with ``history``; docs/targets.md)
MIN_FIT_RUNNING_S = 60.0


@dataclass(frozen=True)
class TargetWarning:
    """A guard rail that fired: a stable ``code`` for programs and a ``message`` in plain words.

    Codes: ``walking_baseline``, ``high_baseline``, ``above_max_sustained``, ``large_increase``,
    ``short_baseline``, ``weak_speed_fit``.
    """

    code: str
    message: str


@dataclass(frozen=True)
class TargetRange:
    """A cadence target: the baseline and the band ``[low_spm, high_spm]`` of whole steps per minute.

    Attributes
    ----------
    baseline_spm : float
        The runner's current running cadence (steps per minute).
    low_pct, high_pct : float
        The increase at each end of the band, in percent.
    low_spm, high_spm : int
        The band, rounded by :data:`ROUNDING_RULE`.
    rounding : str
        The rounding rule in words.
    warnings : tuple of TargetWarning
        Guard rails that fired (empty when the target is within the evidence).

    """

    baseline_spm: float
    low_pct: float
    high_pct: float
    low_spm: int
    high_spm: int
    rounding: str = ROUNDING_RULE
    warnings: tuple[TargetWarning, ...] = ()

    @property
    def mid_spm(self) -> int:
        """The middle of the band (rounded half up): one metronome tempo for the whole band."""
        return round_half_up((self.low_spm + self.high_spm) / 2.0)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict (schema in docs/targets.md)."""
        return {
            "baseline_spm": self.baseline_spm,
            "low_spm": self.low_spm,
            "high_spm": self.high_spm,
            "low_pct": self.low_pct,
            "high_pct": self.high_pct,
            "mid_spm": self.mid_spm,
            "rounding": self.rounding,
            "warnings": [{"code": w.code, "message": w.message} for w in self.warnings],
        }


def round_half_up(value: float) -> int:
    """Round to the nearest integer, halves up (``178.5 -> 179``), robust to binary floating point."""
    if not math.isfinite(value):
        raise ParameterError(f"{value=} must be a finite number")
    return int(math.floor(round(value, 6) + 0.5))


def _check_baseline(baseline_spm: float) -> float:
    try:
        b = float(baseline_spm)
    except (TypeError, ValueError):
        raise ParameterError(f"{baseline_spm=} must be a number of steps per minute") from None
    lo, hi = BASELINE_LIMITS_SPM
    if not math.isfinite(b) or not lo <= b <= hi:
        raise ParameterError(
            f"baseline_spm={b:g} is not a running step rate: give steps per minute between {lo:g} and {hi:g}"
        )
    return b


def _check_increase(increase_pct: Sequence[float] | float) -> tuple[float, float]:
    if isinstance(increase_pct, int | float):
        pair = (float(increase_pct), float(increase_pct))
    else:
        vals = [float(v) for v in increase_pct]
        if len(vals) != 2:
            raise ParameterError(f"{increase_pct=} must be one percentage or a (low, high) pair")
        pair = (vals[0], vals[1])
    low, high = pair
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ParameterError(f"{increase_pct=} must be finite percentages")
    if low < 0:
        raise ParameterError(f"increase {low:g} % must be >= 0: a target is a higher step rate")
    if low > high:
        raise ParameterError(f"increase range {low:g}-{high:g} %: the low end must not exceed the high end")
    if high > MAX_INCREASE_PCT:
        raise ParameterError(
            f"increase {high:g} % is too large (at most {MAX_INCREASE_PCT:g} %; the evidence covers +5-10 %)"
        )
    return low, high


def target_range(
    baseline_spm: float,
    increase_pct: Sequence[float] | float = DEFAULT_INCREASE_PCT,
    *,
    max_sustained_spm: float = float("nan"),
) -> TargetRange:
    """Target step-rate band from a baseline cadence: ``+low_pct`` to ``+high_pct``, whole steps.

    Parameters
    ----------
    baseline_spm : float
        Current running cadence in steps per minute (40-260).
    increase_pct : (float, float) or float
        Increase at the low and high end of the band, in percent (default 5 and 10). One number gives a
        one-tempo band.
    max_sustained_spm : float, optional
        The runner's highest cadence sustained for a minute of running (from their runs); a target above it
        raises the ``above_max_sustained`` guard rail. ``nan`` (default) when unknown.

    Returns
    -------
    TargetRange
        The band, rounded half up (see :data:`ROUNDING_RULE`), and the guard rails that fired.

    Raises
    ------
    ParameterError
        A baseline that is not a step rate, a negative, reversed or huge (> 30 %) increase.

    Notes
    -----
    +5 % and +10 % step rate reduce knee loading per step (Heiderscheit et al. 2011, Med Sci Sports Exerc
    43:296-302); see docs/targets.md for the evidence and the guard rails.

    """
    b = _check_baseline(baseline_spm)
    low_pct, high_pct = _check_increase(increase_pct)
    low = round_half_up(b * (100.0 + low_pct) / 100.0)
    high = round_half_up(b * (100.0 + high_pct) / 100.0)
    warns: list[TargetWarning] = []
    if b < WALKING_BELOW_SPM:
        stride_hint = (
            f" If {b:g} is strides per minute (some watches and apps show strides), your step rate is "
            f"{2 * b:g} spm."
            if b < 100
            else ""
        )
        warns.append(
            TargetWarning(
                "walking_baseline",
                f"a baseline of {b:.0f} spm looks like walking, not running: measure it on a run (run at an "
                f"easy pace for 10 minutes and use the running cadence, not the watch average).{stride_hint}",
            )
        )
    elif b >= HIGH_AT_SPM:
        warns.append(
            TargetWarning(
                "high_baseline",
                f"a baseline of {b:.0f} spm is already high: the +5-10 % advice is for a low cadence "
                "with long strides; going higher still is unlikely to help your knees, so keep your cadence.",
            )
        )
    if high_pct > MAX_EVIDENCED_PCT:
        warns.append(
            TargetWarning(
                "large_increase",
                f"+{high_pct:g} % at once is more than the +10 % studied; build up in steps of about 2.5 % "
                "(see `cadence plan`).",
            )
        )
    if math.isfinite(max_sustained_spm) and high > max_sustained_spm:
        warns.append(
            TargetWarning(
                "above_max_sustained",
                f"the target's top ({high} spm) is above the highest cadence you held for a minute in these "
                f"runs ({max_sustained_spm:.0f} spm): expect it to feel hard; start at the low end.",
            )
        )
    return TargetRange(
        baseline_spm=b,
        low_pct=low_pct,
        high_pct=high_pct,
        low_spm=low,
        high_spm=high,
        warnings=tuple(warns),
    )


_NUM = r"\d+(?:\.\d*)?|\.\d+"


def parse_increase(text: str) -> tuple[float, float]:
    """Parse ``"5-10"``, ``"5-7.5"``, ``"7.5"`` or ``"+5%-+10%"`` into a (low, high) percentage pair.

    Raises
    ------
    ParameterError
        Anything else, or a pair that :func:`target_range` would refuse.

    """
    s = str(text).strip().replace(" ", "").replace("%", "").replace("+", "")
    m = re.fullmatch(rf"({_NUM})(?:(?:-|\.\.|to)({_NUM}))?", s)
    if not m:
        raise ParameterError(f"increase {text!r} is not a percentage or range: write e.g. 5-10, 5-7.5 or 7.5")
    low = float(m.group(1))
    high = float(m.group(2)) if m.group(2) is not None else low
    return _check_increase((low, high))


_PACE_UNITS_M = {"km": 1000.0, "mi": 1609.344, "mile": 1609.344}
_SPEED_UNITS = {
    "m/s": 1.0,
    "mps": 1.0,
    "ms": 1.0,
    "km/h": 1000.0 / 3600.0,
    "kmh": 1000.0 / 3600.0,
    "kph": 1000.0 / 3600.0,
    "mph": 1609.344 / 3600.0,
    "mi/h": 1609.344 / 3600.0,
}


def parse_speed_ms(text: str) -> float:
    """Parse a speed or a pace into metres per second.

    Accepted: ``"12km/h"``, ``"12 kph"``, ``"3.3m/s"``, ``"7.5mph"``, and paces ``"5:00/km"``,
    ``"5:00 min/km"``, ``"8:00/mi"``, ``"4.5/km"`` (decimal minutes). The unit is required.

    Raises
    ------
    ParameterError
        No unit, an unknown unit, or a speed outside 1-12 m/s (3.6-43 km/h).

    """
    raw = str(text)
    s = raw.strip().lower().replace(" ", "")
    pace = re.fullmatch(rf"({_NUM})(?::(\d{{1,2}}(?:\.\d*)?))?(?:min)?/(km|mi|mile)", s)
    speed: float
    if pace:
        if pace.group(2) is not None and "." in pace.group(1):
            raise ParameterError(f"pace {raw!r}: write minutes:seconds (5:30/km) or decimal minutes (5.5/km)")
        seconds = float(pace.group(2)) if pace.group(2) else 0.0
        if seconds >= 60:
            raise ParameterError(f"pace {raw!r}: seconds must be below 60 (write e.g. 5:30/km)")
        total_s = 60.0 * float(pace.group(1)) + seconds
        if total_s <= 0:
            raise ParameterError(f"pace {raw!r} must be more than zero")
        speed = _PACE_UNITS_M[pace.group(3)] / total_s
    else:
        m = re.fullmatch(rf"({_NUM})([a-z/]*)", s)
        if not m or m.group(2) not in _SPEED_UNITS:
            raise ParameterError(
                f"speed {raw!r} needs a unit: write e.g. 12km/h, 3.3m/s, 7.5mph, 5:00/km or 8:00/mi"
            )
        speed = float(m.group(1)) * _SPEED_UNITS[m.group(2)]
    if not 1.0 <= speed <= 12.0:
        raise ParameterError(
            f"speed {raw!r} = {speed:.2f} m/s is not a running speed (expected 1-12 m/s, 3.6-43 km/h)"
        )
    return speed


def format_pace(speed_ms: float) -> str:
    """``3.333 -> "12.0 km/h (3.33 m/s, 5:00/km)"``: one speed in the units runners use."""
    if not (math.isfinite(speed_ms) and speed_ms > 0):
        return "unknown speed"
    s_per_km = round(1000.0 / speed_ms)
    return f"{speed_ms * 3.6:.1f} km/h ({speed_ms:.2f} m/s, {s_per_km // 60}:{s_per_km % 60:02d}/km)"


@dataclass(frozen=True)
class Baseline:
    """The running cadence of one or more analyzed runs, pooled over running time.

    Attributes
    ----------
    running_cadence_spm : float
        Time-weighted mean step rate over all running time of all runs (never the watch average).
    running_time_s : float
        Running time it is taken over.
    watch_avg_cadence_spm : float
        The watch-style average over the same runs (timer time weighted), for comparison only.
    max_sustained_spm : float
        The highest one-minute running cadence in any of the runs.
    n_runs : int
        Sessions with running time.
    sources : tuple of str
        Their files.

    """

    running_cadence_spm: float
    running_time_s: float
    watch_avg_cadence_spm: float
    max_sustained_spm: float
    n_runs: int
    sources: tuple[str, ...]


def _pooled_baseline(
    runs: Sequence[tuple[float, float, float, float, float, str]],
) -> Baseline:
    """Pool ``(running_time_s, running_cadence_spm, timer_time_s, watch_avg_spm, max_sustained_spm, source)``.

    Runs without running time or a running cadence are left out; the watch average is weighted by the finite,
    positive timer times.
    """
    runs = [r for r in runs if r[0] > 0 and math.isfinite(r[1])]
    if not runs:
        nan = float("nan")
        return Baseline(nan, 0.0, nan, nan, 0, ())
    t, c, timer, watch, sustained = (np.array(col, dtype=float) for col in list(zip(*runs, strict=True))[:5])
    ok = np.isfinite(watch) & np.isfinite(timer) & (timer > 0)
    return Baseline(
        running_cadence_spm=float(np.average(c, weights=t)),
        running_time_s=float(t.sum()),
        watch_avg_cadence_spm=float(np.average(watch[ok], weights=timer[ok])) if ok.any() else float("nan"),
        max_sustained_spm=float(np.nanmax(sustained)) if np.isfinite(sustained).any() else float("nan"),
        n_runs=len(runs),
        sources=tuple(dict.fromkeys(r[5] for r in runs)),
    )


def baseline_from_results(results: Sequence[ActivityResult]) -> Baseline:
    """Pool the running cadence of ``results``, time-weighted over running time.

    Returns a :class:`Baseline` with ``nan`` cadence and ``n_runs=0`` when no session has running time.
    """
    return _pooled_baseline(
        [
            (
                r.summary.running_time_s,
                r.summary.running_cadence_spm,
                r.summary.timer_time_s,
                r.summary.watch_avg_cadence_spm,
                r.summary.cadence_max_sustained_spm,
                r.trace.source,
            )
            for r in results
        ]
    )


def baseline_from_facts(facts: Sequence[SessionFacts]) -> Baseline:
    """:func:`baseline_from_results` from the history's cached per-run facts (no records needed)."""
    return _pooled_baseline(
        [
            (
                f.running_time_s,
                f.running_cadence_spm,
                f.timer_time_s,
                f.watch_avg_cadence_spm,
                f.max_sustained_spm,
                f.file,
            )
            for f in facts
        ]
    )


def speed_model_from_facts(facts: Sequence[SessionFacts]) -> SpeedModel:
    """Return the pooled speed model from cached per-run moments (what ``history`` keeps): no re-analysis.

    The same as :func:`pooled_speed_model` over the runs' records: both pool the per-run moments.
    """
    return SpeedModel(pool_speed_stats([f.speed for f in facts]))


def baseline_warnings(baseline: Baseline) -> tuple[TargetWarning, ...]:
    """Guard rails on a baseline from runs: ``short_baseline`` when it rests on under 5 min of running."""
    if baseline.n_runs and baseline.running_time_s < MIN_BASELINE_RUNNING_S:
        return (
            TargetWarning(
                "short_baseline",
                f"the baseline rests on only {baseline.running_time_s:.0f} s of running: it is uncertain; "
                "use a run with at least 10 minutes of steady running.",
            ),
        )
    return ()


@dataclass(frozen=True)
class SpeedModel:
    """Cadence vs speed pooled over several runs, with the spread of the speeds actually run.

    One source of truth: the pooled per-run moments (``stats``), which :func:`speed_baseline` reads the
    cadence at a speed from; the line, the speed spread and the run count are views of them.

    Attributes
    ----------
    stats : SpeedStats
        The runs' moments pooled with :func:`cadence.coach.speed.pool_speed_stats`.

    """

    stats: SpeedStats

    @property
    def fit(self) -> SpeedFit:
        """The pooled least-squares line; ``n`` counts running seconds with a speed (the weight pooled).

        ``speed_min_ms`` and ``speed_max_ms`` are the 5th and 95th percentiles (min and max are dominated by
        GPS glitches).
        """
        from ..gait.analysis import SpeedFit

        st = self.stats
        return SpeedFit(
            slope_spm_per_ms=st.slope_spm_per_ms,
            intercept_spm=st.intercept_spm,
            r2=st.r2,
            n=int(st.seconds),
            speed_min_ms=st.speed_p05_ms,
            speed_max_ms=st.speed_p95_ms,
        )

    @property
    def speed_p05_ms(self) -> float:
        """5th time-weighted percentile of running speed (the lowest of the runs' 5th), m/s."""
        return self.stats.speed_p05_ms

    @property
    def speed_p95_ms(self) -> float:
        """95th time-weighted percentile of running speed (the highest of the runs' 95th), m/s."""
        return self.stats.speed_p95_ms

    @property
    def n_runs(self) -> int:
        """Runs that contributed a line (enough running records with a varying speed)."""
        return self.stats.n_runs

    def weakness(self) -> str | None:
        """Why no cadence can be read at any speed (too little running with a speed); ``None`` otherwise.

        Whether the line is good enough at a given speed is :func:`cadence.coach.speed.cadence_at_speed`'s
        rule (see :func:`speed_baseline`), not a bound on r2 or on the speed range.
        """
        st = self.stats
        if st.seconds < MIN_FIT_RUNNING_S or not math.isfinite(st.slope_spm_per_ms):
            return (
                f"too few running seconds with a speed ({st.seconds:.0f} s; need {MIN_FIT_RUNNING_S:.0f} s)"
            )
        return None


def pooled_speed_model(
    cadence_spm: Sequence[np.ndarray], speed_ms: Sequence[np.ndarray], weights_s: Sequence[np.ndarray]
) -> SpeedModel:
    """Fit cadence on speed over several runs at once.

    Parameters
    ----------
    cadence_spm, speed_ms, weights_s : sequence of ndarray, each shape (n_i,)
        Per run: the per-record step rate, speed (m/s) and the running seconds each record stands for
        (0 for records that are not running).

    Returns
    -------
    SpeedModel
        The runs' :func:`cadence.coach.speed.speed_stats` pooled with
        :func:`cadence.coach.speed.pool_speed_stats`: the line over all their records at once, exactly as
        :func:`speed_model_from_facts` pools the history's cached moments.

    """
    if not (len(cadence_spm) == len(speed_ms) == len(weights_s)):
        raise ParameterError("cadence_spm, speed_ms and weights_s need one array per run")
    per_run = []
    for ci, si, wi in zip(cadence_spm, speed_ms, weights_s, strict=True):
        c, s, w = (np.asarray(a, dtype=float) for a in (ci, si, wi))
        if not (c.shape == s.shape == w.shape):
            raise ParameterError("each run needs cadence_spm, speed_ms and weights_s of the same length")
        per_run.append(speed_stats(c, s, w))
    return SpeedModel(pool_speed_stats(per_run))


def speed_model_from_results(results: Sequence[ActivityResult]) -> SpeedModel:
    """:func:`pooled_speed_model` over the running records of analyzed runs."""
    runs = [r for r in results if r.trace.is_step_sport]
    return pooled_speed_model(
        [r.summary.record_cadence_spm for r in runs],
        [r.trace.speed_ms for r in runs],
        [np.where(r.summary.record_running, r.summary.record_weight_s, 0.0) for r in runs],
    )


@dataclass(frozen=True)
class SpeedBaseline:
    """The baseline to use at a given speed: the fitted cadence there, or the plain baseline and why.

    Attributes
    ----------
    speed_ms : float
        The speed asked for.
    cadence_at_speed_spm : float
        The fitted cadence at that speed (reported even when it is not used; ``nan`` without a fit).
    baseline_spm : float
        What the target is computed from: ``cadence_at_speed_spm`` when ``used``, else the plain baseline.
    used : bool
        Whether the speed fit was good enough to use.
    reason : str or None
        Why it was not used (``None`` when used).
    model : SpeedModel
        The pooled fit.
    se_spm : float
        Standard error of the line at the speed (spm).
    slope_spm_per_ms : float
        The slope used (the pooled one held within 3-15 spm per m/s).

    """

    speed_ms: float
    cadence_at_speed_spm: float
    baseline_spm: float
    used: bool
    reason: str | None
    model: SpeedModel
    se_spm: float = float("nan")
    slope_spm_per_ms: float = float("nan")


def speed_baseline(model: SpeedModel, speed_ms: float, fallback_spm: float) -> SpeedBaseline:
    """Return the runner's own cadence at ``speed_ms`` from ``model``, or ``fallback_spm`` and the reason.

    The rule is :func:`cadence.coach.speed.cadence_at_speed`'s, the same as ``history``'s cadence at the
    reference speed: the runs are pooled from their per-run moments, the slope is held within 3-15 spm per
    m/s, and the value is used when the speed lies within the speeds run (0.3 m/s margin) and the standard
    error of the line there is at most 2 spm.
    """
    at = cadence_at_speed(model.stats, speed_ms)
    reason = model.weakness() or (at.note or None)
    used = reason is None
    return SpeedBaseline(
        speed_ms=float(speed_ms),
        cadence_at_speed_spm=at.estimate_spm,
        baseline_spm=at.estimate_spm if used else float(fallback_spm),
        used=used,
        reason=reason,
        model=model,
        se_spm=at.se_spm,
        slope_spm_per_ms=at.slope_spm_per_ms,
    )
