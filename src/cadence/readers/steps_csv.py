"""Saved step lists (``cadence live --steps FILE.csv``): a header ``t_s,detected_at_s``, one step per row.

``t_s`` is the step's time in seconds from the start of the session, ``detected_at_s`` when the live session
reported it. The loader (:mod:`cadence.pipeline`) turns the steps into a per-second cadence like any
accelerometer recording, so ``check`` and ``history`` read a live session like a run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..errors import InputFormatError

__all__ = ["STEPS_HEADER", "StepList", "looks_like_steps_csv", "read_steps_csv", "write_steps_csv"]

#: the first line of a saved step list
STEPS_HEADER = "t_s,detected_at_s"


@dataclass(frozen=True)
class StepList:
    """Steps read from a saved list.

    Attributes
    ----------
    t_s : ndarray, shape (n,)
        Step times in seconds from the start of the session, sorted.
    detected_at_s : ndarray, shape (n,)
        When each was reported (NaN where the file leaves it empty).
    source : str
        The file.

    """

    t_s: NDArray[np.float64]
    detected_at_s: NDArray[np.float64]
    source: str


def looks_like_steps_csv(path: str | os.PathLike[str]) -> bool:
    """Whether the file's first line is the step-list header (a cheap sniff, for folders)."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            first = fh.readline(200)
    except OSError:
        return False
    return first.strip().replace(" ", "").lower() == STEPS_HEADER


def read_steps_csv(path: str | os.PathLike[str]) -> StepList:
    """Read a saved step list.

    Raises
    ------
    InputFormatError
        Not a step list (header), a value that is not a number (with its line), or a negative time.

    """
    spath = os.fspath(path)
    try:
        with open(spath, encoding="utf-8-sig") as fh:
            lines = fh.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFormatError(spath, f"cannot be read ({exc})") from None
    if not lines or lines[0].strip().replace(" ", "").lower() != STEPS_HEADER:
        raise InputFormatError(spath, f"not a step list: the first line must be {STEPS_HEADER}", "line 1")
    t: list[float] = []
    d: list[float] = []
    for i, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        parts = line.split(",")
        try:
            t.append(float(parts[0]))
            d.append(float(parts[1]) if len(parts) > 1 and parts[1].strip() else float("nan"))
        except ValueError:
            raise InputFormatError(spath, f"{line.strip()!r} is not two numbers", f"line {i}") from None
        if not (np.isfinite(t[-1]) and t[-1] >= 0):
            raise InputFormatError(spath, f"step time {t[-1]!r} must be a number >= 0", f"line {i}")
    ta = np.asarray(t, dtype=np.float64)
    order = np.argsort(ta, kind="stable")
    return StepList(ta[order], np.asarray(d, dtype=np.float64)[order], spath)


def write_steps_csv(fh: object, t_s: NDArray[np.floating], detected_at_s: NDArray[np.floating]) -> None:
    """Write a step list to an open text file (the caller owns the file: see ``_atomic.atomic_output``)."""
    write = fh.write  # type: ignore[attr-defined]
    write(STEPS_HEADER + "\n")
    for a, b in zip(np.asarray(t_s, float), np.asarray(detected_at_s, float), strict=True):
        write(f"{a:.3f},{b:.3f}\n")
