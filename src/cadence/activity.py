"""Load any supported recording and analyze it: the library's one-call entry point.

This module is the edge between files and the pure analysis: it picks a reader from the file's content
(FIT header) or name, then runs :func:`~cadence.analysis.analyze_trace` on every session.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .analysis import AnalysisOptions, CadenceSummary, analyze_trace
from .errors import InputFormatError
from .trace import CadenceTrace

__all__ = ["ActivityResult", "analyze_file", "find_activity_files", "load_traces"]

#: file suffix -> reader name; FIT files are also recognised by their header whatever their name
ACTIVITY_SUFFIXES = (".fit",)


@dataclass(frozen=True, eq=False)
class ActivityResult:
    """One analyzed activity (or one session of a multisport file): the data and its summary."""

    trace: CadenceTrace
    summary: CadenceSummary


def _is_fit(path: str) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(12)
    return len(head) >= 12 and head[8:12] == b".FIT"


def _readers() -> dict[str, Callable[[str], list[CadenceTrace]]]:
    from .fit import read_fit

    return {".fit": read_fit}


def load_traces(path: str | os.PathLike[str]) -> list[CadenceTrace]:
    """Read ``path`` with the reader its content or suffix calls for.

    Raises
    ------
    InputFormatError
        Missing, unreadable or unsupported file.

    """
    spath = os.fspath(path)
    if not os.path.exists(spath):
        raise InputFormatError(spath, "no such file")
    if os.path.isdir(spath):
        raise InputFormatError(spath, "is a folder, not a file")
    try:
        is_fit = _is_fit(spath)
    except OSError as exc:
        raise InputFormatError(spath, f"cannot be read ({exc.strerror or exc})") from None
    readers = _readers()
    suffix = Path(spath).suffix.lower()
    if is_fit or suffix == ".fit":
        return readers[".fit"](spath)
    if suffix in readers:
        return readers[suffix](spath)
    raise InputFormatError(
        spath,
        f"unsupported file type {suffix or '(no suffix)'!r}: expected one of {', '.join(sorted(readers))}",
    )


def analyze_file(
    path: str | os.PathLike[str], options: AnalysisOptions | None = None
) -> list[ActivityResult]:
    """Read ``path`` and analyze every session in it.

    Parameters
    ----------
    path : str or os.PathLike
        A FIT activity file (one result per session) or another supported recording.
    options : AnalysisOptions, optional
        Running/walking thresholds and rules.

    Returns
    -------
    list of ActivityResult
        In file order; sessions of any sport (a cycling session has a ``nan`` step rate).

    """
    return [ActivityResult(trace, analyze_trace(trace, options)) for trace in load_traces(path)]


def find_activity_files(
    paths: Iterable[str | os.PathLike[str]], suffixes: Iterable[str] | None = None
) -> Iterator[str]:
    """Expand folders (recursively, sorted) into the activity files they hold; files pass through as given."""
    wanted = tuple(s.lower() for s in (suffixes or _readers().keys()))
    for p in paths:
        sp = os.fspath(p)
        if os.path.isdir(sp):
            for found in sorted(Path(sp).rglob("*")):
                if found.is_file() and found.suffix.lower() in wanted:
                    yield str(found)
        else:
            yield sp
