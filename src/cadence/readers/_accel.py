"""What every accelerometer reader shares: units, the gravity rule, the uniform grid, the Recording builder.

A reader (CSV, FIT accelerometer messages, and the formats to come) finds times and three axes in its file,
then hands them to :func:`make_recording`, which checks the acceleration, puts the samples on a uniform grid
and builds the :class:`~cadence.datatypes.Recording`: so every reader reports units, gaps and dropped rows the
same way, and one rule (:func:`units_from_gravity`) tells g, milli-g and m/s^2 apart.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..datatypes import Recording
from ..errors import InputFormatError

__all__ = [
    "G_MS2",
    "Units",
    "gravity_included",
    "gravity_magnitude",
    "make_recording",
    "time_steps",
    "uniform_grid",
    "units_disagreement",
    "units_from_gravity",
]

G_MS2 = 9.80665
#: no accelerometer worn by a person measures more than 1000 g: beyond it the units or the file are wrong
MAX_MS2 = 1000 * G_MS2
#: no body-worn accelerometer samples faster than this: a higher rate means the time unit is wrong
MAX_FS_HZ = 10_000.0
#: gravity, in a unit, reads 1 of that unit (x its scale) within this ratio: 0.6-1.6 g, 5.9-15.7 m/s^2
GRAVITY_RATIO = (0.6, 1.6)
#: the units an accelerometer file can hold, with the factor to m/s^2
UNIT_SCALE_MS2 = {"g": G_MS2, "milli-g": G_MS2 / 1000.0, "m/s^2": 1.0}


class Units(enum.Enum):
    """Acceleration units of a file: detected automatically or forced by the caller."""

    AUTO = "auto"
    G = "g"
    MS2 = "m/s^2"
    MILLI_G = "milli-g"


def gravity_magnitude(acc: NDArray[np.float64], block: int = 128) -> float:
    """Robust size of gravity in ``acc`` (any units), from the stillest stretches of the recording.

    The samples are cut into 128-sample blocks; in the tenth of the blocks whose magnitude varies least
    (standing, a pause, the quiet phases of a walk), the mean acceleration vector is gravity, whatever the
    orientation. Its median length over those blocks is returned. Averaging cancels the movement that remains;
    picking quiet blocks keeps a shank or ankle sensor, whose orientation swings through every stride, from
    shrinking the estimate (the mean of all blocks read 2.32 m/s^2 for a phone strapped to an ankle). A
    gravity-free ("linear acceleration") signal has no constant vector and reads near 0.
    """
    n = len(acc)
    if n < 2 * block:
        return float(np.linalg.norm(np.median(acc, axis=0))) if n else float("nan")
    stride = max(1, n // (4000 * block))  # at most ~4000 blocks
    nb = n // block
    blocks = acc[: nb * block].reshape(nb, block, 3)[::stride]
    means = blocks.mean(axis=1)
    spread = np.sqrt(((blocks - means[:, None, :]) ** 2).sum(axis=2).mean(axis=1))
    quiet = spread <= np.quantile(spread, 0.1)
    return float(np.median(np.linalg.norm(means[quiet], axis=1)))


def gravity_included(acc_ms2: NDArray[np.float64]) -> bool:
    """Whether a signal in m/s^2 holds gravity (its stillest stretches measure more than 4 m/s^2)."""
    return bool(gravity_magnitude(acc_ms2) > 4.0)


def units_disagreement(gravity: float, unit: str) -> str | None:
    """Warn (return a message) when ``unit`` puts the measured ``gravity`` more than 3x from 1 g.

    Parameters
    ----------
    gravity : float
        Gravity measured in the file's own values (:func:`gravity_magnitude`).
    unit : str
        The unit the caller gave (a key of :data:`UNIT_SCALE_MS2`).
    """
    g = gravity * UNIT_SCALE_MS2[unit] / G_MS2
    if not np.isfinite(g) or gravity <= 0 or 1 / 3 <= g <= 3:
        return None
    measured = units_from_gravity(gravity)
    hint = f"; the data look like {measured}" if measured else ""
    return (
        f"with units {unit}, gravity measures {g:.3g} g (expected about 1): the units look wrong{hint}"
    )


@dataclass(frozen=True)
class TimeSteps:
    """Summary of the sample intervals ``diff(t)``, computed block by block."""

    dt_min: float
    dt_max: float
    dt_median: float
    first_backwards: int  # index i with t[i + 1] < t[i], or -1
    gap_index: NDArray[np.intp]  # i with t[i + 1] - t[i] > the gap threshold
    gap_dt: float  # that threshold


def time_steps(t: NDArray[np.float64], block: int = 1 << 20) -> TimeSteps:
    """Min, max, median and gaps of the sample intervals of ``t`` without a full-size ``diff`` array."""
    n = len(t)
    sample = np.concatenate(
        [np.diff(t[a : a + 50_001]) for a in np.unique(np.clip([0, n // 2, n - 50_001], 0, max(0, n - 1)))]
    )
    med = float(np.median(sample)) if sample.size else 0.0
    gap_dt = max(5 * med, 0.1)
    lo, hi, first_back = np.inf, -np.inf, -1
    gaps: list[NDArray[np.intp]] = []
    for a in range(0, n - 1, block):
        d = np.diff(t[a : a + block + 1])
        dmin, dmax = float(d.min()), float(d.max())
        lo, hi = min(lo, dmin), max(hi, dmax)
        if dmin < 0 and first_back < 0:
            first_back = a + int(np.argmax(d < 0))
        if dmax > gap_dt:
            gaps.append(a + np.flatnonzero(d > gap_dt))
    gi = np.concatenate(gaps) if gaps else np.empty(0, np.intp)
    return TimeSteps(float(lo), float(hi), med, first_back, gi, gap_dt)


def uniform_grid(
    t_s: NDArray[np.float64],
    acc_ms2: NDArray[np.float64],
    source: str,
    fs_hz: float | None = None,
    *,
    steps: TimeSteps | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], float, tuple[tuple[float, float], ...], bool]:
    """Put increasing sample times ``t_s`` on a uniform grid starting at 0.

    Parameters
    ----------
    t_s : ndarray, shape (n,)
        Strictly increasing sample times in seconds (any origin: the output starts at 0).
    acc_ms2 : ndarray, shape (n, 3)
        The samples.
    source : str
        File name for error messages.
    fs_hz : float, optional
        Output rate; default: the median rate of the file.
    steps : TimeSteps, optional
        The interval summary of ``t_s`` if the caller has it already.

    Returns
    -------
    t_u, acc_u, rate, gaps, resampled
        Uniform times and samples, the rate in Hz, the gaps ``(start_s, duration_s)`` longer than 5 sample
        intervals (and 0.1 s), and whether interpolation was needed (linear, per axis).

    Raises
    ------
    InputFormatError
        Time does not advance, or the grid would be absurdly larger than the data.

    """
    st = steps if steps is not None else time_steps(t_s)
    med_dt = st.dt_median
    if not med_dt > 0:
        raise InputFormatError(source, "time does not advance")
    if not med_dt * MAX_FS_HZ >= 1.0 or (fs_hz is not None and not 0 < fs_hz <= MAX_FS_HZ):
        rate_hz = fs_hz if fs_hz is not None and not 0 < fs_hz <= MAX_FS_HZ else 1.0 / max(med_dt, 1e-300)
        raise InputFormatError(
            source,
            f"implausible sampling rate {rate_hz:.3g} Hz (above {MAX_FS_HZ:g} Hz): "
            "wrong time unit (--time-unit) or rate (--fs)?",
        )
    t0 = float(t_s[0])
    span = float(t_s[-1]) - t0
    gaps = tuple((float(t_s[i]) - t0, float(t_s[i + 1] - t_s[i])) for i in st.gap_index[:10_000])
    rate = float(fs_hz) if fs_hz is not None else 1.0 / med_dt
    regular = (
        fs_hz is None
        and len(st.gap_index) == 0
        and max(st.dt_max - med_dt, med_dt - st.dt_min) <= 0.05 * med_dt
    )
    if regular:
        rate = (len(t_s) - 1) / span
        if abs(rate - round(rate)) < 1e-6 * rate:  # 99.99999999999 Hz from float time stamps is 100 Hz
            rate = float(round(rate))
        t_u = np.arange(len(t_s), dtype=np.float64)
        t_u /= rate
        return t_u, acc_ms2, rate, gaps, False
    n_grid = np.floor(span * rate) + 1
    if not n_grid <= 50 * len(t_s) + 1000:
        raise InputFormatError(source, f"sampling too sparse or gaps too long to resample at {rate:.4g} Hz")
    n_u = int(n_grid)
    t_u = np.arange(n_u, dtype=np.float64)
    t_u /= rate
    t_rel = t_s - t0
    acc_u = np.empty((n_u, 3))
    for k in range(3):
        acc_u[:, k] = np.interp(t_u, t_rel, acc_ms2[:, k])
    return t_u, acc_u, rate, gaps, True


def units_from_gravity(
    gravity: float, candidates: tuple[str, ...] = ("g", "m/s^2", "milli-g")
) -> str | None:
    """Name the unit among ``candidates`` in which ``gravity`` (a measured magnitude) reads about 1 g.

    Parameters
    ----------
    gravity : float
        Gravity as measured in the file's own units (see :func:`gravity_magnitude`).
    candidates : tuple of str
        Units to consider, keys of :data:`UNIT_SCALE_MS2`.

    Returns
    -------
    str or None
        The unit whose scale puts ``gravity`` within :data:`GRAVITY_RATIO` of 9.80665 m/s^2, or ``None``.
    """
    lo, hi = GRAVITY_RATIO
    for unit in candidates:
        ratio = gravity * UNIT_SCALE_MS2[unit] / G_MS2
        if lo <= ratio <= hi:
            return unit
    return None


def make_recording(
    t_s: NDArray[np.float64],
    acc_ms2: NDArray[np.float64],
    source: str,
    *,
    fs_hz: float | None = None,
    steps: TimeSteps | None = None,
    format: str = "plain",
    units_in_file: str = "m/s^2",
    gravity_included: bool = True,
    start_unix_s: float | None = None,
    n_rows: int | None = None,
    n_dropped: int = 0,
    row_name: Callable[[int], str] | None = None,
) -> Recording:
    """Check samples in m/s^2, put them on a uniform grid and build the :class:`Recording`.

    Parameters
    ----------
    t_s : ndarray, shape (n,)
        Strictly increasing sample times in seconds, any origin.
    acc_ms2 : ndarray, shape (n, 3)
        Acceleration in m/s^2.
    source : str
        The file, for the recording and for error messages.
    fs_hz : float, optional
        Output rate (default: the file's median rate).
    steps : TimeSteps, optional
        :func:`time_steps` of ``t_s`` if the caller has it already.
    format, units_in_file, gravity_included, start_unix_s, n_rows, n_dropped
        Passed to the :class:`Recording` (``n_rows`` defaults to ``len(t_s) + n_dropped``).
    row_name : callable, optional
        Names sample ``i`` in an error (e.g. its data row in a CSV file); default ``"sample i+1"``.

    Raises
    ------
    InputFormatError
        Acceleration beyond 1000 g (wrong units or a corrupt file); time that does not advance.
    """
    peak = max(float(acc_ms2.max()), -float(acc_ms2.min())) if acc_ms2.size else 0.0
    if not peak <= MAX_MS2:
        row = int(np.argmax(~(np.abs(acc_ms2).max(axis=1) <= MAX_MS2)))
        raise InputFormatError(
            source,
            f"implausible acceleration {peak:.3g} m/s^2 (more than 1000 g); wrong --units or a corrupt file",
            row_name(row) if row_name is not None else f"sample {row + 1}",
        )
    if len(t_s) < 2:
        raise InputFormatError(source, "fewer than two samples: no sampling rate")
    steps = steps if steps is not None else time_steps(t_s)
    if steps.first_backwards >= 0 or not float(t_s[-1]) > float(t_s[0]):  # every reader, whatever its format
        i = max(steps.first_backwards, 0)
        raise InputFormatError(
            source,
            "time goes backwards or does not advance (a corrupt file?)",
            row_name(i + 1) if row_name is not None else f"sample {i + 1}",
        )
    t_u, acc_u, rate, gaps, resampled = uniform_grid(t_s, acc_ms2, source, fs_hz, steps=steps)
    return Recording(
        t_s=t_u,
        acc_ms2=acc_u,
        fs_hz=rate,
        source=source,
        format=format,
        units_in_file=units_in_file,
        gravity_included=gravity_included,
        start_unix_s=start_unix_s,
        n_rows=len(t_s) + n_dropped if n_rows is None else n_rows,
        n_dropped=n_dropped,
        resampled=resampled,
        gaps=gaps,
    )
