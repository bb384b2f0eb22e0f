"""Load any supported recording and analyze it: the library's one-call entry point.

This module is the edge between files and the pure analysis: it picks a reader from the file's content
(FIT header) or name, then runs :func:`~cadence.gait.analysis.analyze_trace` on every session.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from .datatypes import CadenceTrace, Recording
from .errors import InputFormatError, ParameterError
from .gait.analysis import AnalysisOptions, CadenceSummary, analyze_trace

if TYPE_CHECKING:
    from .gait.accel import AccelAnalysis
    from .gait.steps import StepOptions, StepResult
    from .readers._accel import Units
    from .readers.accel_csv import AccelReadOptions

__all__ = [
    "ActivityResult",
    "analyze_accel_csv",
    "analyze_file",
    "analyze_steps_csv",
    "find_activity_files",
    "load_traces",
]

#: FIT files are recognised by their header whatever their name, and by this suffix
FIT_SUFFIX = ".fit"
#: raw accelerometer exports; in a folder, only those whose header names time and x, y, z columns
ACCEL_SUFFIXES = (".csv", ".txt", ".tsv")
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
    #: the file family the loader recognised: ``"fit"``, or the accelerometer format (``"phyphox"``,
    #: ``"actilife_raw"``, ``"actigraph_gt3x"``, ... see docs/accelerometer.md)
    format: str = ""

    @property
    def signal(self) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
        """``(t_s, magnitude)`` the steps were found on (accelerometer recordings; ``None`` otherwise)."""
        return self.steps.signal if self.steps is not None else None


_Loaded = list[tuple[CadenceTrace, "StepResult | None", str]]


def _is_fit(path: str) -> bool:
    """Whether ``path`` starts with a FIT header (used by live/; the loader itself uses readers.sniff)."""
    with open(path, "rb") as fh:
        head = fh.read(12)
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


def _load(spath: str, accel: AccelReadOptions | None) -> _Loaded:
    """Read ``spath`` with the reader its content (or suffix) calls for: traces, steps, detected format."""
    from .readers.sniff import FAMILY_LABELS, sniff_family

    _check_regular_file(spath)
    family = sniff_family(spath)
    suffix = Path(spath).suffix.lower()
    if family == "fit" or (suffix == FIT_SUFFIX and family in ("text", "binary")):
        from .readers.fit import read_fit

        loaded: _Loaded = [(t, None, "fit") for t in read_fit(spath)]
        if family == "fit":
            loaded.extend(_fit_accel(spath, first_index=len(loaded)))
        return loaded
    if family in ("actigraph_gt3x", "axivity_cwa", "geneactiv_bin", "matlab_mat"):
        return [_from_recording(_read_binary(spath, family))]
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
    known = ", ".join([FIT_SUFFIX, *ACCEL_SUFFIXES, *WEARABLE_SUFFIXES])
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


def _fit_accel(path: str, first_index: int) -> _Loaded:
    """Detect steps in a FIT file's own accelerometer samples, to report beside the watch's cadence."""
    from .readers.fit_accel import has_accel_data, read_fit_accel

    if not has_accel_data(path):  # fast byte scan: most FIT files stop here
        return []
    rec = read_fit_accel(path)
    if rec is None:
        return []
    from .gait.accel import accel_trace, analyze_recording

    with _about_file(path):
        acc = analyze_recording(rec)
        return [(accel_trace(acc).replace(session_index=first_index), acc.steps, rec.format)]


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


def find_activity_files(
    paths: Iterable[str | os.PathLike[str]], suffixes: Iterable[str] | None = None
) -> Iterator[str]:
    """Expand folders (recursively, sorted) into the activity files they hold; files pass through as given.

    In a folder, FIT files are taken by suffix, and CSV files only when their header names a time column and
    x, y, z acceleration columns (a folder of runs often holds other CSV files: track lists, ground truth).
    """
    wanted = tuple(s.lower() for s in (suffixes or (FIT_SUFFIX,)))
    accel = tuple(s for s in ACCEL_SUFFIXES if suffixes is None or s in wanted)
    for p in paths:
        sp = os.fspath(p)
        if os.path.isdir(sp):
            for found in sorted(Path(sp).rglob("*")):
                if not found.is_file():
                    continue
                suffix = found.suffix.lower()
                if suffix in wanted:
                    yield str(found)
                elif suffix in accel:
                    from .readers.accel_csv import looks_like_accel_csv
                    from .readers.steps_csv import looks_like_steps_csv

                    if looks_like_accel_csv(found) or looks_like_steps_csv(found):
                        yield str(found)
        else:
            yield sp
