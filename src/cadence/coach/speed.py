"""Cadence at a given speed: one rule for ``target --speed/--pace`` and ``history --reference-speed``.

A run's cadence-vs-speed line is summarized by a few time-weighted moments (:class:`SpeedStats`), which the
history cache keeps per run; several runs pool exactly from their moments (no records needed). The cadence
at a speed ``v`` is read from the line when the rule of :func:`cadence_at_speed` accepts it: the standard
error of the prediction at ``v``, not the r2 of the line, decides, with the slope held inside the range
running cadence follows speed in practice. The rule is documented in docs/targets.md and docs/history.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "DECORRELATION_S",
    "MAX_SLOPE_SPM_PER_MS",
    "MIN_SLOPE_SPM_PER_MS",
    "REFERENCE_MARGIN_MS",
    "REFERENCE_MAX_SE_SPM",
    "REFERENCE_MIN_RUNNING_S",
    "CadenceAtSpeed",
    "SpeedStats",
    "cadence_at_speed",
    "pool_speed_stats",
    "speed_stats",
]

#: how far (m/s) the speed may lie outside the 5th-95th percentile of running speed
REFERENCE_MARGIN_MS = 0.3
#: the fitted cadence at the speed must have a standard error at most this (spm)
REFERENCE_MAX_SE_SPM = 2.0
#: running records are correlated over about this long; n_eff = running seconds with speed / this
DECORRELATION_S = 30.0
#: fewer running seconds with a speed than this: no cadence-at-speed figure at all
REFERENCE_MIN_RUNNING_S = 150.0
#: the slope of step rate on speed that runners show (spm per m/s): about 3-15 across studies of
#: treadmill and overground running (cadence rises 5-10 spm per km/h step at easy paces); a fitted slope
#: outside it is held at the nearer bound, since a steady run cannot tell a slope from noise
MIN_SLOPE_SPM_PER_MS = 3.0
MAX_SLOPE_SPM_PER_MS = 15.0


@dataclass(frozen=True)
class SpeedStats:
    """Time-weighted moments of speed and cadence over running records with a speed (one run or pooled).

    ``slope_spm_per_ms``, ``intercept_spm``, ``resid_var_spm2`` and ``r2`` are the least-squares line's;
    ``cadence_mean_spm`` and ``cadence_var_spm2`` complete the moments so runs can be pooled exactly
    (``nan`` in caches written before they were kept: then they follow from the line).
    """

    seconds: float = 0.0
    speed_mean_ms: float = float("nan")
    speed_var_ms2: float = float("nan")
    speed_p05_ms: float = float("nan")
    speed_p95_ms: float = float("nan")
    slope_spm_per_ms: float = float("nan")
    intercept_spm: float = float("nan")
    resid_var_spm2: float = float("nan")
    r2: float = float("nan")
    n_runs: int = 1

    @property
    def cadence_mean_spm(self) -> float:
        """Time-weighted mean cadence (the line passes through the means)."""
        return self.intercept_spm + self.slope_spm_per_ms * self.speed_mean_ms

    @property
    def covariance(self) -> float:
        """Time-weighted covariance of speed and cadence."""
        return self.slope_spm_per_ms * self.speed_var_ms2

    @property
    def cadence_var_spm2(self) -> float:
        """Time-weighted variance of cadence (explained plus residual)."""
        return self.slope_spm_per_ms**2 * self.speed_var_ms2 + self.resid_var_spm2


def speed_stats(
    cadence_spm: NDArray[np.float64], speed_ms: NDArray[np.float64], weights_s: NDArray[np.float64]
) -> SpeedStats:
    """Moments and least-squares line of one run's running records (``weights_s`` 0 leaves one out)."""
    from ..gait.analysis import fit_cadence_vs_speed, weighted_quantiles

    c = np.asarray(cadence_spm, dtype=float)
    s = np.asarray(speed_ms, dtype=float)
    w = np.asarray(weights_s, dtype=float)
    ok = np.isfinite(c) & np.isfinite(s) & (s > 0) & (w > 0)
    if ok.sum() < 2:
        return SpeedStats()
    fit = fit_cadence_vs_speed(c, s, w)
    ws, ss, cs = w[ok], s[ok], c[ok]
    mean = float(np.average(ss, weights=ws))
    var = float(np.average((ss - mean) ** 2, weights=ws))
    p05, p95 = weighted_quantiles(ss, ws, [0.05, 0.95])
    resid = float("nan")
    if math.isfinite(fit.slope_spm_per_ms):
        resid = float(np.average((cs - fit.cadence_at(ss)) ** 2, weights=ws))
    return SpeedStats(
        seconds=float(ws.sum()),
        speed_mean_ms=mean,
        speed_var_ms2=var,
        speed_p05_ms=float(p05),
        speed_p95_ms=float(p95),
        slope_spm_per_ms=fit.slope_spm_per_ms,
        intercept_spm=fit.intercept_spm,
        resid_var_spm2=resid,
        r2=fit.r2,
    )


def pool_speed_stats(runs: Sequence[SpeedStats]) -> SpeedStats:
    """Pool runs' moments into the line over all their records at once (exact, from the moments alone).

    Runs without a line (too short, constant speed) are left out. The pooled 5th-95th speed percentiles are
    approximated by the lowest 5th and the highest 95th of the runs (the speeds some run covered).
    """
    use = [r for r in runs if r.seconds > 0 and math.isfinite(r.slope_spm_per_ms) and r.speed_var_ms2 > 0]
    if not use:
        return SpeedStats(n_runs=0)
    if len(use) == 1:
        return use[0]
    w = np.array([r.seconds for r in use])
    ms = np.array([r.speed_mean_ms for r in use])
    mc = np.array([r.cadence_mean_spm for r in use])
    total = float(w.sum())
    s_mean = float(np.dot(w, ms) / total)
    c_mean = float(np.dot(w, mc) / total)
    s_var = float(np.dot(w, [r.speed_var_ms2 for r in use]) + np.dot(w, (ms - s_mean) ** 2)) / total
    cov = float(np.dot(w, [r.covariance for r in use]) + np.dot(w, (ms - s_mean) * (mc - c_mean))) / total
    c_var = float(np.dot(w, [r.cadence_var_spm2 for r in use]) + np.dot(w, (mc - c_mean) ** 2)) / total
    slope = cov / s_var
    resid = max(c_var - slope * cov, 0.0)
    return SpeedStats(
        seconds=total,
        speed_mean_ms=s_mean,
        speed_var_ms2=s_var,
        speed_p05_ms=min(r.speed_p05_ms for r in use),
        speed_p95_ms=max(r.speed_p95_ms for r in use),
        slope_spm_per_ms=slope,
        intercept_spm=c_mean - slope * s_mean,
        resid_var_spm2=resid,
        r2=1.0 - resid / c_var if c_var > 0 else float("nan"),
        n_runs=len(use),
    )


@dataclass(frozen=True)
class CadenceAtSpeed:
    """The cadence read at one speed, its standard error, and why it was refused (``note``, else ``""``).

    ``cadence_spm`` is ``nan`` when refused, ``estimate_spm`` holds the value anyway when there was a line.
    ``slope_spm_per_ms`` is the slope used (the fitted one held within 3-15 spm per m/s).
    """

    speed_ms: float
    cadence_spm: float
    estimate_spm: float
    se_spm: float
    slope_spm_per_ms: float
    fitted_slope_spm_per_ms: float
    note: str

    @property
    def used(self) -> bool:
        """Whether the rule accepted the value."""
        return not self.note


def cadence_at_speed(stats: SpeedStats, speed_ms: float) -> CadenceAtSpeed:
    """Return the step rate at ``speed_ms`` from a cadence-vs-speed line, or ``nan`` and why.

    Parameters
    ----------
    stats : SpeedStats
        One run's moments, or several pooled with :func:`pool_speed_stats`.
    speed_ms : float
        The speed asked for, m/s.

    Returns
    -------
    CadenceAtSpeed

    Notes
    -----
    The slope is the least-squares one held inside ``[MIN_SLOPE_SPM_PER_MS, MAX_SLOPE_SPM_PER_MS]`` (with a
    fixed slope, the best line passes through the means, so this is the constrained least-squares line). A
    value is given when (1) there are at least ``REFERENCE_MIN_RUNNING_S`` running seconds with a speed;
    (2) the speed lies within the 5th-95th percentile of running speed widened by ``REFERENCE_MARGIN_MS``;
    and (3) the standard error of the line at the speed is at most ``REFERENCE_MAX_SE_SPM``, taking the
    records as ``n_eff = seconds / DECORRELATION_S`` independent observations: ``se^2 = s^2 (1/n_eff +
    (v - mean)^2 / (n_eff var))``, the prediction error of a least-squares line. A low r2 alone refuses
    nothing: a steady run hardly varies its speed, but its cadence near its own pace is well known.
    """
    nan = float("nan")
    fitted = stats.slope_spm_per_ms
    if stats.seconds < REFERENCE_MIN_RUNNING_S or not math.isfinite(fitted):
        return CadenceAtSpeed(
            speed_ms, nan, nan, nan, nan, fitted, f"too little running with a speed ({stats.seconds:.0f} s)"
        )
    slope = min(max(fitted, MIN_SLOPE_SPM_PER_MS), MAX_SLOPE_SPM_PER_MS)
    c_mean = stats.cadence_mean_spm
    estimate = c_mean + slope * (speed_ms - stats.speed_mean_ms)
    resid = stats.cadence_var_spm2 - 2 * slope * stats.covariance + slope**2 * stats.speed_var_ms2
    n_eff = max(stats.seconds / DECORRELATION_S, 1.0)
    se2 = max(resid, 0.0) * (
        1.0 / n_eff + (speed_ms - stats.speed_mean_ms) ** 2 / (n_eff * stats.speed_var_ms2)
    )
    se = math.sqrt(se2) if math.isfinite(se2) else nan
    lo = stats.speed_p05_ms - REFERENCE_MARGIN_MS
    hi = stats.speed_p95_ms + REFERENCE_MARGIN_MS
    note = ""
    if not lo <= speed_ms <= hi:
        note = f"outside the speeds run ({lo:.2f}-{hi:.2f} m/s)"
    elif not se <= REFERENCE_MAX_SE_SPM:
        note = f"too uncertain at {speed_ms:.2f} m/s (standard error {se:.1f} spm > {REFERENCE_MAX_SE_SPM:g})"
    return CadenceAtSpeed(
        speed_ms=speed_ms,
        cadence_spm=nan if note else estimate,
        estimate_spm=estimate,
        se_spm=se,
        slope_spm_per_ms=slope,
        fitted_slope_spm_per_ms=fitted,
        note=note,
    )
