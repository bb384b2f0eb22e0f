"""Read a Strava bulk export's ``activities.csv``: the type and name of each activity file.

The manifest's columns changed over the years: 2018 exports have ten lower-case columns (``id, date, name,
type, ..., filename``), 2024 ones about a hundred (``Activity ID, Activity Date, Activity Name, Activity
Type, ..., Filename, ...``) with some headers repeated (``Elapsed Time``, ``Distance``): the first column of
a name is used. Descriptions may hold line breaks inside quotes; rows without a file (manual entries) are
left out.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

__all__ = ["MANIFEST_NAME", "ManifestEntry", "read_manifest", "strava_sport"]

MANIFEST_NAME = "activities.csv"

#: Strava activity types -> FIT sport names (the ones whose cadence matters here; others are "generic")
_TYPES = {
    "run": "running",
    "trailrun": "running",
    "virtualrun": "running",
    "walk": "walking",
    "hike": "hiking",
    "ride": "cycling",
    "virtualride": "cycling",
    "ebikeride": "cycling",
    "gravelride": "cycling",
    "mountainbikeride": "cycling",
    "emountainbikeride": "cycling",
    "velomobile": "cycling",
    "handcycle": "cycling",
    "swim": "swimming",
}


@dataclass(frozen=True)
class ManifestEntry:
    """One row of ``activities.csv`` that names a file."""

    filename: str
    activity_type: str
    sport: str
    name: str


def strava_sport(activity_type: str) -> str:
    """FIT sport name of a Strava activity type (``"Run"`` -> ``"running"``; unknown -> ``"generic"``)."""
    return _TYPES.get(activity_type.replace(" ", "").lower(), "generic")


def read_manifest(text: str) -> dict[str, ManifestEntry]:
    """Map each file named in a Strava ``activities.csv`` (``activities/123.gpx``) to its entry.

    Returns an empty mapping when the text has no filename or type column (not a Strava manifest).
    """
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if not header:
        return {}
    first: dict[str, int] = {}
    for i, col in enumerate(header):
        first.setdefault(col.strip().lower(), i)
    i_file = first.get("filename")
    i_type = first.get("activity type", first.get("type"))
    i_name = first.get("activity name", first.get("name"))
    if i_file is None or i_type is None:
        return {}
    out: dict[str, ManifestEntry] = {}
    for row in rows:
        if len(row) <= max(i_file, i_type):
            continue
        filename = row[i_file].strip()
        if not filename:
            continue
        kind = row[i_type].strip()
        name = row[i_name].strip() if i_name is not None and i_name < len(row) else ""
        out[filename] = ManifestEntry(filename, kind, strava_sport(kind), name)
    return out
