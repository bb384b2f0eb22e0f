"""Shared by ``target``, ``plan`` and ``check``: turn arguments into a baseline or analyzed runs."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..activity import ActivityResult


def as_number(args: tuple[str, ...]) -> float | None:
    """Return the baseline when the arguments are one number that is no file name, else ``None``."""
    if len(args) != 1 or os.path.exists(args[0]):
        return None
    try:
        return float(args[0])
    except ValueError:
        return None


def load_runs(paths: tuple[str, ...]) -> list[ActivityResult]:
    """Analyze every file (folders searched) and keep the step-sport sessions with running time.

    Reader warnings become one stderr line each; a file that cannot be read stops the command (a baseline
    silently missing one of the runs asked for would be wrong). Raises ``InputFormatError`` when no session
    of any file has running time.
    """
    import warnings

    from ..activity import analyze_file, find_activity_files
    from ..errors import InputFormatError

    files = list(find_activity_files(paths))
    if not files:
        raise click.UsageError(f"no activity files found in {', '.join(paths)}")
    runs: list[ActivityResult] = []
    for path in files:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results = analyze_file(path)
        for w in caught:
            click.echo(f"cadence: warning: {w.message}", err=True)
        runs.extend(r for r in results if r.trace.is_step_sport and r.summary.running_time_s > 0)
    if not runs:
        where = files[0] if len(files) == 1 else f"{files[0]} and {len(files) - 1} more"
        raise InputFormatError(where, "no running in this activity (nothing at or above 140 spm)")
    return runs


def clock(seconds: float) -> str:
    """Format seconds as a clock: ``5477 -> "1:31:17"``, ``370 -> "6:10"``."""
    s = int(round(seconds))
    h, r = divmod(s, 3600)
    return f"{h}:{r // 60:02d}:{r % 60:02d}" if h else f"{r // 60}:{r % 60:02d}"
