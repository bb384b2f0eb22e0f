"""A :class:`~cadence.datatypes.Recording` -> steps and per-second cadence, as a :class:`CadenceTrace`.

Pure: arrays in, frozen results out. Reading the file is the loader's job (:mod:`cadence.pipeline`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..datatypes import CadenceTrace, Recording
from ..errors import InputFormatError
from .steps import MIN_FS_HZ, StepOptions, StepResult, estimate_steps

__all__ = ["AccelAnalysis", "accel_trace", "analyze_recording", "analyze_step_times"]


@dataclass(frozen=True)
class AccelAnalysis:
    """Steps and cadence of one accelerometer recording.

    Attributes
    ----------
    source : str
        The file analysed.
    steps : StepResult
        Step times, per-second cadence series, per-window confidence, walking and running time.
    fs_hz : float
        Sampling rate of the (resampled) recording.
    duration_s : float
        Length of the recording.
    format : str
        Detected file format.
    units_in_file : str
        Units found in (or forced for) the file.
    gaps : tuple of (float, float)
        Pauses in the sampling ``(start_s, duration_s)``.
    n_dropped : int
        Rows dropped by the reader (missing values, repeated times).

    """

    source: str
    steps: StepResult
    fs_hz: float
    duration_s: float
    format: str
    units_in_file: str
    gaps: tuple[tuple[float, float], ...]
    n_dropped: int
    start_unix_s: float | None = None

    @property
    def t_s(self) -> NDArray[np.float64]:
        """Whole seconds of the per-second series."""
        return self.steps.t_s

    @property
    def cadence_spm(self) -> NDArray[np.float64]:
        """Per-second cadence (NaN where not stepping)."""
        return self.steps.cadence_spm

    @property
    def running(self) -> NDArray[np.bool_]:
        """Per-second running flag."""
        return self.steps.running

    def summary(self) -> dict[str, float | int | str | None]:
        """Headline numbers: median, mean and 10th/90th percentile cadence over the stepping seconds."""
        cad = self.steps.cadence_spm
        ok = np.isfinite(cad)
        run = ok & self.steps.running
        focus = cad[run] if run.sum() >= 30 else cad[ok]

        def pct(q: float) -> float:
            return float(np.percentile(focus, q)) if len(focus) else float("nan")

        return {
            "file": self.source,
            "kind": "accelerometer",
            "duration_s": self.duration_s,
            "n_steps": self.steps.n_steps,
            "walking_time_s": self.steps.walking_time_s,
            "running_time_s": self.steps.running_time_s,
            "cadence_median_spm": pct(50),
            "cadence_p10_spm": pct(10),
            "cadence_p90_spm": pct(90),
            "cadence_basis": "running" if run.sum() >= 30 else "all stepping",
        }


def analyze_recording(rec: Recording, options: StepOptions | None = None) -> AccelAnalysis:
    """Detect steps in a :class:`~cadence.datatypes.Recording` (see :func:`.steps.estimate_steps`).

    Raises
    ------
    InputFormatError
        The recording is sampled too slowly for step detection (names the file, not a parameter).
    """
    if rec.fs_hz < MIN_FS_HZ:
        raise InputFormatError(
            rec.source,
            f"sampled at {rec.fs_hz:.3g} Hz; step detection needs at least {MIN_FS_HZ:g} Hz "
            "(if the rate is wrong, check --time-unit or give --fs)",
        )
    steps = estimate_steps(
        rec.acc_ms2,
        rec.fs_hz,
        t0_s=float(rec.t_s[0]) if len(rec.t_s) else 0.0,
        options=options,
        gravity_included=rec.gravity_included,
    )
    return AccelAnalysis(
        source=rec.source,
        steps=steps,
        fs_hz=rec.fs_hz,
        duration_s=rec.duration_s,
        format=rec.format,
        units_in_file=rec.units_in_file,
        gaps=rec.gaps,
        n_dropped=rec.n_dropped,
        start_unix_s=rec.start_unix_s,
    )


#: ``AccelAnalysis.format`` of steps that come as a list of times (a saved live session), not a signal
STEP_LIST_FORMAT = "steps"


def analyze_step_times(
    step_times_s: NDArray[np.floating],
    duration_s: float,
    source: str,
    *,
    start_unix_s: float | None = None,
    options: StepOptions | None = None,
) -> AccelAnalysis:
    """Per-second cadence of a list of step times from 0 to ``duration_s`` (a live session, saved or not).

    Parameters
    ----------
    step_times_s : ndarray, shape (n,)
        Step times, seconds from the start of the session.
    duration_s : float
        Length of the session (>= the last step).
    source : str
        Where the steps come from (a file name, or a live source).
    start_unix_s : float, optional
        Wall-clock start of the session.
    options : StepOptions, optional
        Running threshold and slowest step rate.

    Returns
    -------
    AccelAnalysis
        With ``format`` ``"steps"``; :func:`accel_trace` turns it into a trace like any recording.

    """
    from .steps import steps_from_times

    st = np.asarray(step_times_s, dtype=np.float64)
    end = max(float(duration_s), float(st.max()) if st.size else 0.0)
    steps = steps_from_times(st, 0.0, end, options)
    return AccelAnalysis(
        source=source,
        steps=steps,
        fs_hz=float("nan"),
        duration_s=end,
        format=STEP_LIST_FORMAT,
        units_in_file="",
        gaps=(),
        n_dropped=0,
        start_unix_s=start_unix_s,
    )


def accel_trace(analysis: AccelAnalysis) -> CadenceTrace:
    """Turn the per-second cadence of an accelerometer analysis into a :class:`CadenceTrace`.

    The trace feeds the same :func:`~cadence.gait.analysis.analyze_trace` as FIT files, so the summary and
    the JSON schema are the same. Seconds without stepping get cadence 0 (stopped, not "no reading": the
    sensor was there); speed and distance are unknown; the timer runs for the whole recording.

    Parameters
    ----------
    analysis : AccelAnalysis
        From :func:`analyze_recording` (or :func:`cadence.pipeline.analyze_accel_csv`).

    Returns
    -------
    CadenceTrace
        ``sport`` is ``"running"`` when any running was found, else ``"walking"``; ``sub_sport`` is
        ``"accelerometer"``.

    """
    from datetime import UTC, datetime

    st = analysis.steps
    t0 = float(st.t_s[0]) if len(st.t_s) else 0.0
    t = st.t_s - t0
    cad = np.where(np.isfinite(st.cadence_spm), st.cadence_spm, 0.0)
    nan = np.full(len(t), np.nan)
    if analysis.format == STEP_LIST_FORMAT:
        notes = [f"step list (a live session): {st.n_steps} steps"]
    else:
        notes = [
            f"accelerometer ({analysis.format}) at {analysis.fs_hz:.4g} Hz, {analysis.units_in_file}: "
            f"{st.n_steps} steps detected"
        ]
    if analysis.gaps:
        total = sum(d for _, d in analysis.gaps)
        notes.append(
            f"{len(analysis.gaps)} gap(s) in the sampling, {total:.1f} s in all (no steps counted there)"
        )
    if analysis.n_dropped:
        notes.append(f"{analysis.n_dropped} row(s) with missing values or repeated times dropped")
    start = (
        datetime.fromtimestamp(analysis.start_unix_s, tz=UTC) if analysis.start_unix_s is not None else None
    )
    end = max(analysis.duration_s - t0, float(t[-1]) + 1.0 if len(t) else 0.0)
    return CadenceTrace(
        t_s=t,
        cadence_spm=cad,
        speed_ms=nan,
        distance_m=nan.copy(),
        timer_intervals_s=np.array([[0.0, end]]),
        sport="running" if st.running_time_s > 0 else "walking",
        sub_sport="accelerometer",
        source=analysis.source,
        device_name="live session (step list)"
        if analysis.format == STEP_LIST_FORMAT
        else f"accelerometer ({analysis.format})",
        start_time=start,
        notes=tuple(notes),
    )
