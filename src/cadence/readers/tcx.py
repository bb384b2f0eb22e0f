"""Read Training Center XML (TCX v2) activities into :class:`~cadence.datatypes.CadenceTrace` objects.

One trace per ``<Activity>``. Streams the file (safe XML, :mod:`cadence.readers._track`), any namespace
prefix.
Per trackpoint: ``Time``, ``Position``, ``DistanceMeters``, ``HeartRateBpm``, running cadence from
``RunCadence`` in the ActivityExtension (Garmin) or from the plain ``<Cadence>`` element (Polar, COROS and
foot pods put running cadence there too), and speed from the extension's ``Speed`` (m/s; COROS writes km/h
without the extension wrapper: recognised from distance over time). Each ``<Track>`` is a timer interval (a
pause starts a new track), each ``<Lap>`` a lap. Cadence is per leg (strides/min): steps = 2 x value,
decided per reading (:func:`~cadence.readers._track.cadence_steps_per_reading`); a ``Biking`` activity's
cadence is pedal rpm and never a step rate. A lap that records only ``AvgRunCadence`` (no per-point cadence)
gives its points that average.
"""

from __future__ import annotations

import os

import numpy as np

from ..datatypes import CadenceTrace, DeviceSummary
from ..errors import InputFormatError
from ._track import TrackColumns, build_trace, iter_xml, local_name, number, parse_time_s

__all__ = ["TCX_SPORTS", "read_tcx"]

#: TCX ``Sport`` attribute -> FIT sport name; "Other" is decided from the data
TCX_SPORTS = {"running": "running", "biking": "cycling", "walking": "walking", "hiking": "hiking"}


class _Activity:
    """What one ``<Activity>`` held (mutable while streaming)."""

    def __init__(self, sport_attr: str) -> None:
        self.sport_attr = sport_attr
        self.points = TrackColumns.empty()
        self.segments: list[tuple[float, float]] = []
        self.seg_first: float | None = None
        self.seg_last: float | None = None
        self.laps: list[float] = []
        self.lap_cadence: list[tuple[float, float]] = []  # (lap start, per-leg average)
        self.timer_s = 0.0
        self.distance_m = 0.0
        self.has_run_cadence = False
        self.device = ""

    def close_segment(self) -> None:
        if self.seg_first is not None and self.seg_last is not None:
            self.segments.append((self.seg_first, self.seg_last + 1.0))
        self.seg_first = self.seg_last = None


def _trackpoint(tp: object, act: _Activity) -> None:
    """Collect one ``<Trackpoint>`` (any prefix) into ``act``."""
    values: dict[str, str | None] = {}
    for el in tp.iter():  # type: ignore[attr-defined]
        name = local_name(el.tag)
        if name in values:
            continue
        values[name] = el.text
    t = parse_time_s(values.get("Time"))
    if not np.isfinite(t):
        return
    run_cad = values.get("RunCadence")
    if run_cad is not None:
        act.has_run_cadence = True
    cadence = number(run_cad) if run_cad is not None else number(values.get("Cadence"))
    act.points.append(
        t,
        lat=number(values.get("LatitudeDegrees")),
        lon=number(values.get("LongitudeDegrees")),
        distance=number(values.get("DistanceMeters")),
        speed=number(values.get("Speed")),
        cadence=cadence,
        heart_rate=number(values.get("Value")),
    )
    if act.seg_first is None:
        act.seg_first = t
    act.seg_last = t


def read_tcx(
    source: str | os.PathLike[str] | bytes, *, name: str | None = None, sport: str | None = None
) -> list[CadenceTrace]:
    """Read a TCX file (or its bytes) into one :class:`CadenceTrace` per activity.

    Parameters
    ----------
    source : str, os.PathLike or bytes
        The file, or its content (a member of a zip or a decompressed ``.tcx.gz``).
    name : str, optional
        What to call the source in traces and errors (default: the path).
    sport : str, optional
        The sport to use when the file does not say (``Other``), e.g. from a Strava ``activities.csv``.

    Returns
    -------
    list of CadenceTrace
        In file order; an activity without trackpoints is left out.

    Raises
    ------
    InputFormatError
        Not XML, malformed, or not a TrainingCenterDatabase.

    """
    label = name or (os.fspath(source) if not isinstance(source, bytes) else "<tcx>")
    activities: list[_Activity] = []
    act: _Activity | None = None
    path: list[str] = []
    root_seen = False
    lap_start = np.nan
    for event, el in iter_xml(source, label):
        tag = local_name(el.tag)
        if event == "start":
            path.append(tag)
            if not root_seen:
                root_seen = True
                if tag != "TrainingCenterDatabase":
                    raise InputFormatError(label, f"not a TCX file (root element <{tag}>)")
            if tag == "Activity":
                act = _Activity(el.get("Sport", "Other").strip().lower())
                activities.append(act)
            elif tag == "Lap" and act is not None:
                lap_start = parse_time_s(el.get("StartTime"))
                act.laps.append(lap_start)
            elif tag == "Track" and act is not None:
                act.close_segment()
            continue
        path.pop()
        if act is None:
            continue
        parent = path[-1] if path else ""
        if tag == "Trackpoint":
            _trackpoint(el, act)
            el.clear()
        elif tag == "Track":
            act.close_segment()
        elif parent == "Lap" and tag == "TotalTimeSeconds":
            act.timer_s += number(el.text) if np.isfinite(number(el.text)) else 0.0
        elif parent == "Lap" and tag == "DistanceMeters":
            act.distance_m += number(el.text) if np.isfinite(number(el.text)) else 0.0
        elif tag == "AvgRunCadence" or (parent == "Lap" and tag == "Cadence"):
            act.lap_cadence.append((lap_start, number(el.text)))
            if tag == "AvgRunCadence":
                act.has_run_cadence = True
        elif tag == "Name" and parent == "Creator" and not act.device:
            act.device = (el.text or "").strip()
        elif tag == "Lap":
            el.clear()
        elif tag == "Activity":
            act.close_segment()
            act = None
    if not root_seen:
        raise InputFormatError(label, "empty XML file")
    return [t for i, a in enumerate(activities) if (t := _trace(a, label, i, sport)) is not None]


def _trace(act: _Activity, label: str, index: int, sport_hint: str | None) -> CadenceTrace | None:
    cols = act.points.arrays()
    if cols["t"].size == 0:
        return None
    notes: list[str] = []
    sport = TCX_SPORTS.get(act.sport_attr)
    infer = False
    if sport is None:
        if sport_hint:
            sport = sport_hint
        elif act.has_run_cadence:
            sport, infer = "running", True
        else:
            sport = "generic"
    if not np.isfinite(cols["cadence"]).any() and act.lap_cadence:
        # only lap averages: every point carries its lap's average
        starts = np.array([s for s, _ in act.lap_cadence], dtype=float)
        values = np.array([v for _, v in act.lap_cadence], dtype=float)
        order = np.argsort(np.nan_to_num(starts, nan=-np.inf), kind="stable")
        starts, values = starts[order], values[order]
        idx = np.searchsorted(np.nan_to_num(starts, nan=-np.inf), cols["t"], side="right") - 1
        cols["cadence"] = np.where(idx >= 0, values[np.maximum(idx, 0)], np.nan)
        notes.append(
            f"cadence recorded only as lap averages ({len(values)} laps): each point carries its lap's"
        )
    device = DeviceSummary(
        total_timer_time_s=act.timer_s if act.timer_s > 0 else np.nan,
        total_distance_m=act.distance_m if act.distance_m > 0 else np.nan,
    )
    return build_trace(
        cols,
        segments_abs=act.segments,
        lap_starts_abs=act.laps,
        sport=sport,
        sub_sport="generic",
        source=label,
        device_name=act.device,
        session_index=index,
        notes=notes,
        device=device,
        infer_sport=infer,
    )
