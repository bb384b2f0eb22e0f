"""Read running-watch FIT files into :class:`~cadence.datatypes.CadenceTrace` objects, one per session.

The only module that imports :mod:`fitdecode`. It is lenient the way the watch makers' own apps are: CRC
mismatches, invalid (0xFF) values, developer fields, compressed timestamps and chained files are read; a
truncated or corrupt file keeps what was read before the break (with a
:class:`~cadence.errors.CadenceWarning`); settings, workout and monitoring files, and files that are not
FIT, raise :class:`~cadence.errors.InputFormatError`.

FIT stores running cadence in strides per minute; it is converted once, here:
``cadence_spm = 2 x (cadence + fractional_cadence)``. Cycling cadence is pedal rpm and is never doubled.
"""

from __future__ import annotations

import logging
import os
import struct
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..datatypes import STEP_SPORTS, CadenceTrace, DeviceSummary
from ..errors import CadenceWarning, InputFormatError, NotActivityError

__all__ = ["data_messages", "describe_break", "fitdecode_errors", "read_fit"]

_log = logging.getLogger(__name__)

#: seconds between the Unix epoch and the FIT epoch (1989-12-31 00:00 UTC)
FIT_EPOCH_UNIX_S = 631065600
_TIMER_STOPS = frozenset({"stop", "stop_all", "stop_disable", "stop_disable_all"})
_RECORD_FIELDS = frozenset(
    {"timestamp", "cadence", "fractional_cadence", "speed", "enhanced_speed", "distance", "heart_rate"}
)
#: optional record columns: FIT field -> (CadenceTrace column, factor to its unit, source). The profile's
#: own running dynamics come first; a Stryd pod's developer fields fill a column the watch left empty.
_EXTRA_FIELDS: dict[str, tuple[str, float, str]] = {
    "step_length": ("step_length_m", 0.001, "watch"),  # mm
    "stance_time": ("stance_time_ms", 1.0, "watch"),
    "stance_time_balance": ("stance_time_balance_pct", 1.0, "watch"),
    "vertical_oscillation": ("vertical_oscillation_mm", 1.0, "watch"),
    "vertical_ratio": ("vertical_ratio_pct", 1.0, "watch"),
    "power": ("power_w", 1.0, "watch"),
    "Ground Time": ("stance_time_ms", 1.0, "Stryd"),
    "Vertical Oscillation": ("vertical_oscillation_mm", 10.0, "Stryd"),  # Stryd writes centimetres
    "Power": ("power_w", 1.0, "Stryd"),
    "Form Power": ("form_power_w", 1.0, "Stryd"),
    "Leg Spring Stiffness": ("leg_spring_stiffness_kn_m", 1.0, "Stryd"),
    # altitude before enhanced_altitude: where the watch writes altitude, fitdecode and the fast decoder
    # expand it into enhanced_altitude with different rounding; enhanced_altitude alone still counts
    "altitude": ("altitude_m", 1.0, "watch"),
    "enhanced_altitude": ("altitude_m", 1.0, "watch"),
}
#: the largest local-time offset on Earth (UTC+14, Kiribati; UTC-12 the other way)
_MAX_UTC_OFFSET_S = 14 * 3600
_NOT_ACTIVITY = {
    "settings": "a settings file",
    "sport": "a sport settings file",
    "workout": "a workout file",
    "course": "a course file",
    "schedules": "a schedule file",
    "weight": "a weight-scale file",
    "totals": "a totals file",
    "goals": "a goals file",
    "blood_pressure": "a blood-pressure file",
    "monitoring_a": "a monitoring (all-day activity) file",
    "monitoring_b": "a monitoring (all-day activity) file",
    "monitoring_daily": "a monitoring (all-day activity) file",
    "activity_summary": "an activity summary without records",
    "segment": "a segment file",
    "segment_list": "a segment list file",
    "device": "a device description file",
}


@dataclass
class _Raw:
    """Everything collected from one pass over the file (mutable while reading)."""

    file_types: list[str] = field(default_factory=list)
    # record columns: lists (fitdecode) or float arrays (fast decoder)
    t: Any = field(default_factory=list)
    cadence: Any = field(default_factory=list)
    fractional: Any = field(default_factory=list)
    speed: Any = field(default_factory=list)
    distance: Any = field(default_factory=list)
    heart_rate: Any = field(default_factory=list)
    timer_events: list[tuple[float, str]] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    lap_starts: list[float] = field(default_factory=list)
    sports: list[tuple[str, str]] = field(default_factory=list)
    n_messages: int = 0
    device_name: str = ""
    # optional record columns by FIT field name (see _EXTRA_FIELDS); a list may be shorter than ``t``
    # (the field appeared late): the missing tail is None
    extra: dict[str, Any] = field(default_factory=dict)
    # the activity message's (timestamp, local_timestamp), for the local-time offset
    activity_times: tuple[Any, Any] | None = None


def _fit_seconds(value: Any) -> float | None:
    """Return a FIT timestamp as float seconds on one axis (UTC datetimes and relative system times alike)."""
    if isinstance(value, datetime):
        return value.timestamp() - FIT_EPOCH_UNIX_S
    if isinstance(value, int | float):
        return float(value)
    return None


def _num(value: Any) -> float:
    if value is None or isinstance(value, str | tuple | bytes):
        return np.nan
    return float(value)


def _absorb(raw: _Raw, frame: Any) -> None:
    """Add one non-record data message (a fitdecode ``FitDataMessage``) to what was collected."""
    name = frame.name
    if name == "event":
        if frame.get_value("event", fallback=None) == "timer":
            t = _fit_seconds(frame.get_value("timestamp", fallback=None))
            kind = frame.get_value("event_type", fallback=None)
            if t is not None and isinstance(kind, str):
                raw.timer_events.append((t, kind))
    elif name == "session":
        raw.sessions.append({f.name: f.value for f in frame.fields})
    elif name == "activity" and raw.activity_times is None:
        raw.activity_times = (
            frame.get_value("timestamp", fallback=None),
            frame.get_value("local_timestamp", fallback=None),
        )
    elif name == "lap":
        start = _fit_seconds(frame.get_value("start_time", fallback=None))
        if start is not None:
            raw.lap_starts.append(start)
    elif name == "file_id":
        kind = frame.get_value("type", fallback=None)
        raw.file_types.append(str(kind) if kind is not None else "unknown")
        if not raw.device_name:
            maker = frame.get_value("manufacturer", fallback=None)
            product = frame.get_value("garmin_product", fallback=None) or frame.get_value(
                "product", fallback=None
            )
            raw.device_name = " ".join(str(v) for v in (maker, product) if v is not None)
    elif name == "sport":
        raw.sports.append(
            (
                str(frame.get_value("sport", fallback="unknown")),
                str(frame.get_value("sub_sport", fallback="unknown")),
            )
        )


def _broke(path: str, exc: BaseException, n_messages: int) -> str:
    """Why the file broke off (fitdecode's exception, or the same one from the fast path), in words.

    Raises
    ------
    InputFormatError
        Nothing was read before the break.
    """
    why = describe_break(exc, n_messages)
    if n_messages == 0:
        raise InputFormatError(path, why)
    return why


def data_messages(path: str, breaks: list[Exception]) -> Iterator[Any]:
    """Yield fitdecode's data messages from ``path``; a decoder exception ends them and goes to ``breaks``.

    fitdecode raises its own errors for a bad header or a truncated file, and builtin ones (``AssertionError``
    when a message runs past the header's data size or in an HR event, ``ValueError``, ``struct.error``...)
    for corrupt content. Whatever the decoder raises, the messages read before it are kept: the caller
    decides from ``breaks`` whether that is a warning or an error. Only the decoder runs inside the ``try``:
    an exception in the caller's own handling of a message is not hidden.
    """
    import fitdecode

    try:
        with fitdecode.FitReader(
            path,
            check_crc=fitdecode.CrcCheck.DISABLED,
            error_handling=fitdecode.ErrorHandling.IGNORE,
        ) as reader:
            yield from guarded_messages(reader, breaks)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - opening or closing the reader failed: a corrupt file
        breaks.append(exc)


def guarded_messages(frames: Iterable[Any], breaks: list[Exception]) -> Iterator[Any]:
    """Yield the data messages of fitdecode ``frames``; what their iteration raises goes to ``breaks``."""
    import fitdecode

    try:
        for frame in frames:
            if isinstance(frame, fitdecode.FitDataMessage):
                yield frame
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - any decoder failure is a corrupt file, see data_messages
        breaks.append(exc)


def describe_break(exc: BaseException, n_read: int) -> str:
    """Say in plain words why the decoder stopped (``n_read``: messages read before it)."""
    import fitdecode

    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    if isinstance(exc, fitdecode.FitHeaderError):
        if n_read:
            return f"corrupt header of a chained file ({text})"
        return f"not a FIT file or corrupt header ({text})"
    if isinstance(exc, fitdecode.FitEOFError):
        if n_read:
            return f"file is truncated ({text})"
        return f"truncated FIT file with no readable message ({text})"
    if isinstance(exc, AssertionError):
        return "corrupt data (a message runs past the end given in the header, or an inconsistent message)"
    return f"corrupt data ({type(exc).__name__}{': ' + text if text else ''})"


def _scalar(value: Any) -> Any:
    """Return a record field's value if it is one number, else ``None`` (several values or text: invalid)."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _collect(path: str) -> tuple[_Raw, str | None]:
    """Read ``path`` with the fast decoder, or with fitdecode where the fast one cannot; data and break."""
    from .fit_fast import FallbackNeeded, decode_fit

    if os.environ.get("CADENCE_FIT_DECODER") == "fitdecode":  # the escape hatch, and the benchmark's "before"
        return _collect_fitdecode(path)
    try:
        fast = decode_fit(path)
    except FallbackNeeded as exc:
        _log.debug("%s: decoded with fitdecode (the fast FIT decoder does not handle %s)", path, exc)
        return _collect_fitdecode(path)
    raw = _Raw(n_messages=fast.n_messages)
    rec = fast.records
    t = rec.get("timestamp")
    if t is not None:
        keep = np.isfinite(t)
        nothing = np.full(int(keep.sum()), np.nan)

        def col(name: str) -> NDArray[np.float64]:
            values = rec.get(name)
            return values[keep] if values is not None else nothing

        raw.t = t[keep]
        raw.cadence = col("cadence")
        raw.fractional = col("fractional_cadence")
        enhanced, speed = col("enhanced_speed"), col("speed")
        # enhanced_speed where it is a number, else speed (nan: missing, or not a number in the file)
        raw.speed = np.where(np.isnan(enhanced), speed, enhanced)
        raw.distance = col("distance")
        raw.heart_rate = col("heart_rate")
        raw.extra = {name: col(name) for name in _EXTRA_FIELDS if name in rec}
    for frame in fast.messages:
        _absorb(raw, frame)
    broke = _broke(path, fast.error, raw.n_messages) if fast.error is not None else None
    return raw, broke


def _collect_fitdecode(path: str) -> tuple[_Raw, str | None]:
    """One pass of fitdecode over ``path``; returns the data and, if the file broke off, why."""
    breaks: list[Exception] = []
    raw = _gather(data_messages(path, breaks))
    return raw, _broke(path, breaks[0], raw.n_messages) if breaks else None


def _collect_frames(path: str, frames: Iterable[Any]) -> tuple[_Raw, str | None]:
    """Collect fitdecode ``frames`` (e.g. replayed by a test), stopping where their iteration raises."""
    breaks: list[Exception] = []
    raw = _gather(guarded_messages(frames, breaks))
    return raw, _broke(path, breaks[0], raw.n_messages) if breaks else None


def fitdecode_errors() -> tuple[type[BaseException], ...]:
    """Return what fitdecode raises on a broken file (the records before the break are kept)."""
    import fitdecode

    return (
        fitdecode.FitError,
        ValueError,
        KeyError,
        IndexError,
        TypeError,
        AttributeError,
        OverflowError,
        AssertionError,  # fitdecode asserts that a message ends within the data size its header gives
        struct.error,
    )


def _gather(frames: Iterable[Any]) -> _Raw:
    """Collect fitdecode's data messages (a decoder failure ends ``frames``: see :func:`data_messages`)."""
    raw = _Raw()
    for frame in frames:
        raw.n_messages += 1
        if frame.name == "record":
            values = {f.name: f.value for f in frame.fields if f.name in _RECORD_FIELDS}
            t = _fit_seconds(values.get("timestamp"))
            if t is None or not np.isfinite(t):
                continue
            _extra_values(raw, frame.fields)
            raw.t.append(t)
            raw.cadence.append(_scalar(values.get("cadence")))
            raw.fractional.append(_scalar(values.get("fractional_cadence")))
            speed = _scalar(values.get("enhanced_speed"))  # None, or an array (FR55 writes 2 x uint32)
            raw.speed.append(speed if speed is not None else _scalar(values.get("speed")))
            raw.distance.append(_scalar(values.get("distance")))
            raw.heart_rate.append(_scalar(values.get("heart_rate")))
        else:
            _absorb(raw, frame)
    return raw


def _extra_values(raw: _Raw, fields: Any) -> None:
    """Append one record's optional fields (running dynamics, altitude) to ``raw.extra``.

    Called before the record's time is appended, so a list created now is padded to the records before it.
    """
    n_before = len(raw.t)
    for f in fields:
        name = f.name
        if name not in _EXTRA_FIELDS or f.value is None:
            continue
        column = raw.extra.get(name)
        if column is None:
            column = raw.extra[name] = []
        column.extend([None] * (n_before - len(column)))
        column.append(f.value)


def utc_offset_s(timestamp: Any, local_timestamp: Any) -> float | None:
    """Local time minus UTC from the FIT activity message, rounded to 15 min; ``None`` if unknown.

    Parameters
    ----------
    timestamp : datetime or int or None
        The activity message's ``timestamp`` (UTC).
    local_timestamp : datetime or int or None
        Its ``local_timestamp``: the same instant on the local clock (fitdecode returns it as a datetime
        labelled UTC; raw FIT seconds are accepted too).

    Returns
    -------
    float or None
        Seconds (a multiple of 900); ``None`` when either is missing or the difference is not a time zone
        (more than 14 h: some devices write 0 or a relative time).
    """
    t = _fit_seconds(timestamp)
    local = _fit_seconds(local_timestamp)
    if t is None or local is None or t <= 0 or local <= 0:
        return None
    offset = round((local - t) / 900.0) * 900.0
    return offset if abs(offset) <= _MAX_UTC_OFFSET_S else None


def _timer_intervals(events: list[tuple[float, str]], start: float, end: float) -> NDArray[np.float64]:
    """Timer-running intervals within ``[start, end]`` from start/stop events (absolute FIT seconds)."""
    intervals: list[tuple[float, float]] = []
    inside = [(t, k) for t, k in sorted(events) if start - 1 <= t <= end + 1]
    running_since: float | None = None
    first_kind = inside[0][1] if inside else None
    if first_kind is None or first_kind in _TIMER_STOPS:
        running_since = start  # no start event before the first stop: the timer ran from the session start
    for t, kind in inside:
        if kind == "start":
            if running_since is None:
                running_since = max(t, start)
        elif kind in _TIMER_STOPS and running_since is not None:
            if t > running_since:
                intervals.append((running_since, min(t, end)))
            running_since = None
    if running_since is not None and end > running_since:
        intervals.append((running_since, end))
    return np.array(intervals, dtype=float).reshape(-1, 2)


def _device_summary(session: dict[str, Any], sport: str) -> DeviceSummary:
    avg_run = session.get("avg_running_cadence")
    avg = avg_run if avg_run is not None else session.get("avg_cadence")
    frac = session.get("avg_fractional_cadence")
    step = sport in STEP_SPORTS
    avg_spm = 2.0 * (_num(avg) + (_num(frac) if frac is not None else 0.0)) if step else np.nan
    distance = session.get("total_distance")
    return DeviceSummary(
        avg_cadence_spm=float(avg_spm),
        has_fractional=frac is not None,
        total_timer_time_s=_num(session.get("total_timer_time")),
        total_elapsed_time_s=_num(session.get("total_elapsed_time")),
        total_distance_m=_num(distance),
        avg_pedal_cadence_rpm=_num(avg) if not step else np.nan,
    )


def read_fit(path: str | os.PathLike[str]) -> list[CadenceTrace]:
    """Read a FIT activity file into one :class:`CadenceTrace` per session.

    Parameters
    ----------
    path : str or os.PathLike
        A FIT activity file (chained files and multisport activities give several sessions).

    Returns
    -------
    list of CadenceTrace
        One per session, in file order, whatever the sport (cycling sessions carry
        ``pedal_cadence_rpm`` and a ``nan`` step rate). Empty if the file is a valid activity file with no
        records.

    Raises
    ------
    InputFormatError
        The file is missing, empty, not FIT, not an activity (settings, workout, monitoring...), or so
        corrupt that nothing could be read.

    Warns
    -----
    CadenceWarning
        The file broke off (truncated or corrupt): the records read before the break are kept.

    """
    spath = os.fspath(path)
    if not os.path.isfile(spath):
        raise InputFormatError(spath, "no such file")
    if os.path.getsize(spath) == 0:
        raise InputFormatError(spath, "empty file")
    raw, broke = _collect(spath)
    return _traces_from_raw(spath, raw, broke)


def _traces_from_raw(spath: str, raw: _Raw, broke: str | None) -> list[CadenceTrace]:
    """Turn what one pass collected into traces (pure: no I/O), one per session."""
    activity_types = [k for k in raw.file_types if k not in _NOT_ACTIVITY]
    if raw.file_types and not activity_types and len(raw.t) == 0:
        kind = raw.file_types[0]
        raise NotActivityError(spath, f"is {_NOT_ACTIVITY[kind]}, not an activity", kind=kind)
    if len(raw.t) == 0 and not raw.sessions:
        if broke:
            raise InputFormatError(spath, f"no activity data before the file broke off: {broke}")
        raise InputFormatError(spath, "contains no activity records (no record or session messages)")

    notes: list[str] = []
    if broke:
        msg = f"{spath}: {broke}; kept the {len(raw.t)} records read before the break"
        warnings.warn(msg, CadenceWarning, stacklevel=3)
        notes.append(msg)
    cols = _RecordColumns.merge(raw)
    if cols.n_merged:
        notes.append(f"{cols.n_merged} records sharing a timestamp were merged")
    windows = _session_windows(raw.sessions, cols.t_abs)
    if not windows:
        sport, sub_sport = raw.sports[0] if raw.sports else ("unknown", "unknown")
        t_abs = cols.t_abs
        start = float(t_abs[0]) if t_abs.size else 0.0
        end = float(t_abs[-1]) + 1.0 if t_abs.size else 0.0
        windows.append((start, end, {"sport": sport, "sub_sport": sub_sport}))
        notes.append("no session message (the file may be cut short): one session over all records")
    lap_starts = np.unique(np.asarray(raw.lap_starts, dtype=float))
    offset = utc_offset_s(*raw.activity_times) if raw.activity_times else None
    return [
        _session_trace(spath, raw, cols, lap_starts, index, window, tuple(notes)).replace(utc_offset_s=offset)
        for index, window in enumerate(windows)
    ]


@dataclass(frozen=True)
class _RecordColumns:
    """The record fields as columns on one increasing time base (records sharing a timestamp merged)."""

    t_abs: NDArray[np.float64]
    cadence_raw: NDArray[np.float64]  # strides/min (or rpm) + fractional part
    speed_ms: NDArray[np.float64]
    distance_m: NDArray[np.float64]
    heart_rate: NDArray[np.float64]
    n_merged: int
    extra: dict[str, NDArray[np.float64]] = field(default_factory=dict)  # by FIT field name

    @classmethod
    def merge(cls, raw: _Raw) -> _RecordColumns:
        """Sort the records by time; several for one timestamp (the Strava app writes GPS and cadence apart)
        are merged, each field taking the last valid value written for that second.
        """  # noqa: D205
        t_all = np.asarray(raw.t, dtype=float)
        order = np.argsort(t_all, kind="stable")
        t_sorted = t_all[order]
        t_abs, group_start = np.unique(t_sorted, return_index=True)
        positions = np.arange(t_sorted.size)

        def column(values: Any) -> NDArray[np.float64]:
            if len(values) == 0:  # a list (fitdecode) or an array (fast decoder)
                return np.full(t_abs.size, np.nan)
            if len(values) < t_all.size:  # an optional field that stopped before the last record
                values = list(values) + [None] * (t_all.size - len(values))
            try:
                arr = np.array(values, dtype=float)  # None becomes nan in C: no Python loop per record
                if arr.ndim != 1:  # every value an array of the same size
                    raise ValueError("not one number per record")
            except (TypeError, ValueError):  # a malformed file put a tuple or text in a numeric field
                arr = np.array([v if isinstance(v, int | float) else np.nan for v in values], dtype=float)
            arr = arr[order]
            last_valid = np.maximum.reduceat(np.where(np.isfinite(arr), positions, -1), group_start)
            return np.where(last_valid >= 0, arr[np.maximum(last_valid, 0)], np.nan)

        fractional = np.nan_to_num(column(raw.fractional), nan=0.0)
        return cls(
            t_abs=t_abs,
            cadence_raw=column(raw.cadence) + fractional,
            speed_ms=column(raw.speed),
            distance_m=column(raw.distance),
            heart_rate=column(raw.heart_rate),
            n_merged=int(t_sorted.size - t_abs.size),
            extra={name: column(values) for name, values in raw.extra.items()},
        )


def _session_windows(
    raw_sessions: list[dict[str, Any]], t_abs: NDArray[np.float64]
) -> list[tuple[float, float, dict[str, Any]]]:
    """``(start, end, session)`` of each session message, in time order (FIT seconds)."""
    sessions = sorted(
        (s for s in raw_sessions if _fit_seconds(s.get("start_time")) is not None),
        key=lambda s: _fit_seconds(s["start_time"]) or 0.0,
    )
    windows: list[tuple[float, float, dict[str, Any]]] = []
    for i, session in enumerate(sessions):
        start = _fit_seconds(session["start_time"]) or 0.0
        elapsed = _num(session.get("total_elapsed_time"))
        end = start + elapsed if np.isfinite(elapsed) else np.nan
        if not np.isfinite(end):
            stamp = _fit_seconds(session.get("timestamp"))
            end = stamp if stamp is not None and stamp > start else np.nan
        if not np.isfinite(end):
            nxt = _fit_seconds(sessions[i + 1]["start_time"]) if i + 1 < len(sessions) else None
            end = nxt if nxt is not None else (t_abs[-1] if t_abs.size else start)
        windows.append((start, float(end), session))
    return windows


def _session_trace(
    spath: str,
    raw: _Raw,
    cols: _RecordColumns,
    lap_starts: NDArray[np.float64],
    index: int,
    window: tuple[float, float, dict[str, Any]],
    notes: tuple[str, ...],
) -> CadenceTrace:
    """Build the trace of one session: its records, laps and timer; strides become steps here, once."""
    start, end, session = window
    t_abs = cols.t_abs
    sport = str(session.get("sport") or "unknown")
    sub_sport = str(session.get("sub_sport") or "unknown")
    lo = np.searchsorted(t_abs, start, side="left")
    hi = np.searchsorted(t_abs, end, side="right")
    sl = slice(int(lo), int(hi))
    step = sport in STEP_SPORTS or sub_sport in STEP_SPORTS
    cad = cols.cadence_raw[sl]
    # the first lap starts with the session; a lap start before the session's second record is that
    # same first lap (watches often stamp it a second after the session start)
    t_sess = t_abs[sl] - start
    first_lap_until = t_sess[1] if t_sess.size > 1 else 0.0
    laps = lap_starts[(lap_starts >= start) & (lap_starts < end)] - start
    laps = np.concatenate([[0.0], laps[laps > first_lap_until]])
    start_dt = session.get("start_time")
    columns, sources = _extra_columns(cols.extra, sl)
    altitude = columns.pop("altitude_m", None)
    sources.pop("altitude_m", None)
    if not step:
        columns, sources = {}, {}
    return CadenceTrace(
        t_s=t_sess,
        cadence_spm=2.0 * cad if step else np.full(cad.size, np.nan),
        speed_ms=cols.speed_ms[sl],
        distance_m=cols.distance_m[sl],
        timer_intervals_s=_timer_intervals(raw.timer_events, start, end) - start,
        sport=sport,
        sub_sport=sub_sport,
        source=spath,
        device_name=raw.device_name,
        session_index=index,
        start_time=start_dt.astimezone(UTC) if isinstance(start_dt, datetime) else None,
        lap_start_s=laps,
        pedal_cadence_rpm=None if step else cad,
        heart_rate_per_min=cols.heart_rate[sl],
        altitude_m=altitude,
        dynamics=columns,
        dynamics_source=sources,
        device=_device_summary(session, sport if step else "cycling"),
        notes=notes,
    )


def _extra_columns(
    extra: dict[str, NDArray[np.float64]], sl: slice
) -> tuple[dict[str, NDArray[np.float64]], dict[str, str]]:
    """One session's optional columns in their units, and where each came from.

    A column is taken whole from its first source with a value in the session (the watch's own field before
    a Stryd developer field): Stryd's ground time runs longer than a Garmin strap's, so the two never mix.
    """
    columns: dict[str, NDArray[np.float64]] = {}
    sources: dict[str, str] = {}
    for name, (key, factor, source) in _EXTRA_FIELDS.items():
        values = extra.get(name)
        if key in columns or values is None:
            continue
        part = values[sl]
        if np.isfinite(part).any():
            columns[key] = part * factor
            sources[key] = source
    return columns, sources
