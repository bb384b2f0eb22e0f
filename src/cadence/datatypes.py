"""The data that flows between stages: :class:`Recording` (raw acceleration) and :class:`CadenceTrace`.

A watch-file reader (FIT) turns a file into one trace per activity or multisport session; an accelerometer
reader turns a file into a uniformly sampled :class:`Recording`, whose detected steps ``gait/`` turns into a
trace. Each carries its own time base (and the trace its timer state and what the reader repaired), so the
analysis never touches a file.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "RUNNING_DYNAMICS",
    "STEP_SPORTS",
    "CadenceTrace",
    "DeviceSummary",
    "Recording",
    "running_time_function",
]

#: sports whose cadence counts steps of the feet (FIT stores strides: steps = 2 x strides);
#: cycling cadence is pedal rpm and is never converted.
STEP_SPORTS = frozenset({"running", "walking", "hiking", "trail_running", "treadmill"})

#: the running-dynamics columns a reader may fill in :attr:`CadenceTrace.dynamics`: key -> (label, unit).
#: Watches write them with a chest strap or a foot pod (FIT ``step_length``, ``stance_time``,
#: ``stance_time_balance``, ``vertical_oscillation``, ``vertical_ratio``); a Stryd pod writes power, form
#: power, leg spring stiffness, ground time and vertical oscillation as developer fields.
RUNNING_DYNAMICS: dict[str, tuple[str, str]] = {
    "step_length_m": ("step length", "m"),
    "stance_time_ms": ("ground contact time", "ms"),
    "stance_time_balance_pct": ("contact time balance (left)", "%"),
    "vertical_oscillation_mm": ("vertical oscillation", "mm"),
    "vertical_ratio_pct": ("vertical ratio", "%"),
    "power_w": ("running power", "W"),
    "form_power_w": ("form power", "W"),
    "leg_spring_stiffness_kn_m": ("leg spring stiffness", "kN/m"),
}


@dataclass(frozen=True)
class DeviceSummary:
    """What the device itself wrote in its session message, for reconciliation with its app.

    Attributes
    ----------
    avg_cadence_spm : float
        The session average, ``2 x (avg_running_cadence + avg_fractional_cadence)`` (or ``avg_cadence`` for
        walking); ``nan`` if absent.
    has_fractional : bool
        Whether the device wrote ``avg_fractional_cadence`` (without it, the average is truncated to whole
        strides per minute).
    total_timer_time_s, total_elapsed_time_s, total_distance_m : float
        The session totals, ``nan`` where absent.
    avg_pedal_cadence_rpm : float
        For cycling sessions, the average pedal cadence in rpm; ``nan`` otherwise.

    """

    avg_cadence_spm: float = float("nan")
    has_fractional: bool = False
    total_timer_time_s: float = float("nan")
    total_elapsed_time_s: float = float("nan")
    total_distance_m: float = float("nan")
    avg_pedal_cadence_rpm: float = float("nan")


@dataclass(frozen=True, eq=False)
class CadenceTrace:
    """Per-record cadence, speed and timer state of one activity (or one multisport session).

    Attributes
    ----------
    t_s : ndarray, shape (n,)
        Elapsed seconds from the session start (pauses included), strictly increasing.
    cadence_spm : ndarray, shape (n,)
        Step rate in steps per minute; ``nan`` where unknown or where the sport has no steps (cycling).
    speed_ms : ndarray, shape (n,)
        Speed in m/s, ``nan`` where unknown.
    distance_m : ndarray, shape (n,)
        Cumulative distance in metres, ``nan`` where unknown.
    timer_intervals_s : ndarray, shape (k, 2)
        Intervals ``[start, stop)`` (in ``t_s``) during which the activity timer ran.
    sport, sub_sport : str
        FIT sport names (``"running"``, ``"cycling"``, ...; ``"unknown"`` if the file does not say).
    source : str
        The file the trace was read from.
    device_name : str
        Maker and product as the file names them (e.g. ``"garmin fr935"``), or ``""``.
    session_index : int
        0-based index of the session in the file (multisport and chained files have several).
    start_time : datetime or None
        Wall-clock start (UTC) if the file has it.
    utc_offset_s : float or None
        Local time minus UTC at the start, in seconds, when the file says (FIT: the activity message's
        ``local_timestamp``); ``None`` when it does not (TCX, GPX: UTC only), and the machine's zone or
        ``--tz`` is used instead (:func:`cadence._timefmt.local_time`).
    lap_start_s : ndarray, shape (m,)
        Lap start times in ``t_s`` (the first lap starts at 0).
    pedal_cadence_rpm : ndarray, shape (n,)
        Cycling pedal cadence in rpm (``nan`` for step sports).
    heart_rate_per_min : ndarray, shape (n,)
        Heart rate in beats per minute, ``nan`` where unknown.
    altitude_m : ndarray, shape (n,) or None
        Altitude in metres (``nan`` where unknown); ``None`` when the file has none.
    dynamics : dict of str to ndarray, shape (n,)
        Running dynamics per record, keyed as in :data:`RUNNING_DYNAMICS` (``nan`` where unknown); only the
        columns the file has.
    dynamics_source : dict of str to str
        Where each ``dynamics`` column came from: ``"watch"`` (the FIT profile's own fields) or
        ``"Stryd"`` (developer fields).
    device : DeviceSummary
        The device's own session totals.
    notes : tuple of str
        What the reader noticed or repaired (truncation, CRC, doubled cadence), in plain words.

    """

    t_s: NDArray[np.float64]
    cadence_spm: NDArray[np.float64]
    speed_ms: NDArray[np.float64]
    distance_m: NDArray[np.float64]
    timer_intervals_s: NDArray[np.float64]
    sport: str = "unknown"
    sub_sport: str = "unknown"
    source: str = ""
    device_name: str = ""
    session_index: int = 0
    start_time: datetime | None = None
    lap_start_s: NDArray[np.float64] = field(default_factory=lambda: np.zeros(1))
    pedal_cadence_rpm: NDArray[np.float64] | None = None
    heart_rate_per_min: NDArray[np.float64] | None = None
    altitude_m: NDArray[np.float64] | None = None
    dynamics: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    dynamics_source: dict[str, str] = field(default_factory=dict)
    utc_offset_s: float | None = None
    device: DeviceSummary = field(default_factory=DeviceSummary)
    notes: tuple[str, ...] = ()

    @property
    def is_step_sport(self) -> bool:
        """Whether cadence counts steps (running, walking, hiking) rather than pedal revolutions."""
        return self.sport in STEP_SPORTS or self.sub_sport in STEP_SPORTS

    @property
    def n(self) -> int:
        """Number of records."""
        return int(self.t_s.size)

    def replace(self, **changes: object) -> CadenceTrace:
        """Return a copy with ``changes`` applied (see :func:`dataclasses.replace`)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Recording:
    """A uniformly sampled 3-axis accelerometer recording.

    Attributes
    ----------
    t_s : ndarray, shape (n,)
        Sample times in seconds from the first sample (uniform, ``1 / fs_hz`` apart).
    acc_ms2 : ndarray, shape (n, 3)
        Acceleration in m/s^2 in the sensor's own axes.
    fs_hz : float
        Sampling rate in Hz.
    source : str
        The file it came from.
    format : str
        Detected format: ``"plain"``, ``"phyphox"``, ``"sensor_logger"`` or ``"physics_toolbox"``.
    units_in_file : str
        ``"g"`` or ``"m/s^2"``, as detected (or forced).
    gravity_included : bool
        False for "linear acceleration" exports (gravity removed by the phone).
    start_unix_s : float or None
        Wall-clock time of the first sample when the file has absolute timestamps.
    n_rows : int
        Data rows in the file.
    n_dropped : int
        Rows dropped because a value was missing or NaN, or the time repeated.
    resampled : bool
        Whether the samples were interpolated onto a uniform grid (irregular sampling in the file).
    gaps : tuple of (float, float)
        ``(start_s, duration_s)`` of each pause in the sampling longer than 5 sample intervals (and 0.1 s).

    """

    t_s: NDArray[np.float64]
    acc_ms2: NDArray[np.float64]
    fs_hz: float
    source: str
    format: str = "plain"
    units_in_file: str = "m/s^2"
    gravity_included: bool = True
    start_unix_s: float | None = None
    n_rows: int = 0
    n_dropped: int = 0
    resampled: bool = False
    gaps: tuple[tuple[float, float], ...] = ()

    @property
    def duration_s(self) -> float:
        """Length of the recording in seconds."""
        return float(len(self.t_s) / self.fs_hz) if len(self.t_s) else 0.0


def running_time_function(
    timer_intervals_s: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Breakpoints of R(t), the timer-running seconds elapsed up to time t.

    Parameters
    ----------
    timer_intervals_s : ndarray, shape (k, 2)
        Non-overlapping, sorted ``[start, stop)`` intervals.

    Returns
    -------
    xp, fp : ndarray
        Use ``np.interp(t, xp, fp)``: the timer time in ``[a, b)`` is ``R(b) - R(a)``, fully vectorized.

    """
    iv = np.asarray(timer_intervals_s, dtype=float).reshape(-1, 2)
    if iv.size == 0:
        return np.array([0.0, 1.0]), np.array([0.0, 0.0])
    durations = iv[:, 1] - iv[:, 0]
    cum_end = np.cumsum(durations)
    cum_start = cum_end - durations
    xp = iv.reshape(-1)
    fp = np.column_stack([cum_start, cum_end]).reshape(-1)
    return xp, fp
