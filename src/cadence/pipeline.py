"""Load any supported recording and analyze it: the library's one-call entry point.

This module is the edge between files and the pure analysis: it picks a reader from the file's content
(FIT header) or name, then runs :func:`~cadence.gait.analysis.analyze_trace` on every session.
"""

from __future__ import annotations

import contextlib
import functools
import os
import stat
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from .datatypes import CadenceTrace, Recording
from .errors import InputFormatError, NotActivityError, ParameterError
from .gait.analysis import AnalysisOptions, CadenceSummary, analyze_trace

if TYPE_CHECKING:
    from .gait.accel import AccelAnalysis
    from .gait.steps import StepOptions, StepResult
    from .readers._accel import Units
    from .readers.accel_csv import AccelReadOptions

__all__ = [
    "ActivityResult",
    "FileScan",
    "analyze_accel_csv",
    "analyze_file",
    "analyze_steps_csv",
    "describe_skipped",
    "find_activity_files",
    "load_traces",
    "scan_activity_files",
    "skipped_kind",
]

#: FIT files are recognised by their header whatever their name, and by this suffix
FIT_SUFFIX = ".fit"
#: raw accelerometer exports; in a folder, only those whose header names time and x, y, z columns
ACCEL_SUFFIXES = (".csv", ".txt", ".tsv")
#: XML track formats (read by content: TCX by its TrainingCenterDatabase root, GPX by <gpx>)
TRACK_SUFFIXES = (".tcx", ".gpx")
#: what a folder or zip is searched for, besides accelerometer CSVs (plain or gzipped)
ACTIVITY_SUFFIXES = tuple(s + gz for s in (FIT_SUFFIX, *TRACK_SUFFIXES) for gz in ("", ".gz"))
#: research wearables' own files (content-sniffed; read with the optional extra ``wearables``)
WEARABLE_SUFFIXES = (".gt3x", ".cwa", ".bin", ".mat")
#: text files handled elsewhere (TCX/GPX) or never accelerometer data: not read as CSV
OTHER_SUFFIXES = (".tcx", ".gpx", ".xml", ".json", ".md", ".html")


@dataclass(frozen=True, eq=False)
class ActivityResult:
    """One analyzed activity (or one session of a multisport file): the data and its summary."""

    trace: CadenceTrace
    summary: CadenceSummary
    #: the detected steps, for accelerometer recordings (``None`` for FIT files)
    steps: StepResult | None = None
    #: the file family the loader recognised: ``"fit"``, ``"tcx"``, ``"gpx"``, or the accelerometer format
    #: (``"phyphox"``, ``"actilife_raw"``, ``"actigraph_gt3x"``, ... see docs/accelerometer.md)
    format: str = ""

    @property
    def signal(self) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
        """``(t_s, magnitude)`` the steps were found on (accelerometer recordings; ``None`` otherwise)."""
        return self.steps.signal if self.steps is not None else None


def _is_fit(path: str) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(12)
    return _fit_header(head)


def _fit_header(head: bytes) -> bool:
    return len(head) >= 12 and head[8:12] == b".FIT"


def _check_regular_file(spath: str) -> None:
    """Refuse what is not a regular file before any reader opens it (a named pipe would block forever)."""
    try:
        mode = os.stat(spath).st_mode
    except FileNotFoundError:
        raise InputFormatError(spath, "no such file") from None
    except OSError as exc:
        raise InputFormatError(spath, f"cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(mode):
        raise InputFormatError(spath, "is a folder, not a file")
    if not stat.S_ISREG(mode):
        kind = (
            "a named pipe (FIFO)"
            if stat.S_ISFIFO(mode)
            else "a device"
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket"
            if stat.S_ISSOCK(mode)
            else "not a regular file"
        )
        raise InputFormatError(spath, f"is {kind}, not a regular file: give a recording saved as a file")


@contextlib.contextmanager
def _about_file(spath: str) -> Iterator[None]:
    """Gait analysis of a file's data: its complaints about the data (``ParameterError``) name the file.

    The options were checked when they were built, so what the analysis refuses here is the data: an
    input error of this file (exit 1), not a usage error.
    """
    try:
        yield
    except ParameterError as exc:
        raise InputFormatError(spath, str(exc)) from None


Loaded = list[tuple[CadenceTrace, "StepResult | None", str]]


def _load(spath: str, accel: AccelReadOptions | None) -> Loaded:
    """Read ``spath`` with the reader its content (or suffix) calls for: traces, steps, detected format.

    ``spath`` is a file, or a member of a zip named through it (``export.zip/activities/1.fit.gz``).
    """
    from .readers.sniff import FAMILY_LABELS, sniff_family

    if os.path.isdir(spath):
        raise InputFormatError(spath, "is a folder, not a file")
    if not os.path.exists(spath):
        from .readers.archive import read_source

        return _load_bytes(read_source(spath), spath, accel)  # a member of a zip (or no such file)
    _check_regular_file(spath)
    family = sniff_family(spath)
    suffix = Path(spath).suffix.lower()
    if family == "fit" or (suffix == FIT_SUFFIX and family in ("text", "binary")):
        return _load_fit_path(spath)
    if family in ("actigraph_gt3x", "axivity_cwa", "geneactiv_bin", "matlab_mat"):
        return [_from_recording(_read_binary(spath, family))]
    try:
        with open(spath, "rb") as fh:
            head = fh.read(1024)
    except OSError as exc:
        raise InputFormatError(spath, f"cannot be read ({exc.strerror or exc})") from None
    if _is_xml_track(head) or _is_packed(head) or _track_suffix(spath):
        with open(spath, "rb") as fh:
            return _load_bytes(fh.read(), spath, accel)
    if (family in ("text", "binary") and suffix in ACCEL_SUFFIXES) or (
        family == "text" and suffix not in OTHER_SUFFIXES
    ):
        from .gait.accel import accel_trace
        from .readers.steps_csv import looks_like_steps_csv

        if looks_like_steps_csv(spath):  # a saved live session (cadence live --steps)
            acc = analyze_steps_csv(spath)
        else:
            acc = _analyze_accel_csv(spath, read_options=accel)
        with _about_file(spath):
            return [(accel_trace(acc), acc.steps, acc.format)]
    known = ", ".join([FIT_SUFFIX, *TRACK_SUFFIXES, ".gz", ".zip", *ACCEL_SUFFIXES, *WEARABLE_SUFFIXES])
    what = FAMILY_LABELS.get(family, family)
    raise InputFormatError(
        spath, f"unsupported file type {suffix or '(no suffix)'!r} ({what}): expected one of {known}"
    )


def _read_binary(spath: str, family: str) -> Recording:
    """Read a research wearable's own file format with its ecosystem's library (extra ``wearables``)."""
    if family == "actigraph_gt3x":
        from .readers.wearables import read_gt3x

        return read_gt3x(spath)
    if family == "matlab_mat":
        from .readers.matlab import read_mat

        return read_mat(spath)
    from .readers.wearables import read_actfast

    return read_actfast(spath, family)


def _from_recording(rec: Recording) -> tuple[CadenceTrace, StepResult | None, str]:
    from .gait.accel import accel_trace, analyze_recording

    with _about_file(rec.source):
        acc = analyze_recording(rec)
        return accel_trace(acc), acc.steps, rec.format


def _load_fit_path(spath: str) -> Loaded:
    from .readers.fit import read_fit

    loaded: Loaded = [(t, None, "fit") for t in read_fit(spath)]  # refuses a file that is not FIT
    loaded.extend(_fit_accel(spath, first_index=len(loaded)))
    return loaded


def _track_suffix(name: str) -> bool:
    low = name.lower()
    return low.endswith(ACTIVITY_SUFFIXES) and not low.endswith(FIT_SUFFIX)


def _is_packed(head: bytes) -> bool:
    from .readers.archive import is_gzip, is_zip

    return is_gzip(head) or is_zip(head)


def _is_xml_track(head: bytes) -> str | None:
    """``"tcx"`` or ``"gpx"`` when the first KiB is XML with that root element, else ``None``."""
    text = head.lstrip(b" \t\r\n\xef\xbb\xbf")
    if not text.startswith(b"<"):
        return None
    if b"TrainingCenterDatabase" in head:
        return "tcx"
    if b"<gpx" in head or b":gpx" in head:
        return "gpx"
    return None


def _load_bytes(data: bytes, name: str, accel: AccelReadOptions | None, depth: int = 0) -> Loaded:
    """Dispatch on content: gzip and zip are opened in memory, then FIT, TCX or GPX is read."""
    from .readers.archive import DEFAULT_LIMITS, archive_members, gunzip, is_gzip, is_zip

    if is_gzip(data[:2]):
        if depth >= DEFAULT_LIMITS.max_depth:
            raise InputFormatError(name, "archives nested too deep")
        return _load_bytes(gunzip(data, name), name, accel, depth + 1)
    if is_zip(data[:4]):  # a zip named on its own: every activity in it
        loaded: Loaded = []
        for member, content, _refused in archive_members(data, name):
            if content is None:
                continue
            try:
                if _is_activity_name(member):
                    loaded.extend(_load_bytes(content, f"{name}/{member}", accel, depth + 1))
                elif member.lower().endswith(ACCEL_SUFFIXES):  # e.g. a phyphox export: "Raw Data.csv"
                    loaded.extend(_load_accel_member(content, f"{name}/{member}", accel))
            except NotActivityError:
                continue
        if not loaded:
            raise NotActivityError(name, "holds no activity file", kind="unknown")
        return loaded
    if _fit_header(data[:12]):
        return _load_fit_bytes(data, name)
    kind = _is_xml_track(data[:1024])
    if kind is None and name.lower().endswith(ACCEL_SUFFIXES):  # a zip member: a phyphox export's CSV
        return _load_accel_member(data, name, accel)
    if kind is None:
        raise NotActivityError(name, "is neither FIT, TCX nor GPX", kind="unknown")
    hint = _strava_sport(name)
    if kind == "tcx":
        from .readers.tcx import read_tcx

        return [(t, None, "tcx") for t in read_tcx(data, name=name, sport=hint)]
    from .readers.gpx import read_gpx

    return [(t, None, "gpx") for t in read_gpx(data, name=name, sport=hint)]


def _load_fit_bytes(data: bytes, name: str) -> Loaded:
    """Read FIT bytes through a private temporary file (the FIT reader reads files); names say ``name``."""
    return _load_via_file(data, name, "member.fit", _load_fit_path)


def _load_accel_member(data: bytes, name: str, accel: AccelReadOptions | None) -> Loaded:
    """Read an accelerometer CSV member of a zip (a phyphox export); other CSVs are not activities."""
    from .readers.accel_csv import looks_like_accel_csv

    def load(path: str) -> Loaded:
        if not looks_like_accel_csv(path):
            raise NotActivityError(path, "is not an accelerometer recording", kind="unknown")
        return _load(path, accel)

    return _load_via_file(data, name, "member" + os.path.splitext(name)[1].lower(), load)


def _load_via_file(data: bytes, name: str, tmp_name: str, load: Callable[[str], Loaded]) -> Loaded:
    """Run a reader that reads files on ``data`` through a private temporary file; names say ``name``."""
    import tempfile
    import warnings

    with tempfile.TemporaryDirectory(prefix="cadence-") as tmp:  # mode 0700: private to this user
        tmp_path = os.path.join(tmp, tmp_name)
        with open(tmp_path, "wb") as fh:
            fh.write(data)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                loaded = load(tmp_path)
        except NotActivityError as exc:
            raise NotActivityError(name, exc.problem, kind=exc.kind) from None
        except InputFormatError as exc:
            raise InputFormatError(name, exc.problem.replace(tmp_path, name), exc.where) from None
    for w in caught:
        warnings.warn(str(w.message).replace(tmp_path, name), w.category, stacklevel=2)
    return [
        (trace.replace(source=name, notes=tuple(n.replace(tmp_path, name) for n in trace.notes)), steps, fmt)
        for trace, steps, fmt in loaded
    ]


def _strava_sport(name: str) -> str | None:
    """Return the sport a Strava export's ``activities.csv`` gives ``.../activities/<file>``, if any."""
    parent, base = os.path.split(name)
    if os.path.basename(parent) != "activities":
        return None
    from .readers.strava import MANIFEST_NAME

    entries = _manifest(os.path.join(os.path.dirname(parent), MANIFEST_NAME))
    entry = entries.get(f"activities/{base}")
    return entry.sport if entry is not None and entry.sport != "generic" else None


@functools.lru_cache(maxsize=8)
def _manifest(path: str) -> dict[str, Any]:
    from .readers.archive import read_source
    from .readers.strava import read_manifest

    try:
        return read_manifest(read_source(path).decode("utf-8-sig", errors="replace"))
    except InputFormatError:
        return {}


#: what a FIT file type that is not an activity is counted as, in a folder
_KIND_LABELS = {
    "settings": "settings",
    "sport": "settings",
    "workout": "workouts",
    "course": "courses",
    "monitoring_a": "monitoring",
    "monitoring_b": "monitoring",
    "monitoring_daily": "monitoring",
    "weight": "weight scale",
    "blood_pressure": "blood pressure",
    "schedules": "schedules",
    "totals": "totals",
    "goals": "goals",
    "segment": "segments",
    "segment_list": "segments",
    "device": "device",
    "activity_summary": "activity summaries",
}


def skipped_kind(exc: NotActivityError) -> str:
    """Return the label a non-activity file is counted under (``"settings"``, ``"workouts"``...)."""
    return _KIND_LABELS.get(exc.kind, exc.kind)


def describe_skipped(counts: Mapping[str, int]) -> str:
    """One line for the files a folder held that are not activities, biggest group first ('' if none).

    >>> describe_skipped({"settings": 6, "monitoring": 3, "workouts": 2})
    'skipped 11 files that are not activities: 6 settings, 3 monitoring, 2 workouts'
    """
    total = sum(counts.values())
    if not total:
        return ""
    parts = ", ".join(f"{n} {k}" for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    what = "files that are not activities" if total != 1 else "file that is not an activity"
    return f"skipped {total} {what}: {parts}"


def _fit_accel(path: str, first_index: int) -> Loaded:
    """Detect steps in a FIT file's own accelerometer samples, to report beside the watch's cadence."""
    from .readers.fit_accel import has_accel_data, read_fit_accel

    if not has_accel_data(path):  # fast byte scan: most FIT files stop here
        return []
    rec = read_fit_accel(path)
    if rec is None:
        return []
    trace, steps, fmt = _from_recording(rec)  # rec.source is path
    return [(trace.replace(session_index=first_index), steps, fmt)]


def analyze_steps_csv(path: str | os.PathLike[str]) -> AccelAnalysis:
    """Read a saved step list (``cadence live --steps``) and compute its per-second cadence.

    Raises
    ------
    InputFormatError
        The file is not a step list.
    """
    from .gait.accel import analyze_step_times
    from .readers.steps_csv import read_steps_csv

    spath = os.fspath(path)
    steps = read_steps_csv(spath)
    end = float(steps.t_s[-1]) + 1.0 if steps.t_s.size else 0.0
    with _about_file(spath):
        return analyze_step_times(steps.t_s, end, steps.source)


def analyze_accel_csv(
    path: str | os.PathLike[str],
    *,
    units: Units | str = "auto",
    columns: tuple[str, str, str, str] | None = None,
    time_unit: str = "auto",
    fs_hz: float | None = None,
    options: StepOptions | None = None,
    read_options: AccelReadOptions | None = None,
) -> AccelAnalysis:
    """Read an accelerometer CSV and detect its steps and per-second cadence.

    Parameters
    ----------
    path : str or os.PathLike
        The CSV file (formats: see :func:`cadence.readers.accel_csv.read_accel_csv`).
    units, columns, time_unit, fs_hz
        Reader overrides, passed to :func:`~cadence.readers.accel_csv.read_accel_csv`.
    options : StepOptions, optional
        Detector options.
    read_options : AccelReadOptions, optional
        All reader overrides in one object; when given it replaces ``units``, ``columns``, ``time_unit``
        and ``fs_hz``.

    Returns
    -------
    AccelAnalysis
        Step result with the per-second series ``t_s``, ``cadence_spm``, ``running`` and a summary.

    Raises
    ------
    InputFormatError
        The file cannot be read as an accelerometer CSV.

    """
    spath = os.fspath(path)
    _check_regular_file(spath)
    return _analyze_accel_csv(
        spath, units=units, columns=columns, time_unit=time_unit, fs_hz=fs_hz, options=options,
        read_options=read_options,
    )


def _analyze_accel_csv(
    spath: str,
    *,
    units: Units | str = "auto",
    columns: tuple[str, str, str, str] | None = None,
    time_unit: str = "auto",
    fs_hz: float | None = None,
    options: StepOptions | None = None,
    read_options: AccelReadOptions | None = None,
) -> AccelAnalysis:
    """:func:`analyze_accel_csv` of a path already checked to be a regular file."""
    if read_options is not None:
        units, columns = read_options.units, read_options.columns
        time_unit, fs_hz = read_options.time_unit, read_options.fs_hz
    from .gait.accel import analyze_recording
    from .readers.accel_csv import read_accel_csv

    rec = read_accel_csv(spath, units=units, columns=columns, time_unit=time_unit, fs_hz=fs_hz)
    with _about_file(spath):
        return analyze_recording(rec, options)


def load_traces(path: str | os.PathLike[str], *, accel: AccelReadOptions | None = None) -> list[CadenceTrace]:
    """Read ``path`` into one :class:`CadenceTrace` per session (FIT) or recording (accelerometer).

    Raises
    ------
    InputFormatError
        Missing, unreadable or unsupported file.
    """
    return [trace for trace, _, _ in _load(os.fspath(path), accel)]


def analyze_file(
    path: str | os.PathLike[str],
    options: AnalysisOptions | None = None,
    *,
    accel: AccelReadOptions | None = None,
) -> list[ActivityResult]:
    """Read ``path`` and analyze every session in it.

    Parameters
    ----------
    path : str or os.PathLike
        A FIT activity file (one result per session, plus one for its raw accelerometer samples if it has
        ``accelerometer_data`` messages or Connect IQ ``accel_X/Y/Z`` fields, beside the watch's own
        cadence) or an accelerometer CSV (``.csv``, ``.txt``, ``.tsv``: steps are detected first, see
        docs/accelerometer.md).
    options : AnalysisOptions, optional
        Running/walking thresholds and rules.
    accel : AccelReadOptions, optional
        Reader overrides (units, columns, time unit, rate) for accelerometer CSV files.

    Returns
    -------
    list of ActivityResult
        In file order; sessions of any sport (a cycling session has a ``nan`` step rate). Accelerometer
        results carry their :class:`~cadence.gait.steps.StepResult` in ``steps``.
    """
    spath = os.fspath(path)
    loaded = _load(spath, accel)
    with _about_file(spath):
        return [
            ActivityResult(trace, analyze_trace(trace, options), steps=steps, format=fmt)
            for trace, steps, fmt in loaded
        ]


@dataclass(frozen=True)
class FileScan:
    """What :func:`scan_activity_files` found: the activity files and what it skipped without reading."""

    #: files and archive members (``export.zip/activities/1.fit.gz``) to read, in order
    files: tuple[str, ...]
    #: files passed over, counted by kind (``"unknown"``: not an activity format; ``"refused"``: unsafe)
    skipped: dict[str, int] = field(default_factory=dict)
    #: ``(member, reason)`` for archive members refused (unsafe name, zip bomb, encrypted, corrupt)
    refused: tuple[tuple[str, str], ...] = ()


def _is_activity_name(name: str) -> bool:
    return name.lower().endswith((*ACTIVITY_SUFFIXES, ".zip"))


def _hidden(name: str) -> bool:
    return name.startswith(".") or name in {"Thumbs.db", "desktop.ini"}


def scan_activity_files(
    paths: Iterable[str | os.PathLike[str]], suffixes: Iterable[str] | None = None
) -> FileScan:
    """Expand folders (recursively, sorted) and zips (nested ones too) into the activity files they hold.

    In a folder or zip: FIT, TCX and GPX files, plain or gzipped, are taken by name; zips are opened (a
    Strava or Garmin Connect export, an "export original" zip); accelerometer CSVs only when their header
    names a time column and x, y, z columns. A Strava ``activities.csv`` is used by the loader, not
    counted. Every other file is counted in :attr:`FileScan.skipped` as ``"unknown"``; hidden files are
    ignored. A file named on its own passes through as given (the loader names its problem). FIT files
    that turn out to hold settings, workouts or monitoring are counted by the caller, when they are read
    (:class:`~cadence.errors.NotActivityError`).
    """
    from .readers.archive import archive_members, is_zip

    wanted = tuple(s.lower() for s in (suffixes or ACTIVITY_SUFFIXES))
    accel = tuple(s for s in ACCEL_SUFFIXES if suffixes is None or s in wanted)
    files: list[str] = []
    skipped: Counter[str] = Counter()
    refused: list[tuple[str, str]] = []

    def add_zip(zpath: str) -> None:
        try:
            members = list(archive_members(zpath, zpath, read_files=False))
        except InputFormatError as exc:
            refused.append((zpath, exc.problem))
            skipped["refused"] += 1
            return
        for member, _, why in members:
            full = f"{zpath}/{member}"
            base = member.rsplit("/", 1)[-1]
            if why:
                refused.append((full, why))
                skipped["refused"] += 1
            elif _hidden(base) or base == "activities.csv":
                continue
            elif base.lower().endswith(wanted) or (".csv" in accel and base.lower().endswith(".csv")):
                files.append(full)  # a CSV member that is no recording is counted when it is read
            else:
                skipped["unknown"] += 1

    for p in paths:
        sp = os.fspath(p)
        if os.path.isdir(sp):
            for found in sorted(Path(sp).rglob("*")):
                if not found.is_file() or _hidden(found.name):
                    continue
                low = found.name.lower()
                if low.endswith(wanted):
                    files.append(str(found))
                elif low.endswith(".zip"):
                    add_zip(str(found))
                elif found.suffix.lower() in accel:
                    from .readers.accel_csv import looks_like_accel_csv
                    from .readers.steps_csv import looks_like_steps_csv

                    if looks_like_accel_csv(found) or looks_like_steps_csv(found):
                        files.append(str(found))
                    elif low != "activities.csv":
                        skipped["unknown"] += 1
                else:
                    skipped["unknown"] += 1
        elif os.path.isfile(sp) and sp.lower().endswith(".zip") and _zip_on_disk(sp, is_zip):
            add_zip(sp)
        else:
            files.append(sp)
    return FileScan(tuple(files), dict(skipped), tuple(refused))


def _zip_on_disk(path: str, is_zip: Any) -> bool:
    try:
        with open(path, "rb") as fh:
            return bool(is_zip(fh.read(4)))
    except OSError:
        return False


def find_activity_files(
    paths: Iterable[str | os.PathLike[str]], suffixes: Iterable[str] | None = None
) -> Iterator[str]:
    """Expand folders and zips into the activity files they hold (see :func:`scan_activity_files`)."""
    yield from scan_activity_files(paths, suffixes).files
