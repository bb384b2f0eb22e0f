"""What the XML track readers (TCX, GPX) share: safe streaming XML, time parsing, distance from positions,
speed units, and the one place their cadence convention (strides or steps) is decided per reading.

Safe XML: :func:`defusedxml.ElementTree.iterparse` streams the file through the standard library's expat
parser and refuses DTDs with entity declarations and external entities (billion-laughs and XXE attacks), so a
hostile export cannot expand in memory or read local files; elements are cleared as soon as they are read.
"""  # noqa: D205

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from ..datatypes import STEP_SPORTS
from ..errors import InputFormatError

__all__ = [
    "STEPS_MIN_RAW",
    "TrackColumns",
    "cadence_steps_per_reading",
    "haversine_m",
    "iter_xml",
    "local_name",
    "parse_time_s",
    "speed_from_distance",
]

#: Earth's mean radius (IUGG), metres
EARTH_RADIUS_M = 6_371_008.8
#: a raw running cadence at or above this cannot be strides/min (it would be 250+ steps/min, a sprint no
#: distance runner holds): it was written in steps/min (a foot pod or an app that writes steps)
STEPS_MIN_RAW = 125.0

Source = str | os.PathLike[str] | bytes


def local_name(tag: str) -> str:
    """Return ``tag`` without its ``{namespace}`` (any prefix: ``ns3:``, ``gpxtpx:``, ``ext:``, none)."""
    return tag.rpartition("}")[2]


def _open_skipping_whitespace(source: Source, name: str) -> IO[bytes]:
    """Open ``source`` positioned at its first non-blank byte (some exports put spaces before ``<?xml``)."""
    fh: IO[bytes]
    if isinstance(source, bytes):
        fh = io.BytesIO(source)
    else:
        try:
            fh = open(source, "rb")  # noqa: SIM115 - closed by the caller (iter_xml)
        except OSError as exc:
            raise InputFormatError(name, f"cannot be read ({exc.strerror or exc})") from None
    head = fh.read(4096)
    skip = len(head) - len(head.lstrip(b" \t\r\n\xef\xbb\xbf"))
    if head[skip : skip + 1] != b"<":
        fh.close()
        raise InputFormatError(name, "not an XML file (it does not start with '<')")
    fh.seek(skip)
    return fh


def iter_xml(
    source: Source, name: str, events: tuple[str, ...] = ("start", "end")
) -> Iterator[tuple[str, Any]]:
    """Stream ``(event, element)`` pairs of an XML file or bytes, safely (no DTD entities, no external ones).

    Raises
    ------
    InputFormatError
        Not XML, malformed XML (with the line and column), or a forbidden entity declaration.
    """
    from xml.etree.ElementTree import ParseError

    import defusedxml
    import defusedxml.ElementTree as DET

    fh = _open_skipping_whitespace(source, name)
    try:
        yield from DET.iterparse(fh, events=events, forbid_dtd=False, forbid_entities=True)
    except ParseError as exc:
        line, col = exc.position
        what = str(exc).removesuffix(f": line {line}, column {col}")  # the position is said once, below
        raise InputFormatError(name, f"malformed XML ({what})", f"line {line}, column {col}") from None
    except defusedxml.DefusedXmlException as exc:
        raise InputFormatError(name, f"refused unsafe XML ({type(exc).__name__}: {exc})") from None
    finally:
        fh.close()


def parse_time_s(text: str | None) -> float:
    """Seconds since the Unix epoch of an ISO 8601 time (``Z`` or an offset; naive times taken as UTC)."""
    if not text:
        return np.nan
    try:
        dt = datetime.fromisoformat(text.strip())
    except ValueError:
        return np.nan
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def number(text: str | None) -> float:
    """Float value of an element's text; ``nan`` when absent or not a number."""
    if text is None:
        return np.nan
    try:
        return float(text)
    except ValueError:
        return np.nan


def haversine_m(lat_deg: NDArray[np.float64], lon_deg: NDArray[np.float64]) -> NDArray[np.float64]:
    """Great-circle distance in metres between consecutive positions (``nan`` where either is missing).

    Returns
    -------
    ndarray, shape (n - 1,)
    """
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    dlat = np.diff(lat)
    dlon = np.diff(lon)
    a = np.sin(dlat / 2) ** 2 + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def cumulative_distance_m(lat_deg: NDArray[np.float64], lon_deg: NDArray[np.float64]) -> NDArray[np.float64]:
    """Cumulative distance along the positions (missing positions add nothing); ``nan`` if none."""
    lat = np.asarray(lat_deg, dtype=float)
    if lat.size == 0 or not np.isfinite(lat).any():
        return np.full(lat.size, np.nan)
    ok = np.isfinite(lat) & np.isfinite(np.asarray(lon_deg, dtype=float))
    idx = np.nonzero(ok)[0]
    step = np.zeros(lat.size)
    step[idx[1:]] = haversine_m(lat[idx], np.asarray(lon_deg, dtype=float)[idx])
    return np.cumsum(step)


def speed_from_distance(
    t_s: NDArray[np.float64], distance_m: NDArray[np.float64], window_s: float = 5.0
) -> NDArray[np.float64]:
    """Speed in m/s from cumulative distance: distance over at least ``window_s`` centred on each record.

    GPS positions jitter by metres; dividing over a few seconds rather than from one record to the next
    keeps a standing runner near 0 and a steady one steady. ``nan`` where the distance is unknown.
    """
    t = np.asarray(t_s, dtype=float)
    d = np.asarray(distance_m, dtype=float)
    out = np.full(t.size, np.nan)
    ok = np.isfinite(d)
    if ok.sum() < 2:
        return out
    tk, dk = t[ok], np.maximum.accumulate(d[ok])
    lo = np.searchsorted(tk, tk - window_s / 2, side="left")
    hi = np.searchsorted(tk, tk + window_s / 2, side="right") - 1
    lo = np.minimum(lo, np.maximum(hi - 1, 0))
    hi = np.maximum(hi, np.minimum(lo + 1, tk.size - 1))
    dt = tk[hi] - tk[lo]
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(dt > 0, (dk[hi] - dk[lo]) / dt, np.nan)
    out[ok] = v
    return out


def speed_in_ms(
    speed_raw: NDArray[np.float64], derived_ms: NDArray[np.float64]
) -> tuple[NDArray[np.float64], str | None]:
    """Return the file's speed field in m/s: km/h (COROS TCX) is recognised against distance over time.

    Returns the speed and a note when it was converted. A field whose median is 3.0-4.3x the speed derived
    from the distance (moving records) is in km/h (3.6x); otherwise it is taken as m/s.
    """
    raw = np.asarray(speed_raw, dtype=float)
    moving = np.isfinite(raw) & np.isfinite(derived_ms) & (derived_ms > 0.5) & (raw > 0)
    if moving.sum() >= 10:
        ratio = float(np.median(raw[moving]) / np.median(derived_ms[moving]))
        if 3.0 <= ratio <= 4.3:
            return (
                raw / 3.6,
                f"the speed field is in km/h (median {ratio:.2f}x distance over time): converted",
            )
    return raw, None


def cadence_steps_per_reading(raw: NDArray[np.float64]) -> tuple[NDArray[np.float64], int, str]:
    """Step rate (spm) of per-leg running cadence, the convention decided for every reading.

    TCX ``RunCadence``/``Cadence`` and GPX ``cad`` hold strides per minute for running in every file we
    have seen: steps = 2 x value. A foot pod can write steps into the same field, mixed with the watch's
    strides in one run (values near 88 and near 176 on one treadmill run). Per reading:

    * a value of :data:`STEPS_MIN_RAW` (125) or more cannot be strides (250+ spm): it is steps, kept;
    * when most moving readings are steps (their median is 125+), the file writes steps: a reading under 125
      whose double is within 20 % of the steps readings' median is a stride reading among them and is
      doubled (the 88s of a run at 176); the rest (walking written in steps, about 100-125) are kept;
    * otherwise a value is strides and doubled.

    Returns
    -------
    steps_spm : ndarray
        Step rate per reading (0 stays 0, missing stays ``nan``).
    n_steps_readings : int
        Readings taken as already in steps (not doubled).
    convention : str
        ``"strides"`` (the file's majority) or ``"steps"``.
    """
    r = np.asarray(raw, dtype=float)
    moving = np.isfinite(r) & (r >= 30)
    steps_major = bool(moving.any() and np.median(r[moving]) >= STEPS_MIN_RAW)
    if not steps_major:
        as_steps = np.isfinite(r) & (r >= STEPS_MIN_RAW)
        out = np.where(as_steps, r, 2.0 * r)
        return out, int(as_steps.sum()), "strides"
    steps_level = float(np.median(r[moving & (r >= STEPS_MIN_RAW)]))
    with np.errstate(invalid="ignore"):
        strides = moving & (r < STEPS_MIN_RAW) & (np.abs(2.0 * r / steps_level - 1.0) <= 0.2)
    out = np.where(strides, 2.0 * r, r)
    return out, int((np.isfinite(r) & (r > 0) & ~strides).sum()), "steps"


@dataclass
class TrackColumns:
    """Per-point values collected while streaming a track (mutable while reading)."""

    t: list[float]
    lat: list[float]
    lon: list[float]
    distance: list[float]
    speed: list[float]
    cadence: list[float]
    heart_rate: list[float]

    @classmethod
    def empty(cls) -> TrackColumns:
        """No points yet."""
        return cls([], [], [], [], [], [], [])

    def append(
        self,
        t: float,
        lat: float = np.nan,
        lon: float = np.nan,
        distance: float = np.nan,
        speed: float = np.nan,
        cadence: float = np.nan,
        heart_rate: float = np.nan,
    ) -> None:
        """Add one point (``nan`` for what it does not have)."""
        self.t.append(t)
        self.lat.append(lat)
        self.lon.append(lon)
        self.distance.append(distance)
        self.speed.append(speed)
        self.cadence.append(cadence)
        self.heart_rate.append(heart_rate)

    def arrays(self) -> dict[str, NDArray[np.float64]]:
        """Return the columns as float arrays sorted by time (no time: dropped; repeated times: merged)."""
        cols = {
            k: np.asarray(getattr(self, k), dtype=float)
            for k in ("t", "lat", "lon", "distance", "speed", "cadence", "heart_rate")
        }
        ok = np.isfinite(cols["t"])
        cols = {k: v[ok] for k, v in cols.items()}
        order = np.argsort(cols["t"], kind="stable")
        cols = {k: v[order] for k, v in cols.items()}
        _, first = np.unique(cols["t"], return_index=True)
        return {k: v[first] for k, v in cols.items()}


#: a walk (median moving speed below this, m/s) when the file names no sport but records a running cadence;
#: the walk-to-run transition speed is near 2 m/s (docs/fit.md)
_WALK_MAX_MS = 1.9


def infer_step_sport(speed_ms: NDArray[np.float64]) -> str:
    """Return ``"walking"`` or ``"running"`` from the median moving speed (for a sport of "Other")."""
    v = np.asarray(speed_ms, dtype=float)
    moving = v[np.isfinite(v) & (v > 0.3)]
    if moving.size == 0:
        return "walking"
    return "walking" if float(np.median(moving)) < _WALK_MAX_MS else "running"


def build_trace(
    cols: dict[str, NDArray[np.float64]],
    *,
    segments_abs: list[tuple[float, float]],
    lap_starts_abs: list[float],
    sport: str,
    sub_sport: str,
    source: str,
    device_name: str = "",
    session_index: int = 0,
    notes: list[str] | None = None,
    device: Any = None,
    infer_sport: bool = False,
) -> Any:
    """Turn one activity's point columns into a :class:`~cadence.datatypes.CadenceTrace`.

    Distance comes from the file's distance field, else from the positions (haversine); speed from the
    file's speed field (km/h recognised), else from the distance over time. Running cadence (per leg) becomes
    steps here, once (:func:`cadence_steps_per_reading`); cycling rpm and swim strokes are never doubled.
    ``infer_sport``: the file names no sport but has a running-cadence field (TCX ``Other`` with
    ``RunCadence``): walking or running from the median speed.
    """
    from ..datatypes import CadenceTrace, DeviceSummary

    notes = list(notes or [])
    t_abs = cols["t"]
    t0 = float(t_abs[0]) if t_abs.size else 0.0
    t = t_abs - t0
    distance = cols["distance"]
    if not np.isfinite(distance).any():
        distance = cumulative_distance_m(cols["lat"], cols["lon"])
        if np.isfinite(distance).any():
            notes.append("distance and speed computed from the GPS positions")
    derived = speed_from_distance(t, distance)
    speed = cols["speed"]
    if np.isfinite(speed).any():
        speed, note = speed_in_ms(speed, derived)
        if note:
            notes.append(note)
        speed = np.where(np.isfinite(speed), speed, derived)
    else:
        speed = derived
    if infer_sport:
        sport = infer_step_sport(speed)
        notes.append(f"the file names no sport ('Other'); taken as {sport} from its speed")
    raw = cols["cadence"]
    step = sport in STEP_SPORTS or sub_sport in STEP_SPORTS  # per-leg cadence becomes steps
    pedal = None
    if step:
        cadence, n_steps, convention = cadence_steps_per_reading(raw)
        if convention == "steps":
            n_doubled = int((np.isfinite(raw) & (raw > 0)).sum()) - n_steps
            notes.append(
                f"cadence written in steps/min: {n_steps} readings kept, {n_doubled} stride readings among"
                " them doubled"
            )
        elif n_steps:
            notes.append(f"{n_steps} cadence readings were already steps/min (a foot pod): kept, not doubled")
    else:
        cadence = np.full(raw.size, np.nan)
        pedal = raw
    if step and raw.size and not np.isfinite(raw).any():
        notes.append("no cadence recorded")
    segs = np.array(
        [(a - t0, b - t0) for a, b in segments_abs if b > a]
        or [(0.0, float(t[-1]) + 1.0 if t.size else 0.0)],
        dtype=float,
    ).reshape(-1, 2)
    laps = np.unique(np.asarray([x - t0 for x in lap_starts_abs if np.isfinite(x)] + [0.0], dtype=float))
    laps = laps[laps >= 0]
    return CadenceTrace(
        t_s=t,
        cadence_spm=cadence,
        speed_ms=speed,
        distance_m=distance,
        timer_intervals_s=segs,
        sport=sport,
        sub_sport=sub_sport,
        source=source,
        device_name=device_name,
        session_index=session_index,
        start_time=datetime.fromtimestamp(t0, UTC) if t_abs.size else None,
        lap_start_s=laps,
        pedal_cadence_rpm=pedal,
        heart_rate_per_min=cols["heart_rate"],
        device=device if device is not None else DeviceSummary(),
        notes=tuple(notes),
    )
