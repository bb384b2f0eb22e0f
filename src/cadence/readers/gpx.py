"""Read GPX 1.0/1.1 tracks into :class:`~cadence.datatypes.CadenceTrace` objects, one per ``<trk>``.

Streams the file (safe XML, :mod:`cadence.readers._track`), any namespace prefix. Per ``<trkpt>``: ``time``,
``lat``/``lon`` (distance and speed by haversine over the positions), and from the extensions: ``cad``
(Garmin TrackPointExtension v1/v2 under any prefix: ``gpxtpx:``, ``ns3:``, Strava's ``gpxtpx:cad``, or a bare
``cad``), ``hr``/``heartrate``, and ``speed`` (TrackPointExtension v2, m/s). Each ``<trkseg>`` is a timer
interval. The sport comes from ``<trk><type>``: a word (Garmin Connect: ``running``) or Strava's number
(``9`` run, ``1`` ride). Cadence is per leg (strides/min): steps = 2 x value, decided per reading
(:func:`~cadence.readers._track.cadence_steps_per_reading`); a ride's ``cad`` is pedal rpm, never a step rate.
"""

from __future__ import annotations

import os

import numpy as np

from ..datatypes import CadenceTrace
from ..errors import InputFormatError
from ._track import TrackColumns, build_trace, iter_xml, local_name, number, parse_time_s

__all__ = ["gpx_sport", "read_gpx"]

#: Strava's numeric activity types as its GPX exports write them in ``<type>`` (1 ride and 9 run are in
#: the exports we have; the others follow Strava's activity-type enumeration)
STRAVA_TYPES = {
    "1": "cycling",
    "4": "hiking",
    "9": "running",
    "10": "walking",
    "16": "swimming",
    "17": "cycling",
}
_WORDS = {
    "running": "running",
    "run": "running",
    "trail_running": "running",
    "treadmill_running": "running",
    "street_running": "running",
    "track_running": "running",
    "walking": "walking",
    "walk": "walking",
    "casual_walking": "walking",
    "speed_walking": "walking",
    "hiking": "hiking",
    "hike": "hiking",
    "cycling": "cycling",
    "biking": "cycling",
    "ride": "cycling",
    "road_biking": "cycling",
    "mountain_biking": "cycling",
    "swimming": "swimming",
    "swim": "swimming",
}
_CAD = frozenset({"cad", "cadence", "RunCadence"})
_HR = frozenset({"hr", "heartrate", "HeartRate"})


def gpx_sport(text: str | None) -> str | None:
    """FIT sport name of a GPX ``<type>`` (word or Strava number), ``None`` when unknown or absent."""
    if not text:
        return None
    key = text.strip().lower().replace(" ", "_").replace("-", "_")
    if key in STRAVA_TYPES:
        return STRAVA_TYPES[key]
    if key in _WORDS:
        return _WORDS[key]
    for word, sport in (
        ("run", "running"),
        ("walk", "walking"),
        ("hik", "hiking"),
        ("bik", "cycling"),
        ("cycl", "cycling"),
        ("ride", "cycling"),
        ("swim", "swimming"),
    ):
        if word in key:
            return sport
    return None


class _Track:
    def __init__(self) -> None:
        self.points = TrackColumns.empty()
        self.segments: list[tuple[float, float]] = []
        self.seg_first: float | None = None
        self.seg_last: float | None = None
        self.type_text: str | None = None
        self.has_cadence = False

    def close_segment(self) -> None:
        if self.seg_first is not None and self.seg_last is not None:
            self.segments.append((self.seg_first, self.seg_last + 1.0))
        self.seg_first = self.seg_last = None


def _trkpt(pt: object, trk: _Track) -> None:
    values: dict[str, str | None] = {}
    for el in pt.iter():  # type: ignore[attr-defined]
        name = local_name(el.tag)
        if name not in values:
            values[name] = el.text
    t = parse_time_s(values.get("time"))
    if not np.isfinite(t):
        return
    cad_text = next((values[k] for k in _CAD if k in values), None)
    if cad_text is not None:
        trk.has_cadence = True
    trk.points.append(
        t,
        lat=number(pt.get("lat")),  # type: ignore[attr-defined]
        lon=number(pt.get("lon")),  # type: ignore[attr-defined]
        speed=number(values.get("speed")),
        cadence=number(cad_text),
        heart_rate=number(next((values[k] for k in _HR if k in values), None)),
    )
    if trk.seg_first is None:
        trk.seg_first = t
    trk.seg_last = t


def read_gpx(
    source: str | os.PathLike[str] | bytes, *, name: str | None = None, sport: str | None = None
) -> list[CadenceTrace]:
    """Read a GPX file (or its bytes) into one :class:`CadenceTrace` per track.

    Parameters
    ----------
    source : str, os.PathLike or bytes
        The file, or its content (a member of a zip or a decompressed ``.gpx.gz``).
    name : str, optional
        What to call the source in traces and errors (default: the path).
    sport : str, optional
        The sport to use when the track names none (e.g. from a Strava ``activities.csv``).

    Returns
    -------
    list of CadenceTrace
        In file order; tracks without timed points are left out (a route has no times).

    Raises
    ------
    InputFormatError
        Not XML, malformed, or not GPX.

    """
    label = name or (os.fspath(source) if not isinstance(source, bytes) else "<gpx>")
    tracks: list[_Track] = []
    trk: _Track | None = None
    depth_tags: list[str] = []
    root_seen = False
    creator = ""
    for event, el in iter_xml(source, label):
        tag = local_name(el.tag)
        if event == "start":
            depth_tags.append(tag)
            if not root_seen:
                root_seen = True
                if tag != "gpx":
                    raise InputFormatError(label, f"not a GPX file (root element <{tag}>)")
                creator = (el.get("creator") or "").strip()
            elif tag == "trk":
                trk = _Track()
                tracks.append(trk)
            elif tag == "trkseg" and trk is not None:
                trk.close_segment()
            continue
        depth_tags.pop()
        if trk is None:
            continue
        parent = depth_tags[-1] if depth_tags else ""
        if tag == "trkpt":
            _trkpt(el, trk)
            el.clear()
        elif tag == "trkseg":
            trk.close_segment()
        elif tag == "type" and parent == "trk":
            trk.type_text = el.text
        elif tag == "trk":
            trk.close_segment()
            trk = None
    if not root_seen:
        raise InputFormatError(label, "empty XML file")
    out: list[CadenceTrace] = []
    for i, tr in enumerate(tracks):
        cols = tr.points.arrays()
        if cols["t"].size == 0:
            continue
        notes: list[str] = []
        found = gpx_sport(tr.type_text)
        chosen = found or sport
        if chosen is None:
            chosen = "generic"
            if tr.has_cadence:
                notes.append("the track names no sport: its cadence is not read as a step rate")
        out.append(
            build_trace(
                cols,
                segments_abs=tr.segments,
                lap_starts_abs=[],
                sport=chosen,
                sub_sport="generic",
                source=label,
                device_name=creator,
                session_index=len(out) if i else 0,
                notes=notes,
            )
        )
    return out
