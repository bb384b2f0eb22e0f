"""Shared by ``target``, ``plan`` and ``check``: turn arguments into a baseline or analyzed runs."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from ..coach.target import TargetWarning
    from ..pipeline import ActivityResult


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

    from ..errors import InputFormatError
    from ..pipeline import analyze_file, find_activity_files

    # the same file named twice (or inside a folder also given) is one run, not two
    files = list(dict.fromkeys(os.path.realpath(f) for f in find_activity_files(paths)))
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


def _cached_facts(paths: tuple[str, ...]) -> list[Any]:
    """The run sessions' history facts of every file (cached by content, parallel); a bad file stops it."""
    from .._cache import default_cache_dir
    from ..coach.history import collect_facts
    from ..errors import InputFormatError
    from ..pipeline import find_activity_files

    files = list(dict.fromkeys(os.path.realpath(f) for f in find_activity_files(paths)))
    if not files:
        raise click.UsageError(f"no activity files found in {', '.join(paths)}")
    outcomes, _ = collect_facts(files, cache_dir=default_cache_dir())
    for o in outcomes:
        if o.error is not None:
            raise InputFormatError(o.file, o.error.removeprefix(f"{o.file}: "))
    facts = [f for o in outcomes for f in o.sessions if f.is_step_sport and f.running_time_s > 0]
    if not facts:
        where = files[0] if len(files) == 1 else f"{files[0]} and {len(files) - 1} more"
        raise InputFormatError(where, "no running in this activity (nothing at or above 140 spm)")
    return facts


def clock(seconds: float) -> str:
    """Format seconds as a clock (see :func:`cadence._timefmt.format_duration`)."""
    from .._timefmt import format_duration

    return format_duration(seconds)


@dataclass
class ResolvedBaseline:
    """What ``target`` and ``plan`` start from, with the lines and JSON that explain where it came from."""

    baseline_spm: float
    source: str  # "given", "runs" or "speed_fit"
    max_sustained_spm: float = float("nan")
    runs: dict[str, Any] | None = None
    speed: dict[str, Any] | None = None
    lines: list[str] = field(default_factory=list)
    warnings: list[TargetWarning] = field(default_factory=list)


def resolve_baseline(args: tuple[str, ...], speed: str | None, pace: str | None) -> ResolvedBaseline:
    """Resolve a number, or the running cadence of runs, or (--speed/--pace) their cadence at a speed."""
    from ..coach.target import (
        TargetWarning,
        baseline_from_facts,
        baseline_from_results,
        baseline_warnings,
        format_pace,
        parse_speed_ms,
        speed_baseline,
        speed_model_from_facts,
        speed_model_from_results,
    )
    from ..errors import ParameterError

    if speed and pace:
        raise ParameterError("give --speed or --pace, not both")
    speed_ms = None
    if speed or pace:
        try:
            speed_ms = parse_speed_ms(speed or pace or "")
        except ParameterError as exc:
            raise ParameterError(f"{'--speed' if speed else '--pace'}: {exc}") from None
    number = as_number(args)
    if number is not None:
        if speed_ms is not None:
            raise ParameterError("--speed/--pace need runs to fit cadence against speed: give FIT files")
        return ResolvedBaseline(number, "given", lines=[f"baseline  {number:g} spm (given)"])

    model = None
    if speed_ms is not None and any(os.path.isdir(a) for a in args):
        # a folder: the history's cached per-run moments, analyzed in parallel where not cached yet
        facts = _cached_facts(args)
        base, model = baseline_from_facts(facts), speed_model_from_facts(facts)
    else:
        runs = load_runs(args)
        base = baseline_from_results(runs)
    out = ResolvedBaseline(
        base.running_cadence_spm,
        "runs",
        max_sustained_spm=base.max_sustained_spm,
        runs={
            "files": list(base.sources),
            "n_runs": base.n_runs,
            "running_time_s": base.running_time_s,
            "running_cadence_spm": base.running_cadence_spm,
            "watch_avg_cadence_spm": base.watch_avg_cadence_spm,
            "max_sustained_spm": base.max_sustained_spm,
        },
    )
    out.warnings.extend(baseline_warnings(base))
    n_runs = f"{base.n_runs} run" + ("s" if base.n_runs != 1 else "")
    out.lines.append(
        f"baseline  {base.running_cadence_spm:.1f} spm  running cadence over {clock(base.running_time_s)} of "
        f"running in {n_runs}"
    )
    if abs(base.watch_avg_cadence_spm - base.running_cadence_spm) >= 1.0:
        out.lines.append(
            f"          (the watch average, {base.watch_avg_cadence_spm:.1f} spm, counts walk breaks and "
            "stops: not used)"
        )
    if speed_ms is None:
        return out
    sb = speed_baseline(model or speed_model_from_results(runs), speed_ms, base.running_cadence_spm)
    fit = sb.model.fit
    out.speed = {
        "speed_ms": sb.speed_ms,
        "speed_kmh": sb.speed_ms * 3.6,
        "pace_s_per_km": 1000.0 / sb.speed_ms,
        "cadence_at_speed_spm": sb.cadence_at_speed_spm,
        "se_spm": sb.se_spm,
        "slope_used_spm_per_ms": sb.slope_spm_per_ms,
        "used": sb.used,
        "reason": sb.reason,
        "fit": {
            "slope_spm_per_ms": fit.slope_spm_per_ms,
            "intercept_spm": fit.intercept_spm,
            "r2": fit.r2,
            "n_records": fit.n,
            "n_runs": sb.model.n_runs,
            "speed_p05_ms": sb.model.speed_p05_ms,
            "speed_p95_ms": sb.model.speed_p95_ms,
        },
    }
    st = sb.model.stats
    held = (
        f", held at {sb.slope_spm_per_ms:+.0f}"
        if sb.slope_spm_per_ms == sb.slope_spm_per_ms
        and abs(sb.slope_spm_per_ms - st.slope_spm_per_ms) > 0.05
        else ""
    )
    fit_text = (
        f"(line over {st.n_runs} run(s): {st.slope_spm_per_ms:+.1f} spm per m/s{held}, r2 {st.r2:.2f};"
        f" standard error {sb.se_spm:.1f} spm)"
        if st.n_runs and sb.se_spm == sb.se_spm
        else "(no usable line)"
    )
    if sb.used:
        out.baseline_spm = sb.baseline_spm
        out.source = "speed_fit"
        out.lines.append(f"at speed  {format_pace(speed_ms)}: your cadence is {sb.baseline_spm:.1f} spm")
        out.lines.append(f"          {fit_text}")
    else:
        out.warnings.append(
            TargetWarning(
                "weak_speed_fit",
                f"the cadence-vs-speed fit is not used: {sb.reason}; the target uses your plain "
                "running cadence instead",
            )
        )
        out.lines.append(f"at speed  {format_pace(speed_ms)}: line not used")
        out.lines.append(f"          {fit_text}")
    return out
