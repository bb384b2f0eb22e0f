"""``cadence history``: one row per run over a folder of activities, weekly means and the trend."""

from __future__ import annotations

import math
import os
import sys
from typing import Any

import click

from ._common import (
    EXIT_INPUT,
    batch_options,
    byte_progress,
    echo_json,
    is_tty,
    refuse_existing_outputs,
    resolve_tz,
    resolve_units,
    tz_option,
    units_option,
)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option(
    "--target",
    "target_text",
    metavar="SPM|LOW-HIGH",
    help="Target step rate: 172 (= 169-175) or a range 168-176; adds the time on target per run and week.",
)
@click.option(
    "--tolerance",
    "tolerance_spm",
    type=float,
    default=3.0,
    show_default=True,
    help="Half-width of the band around a single --target, spm.",
)
@click.option(
    "--reference-speed",
    "--reference-pace",
    "reference_text",
    metavar="SPEED|PACE",
    default="3.0",
    show_default=True,
    help="Compare runs at this speed using each run's cadence-vs-speed line: m/s (3.0 = 5:33/km), or with a "
    "unit: 5:30/km, 8:50/mi, 11km/h.",
)
@click.option("--since", "since_text", metavar="YYYY-MM-DD", help="Only runs on or after this (local) date.")
@click.option("--until", "until_text", metavar="YYYY-MM-DD", help="Only runs on or before this (local) date.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print runs, weeks and trend as JSON (docs/history.md)."
)
@click.option(
    "--csv", "csv_path", type=click.Path(dir_okay=False, path_type=str), help="Write one row per run."
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False, path_type=str),
    help="Write the trend chart (.png/.svg).",
)
@click.option(
    "--include-walks", is_flag=True, help="Also count walking/hiking sessions that have running time."
)
@click.option("--force", is_flag=True, help="Overwrite the --csv/--plot files if they exist.")
@batch_options
@click.option(
    "--run-threshold",
    "run_threshold_spm",
    type=float,
    default=140.0,
    show_default=True,
    help="Step rate (spm) at or above which a record counts as running.",
)
@tz_option
@units_option
def history(
    paths: tuple[str, ...],
    target_text: str | None,
    tolerance_spm: float,
    reference_text: str,
    since_text: str | None,
    until_text: str | None,
    as_json: bool,
    csv_path: str | None,
    plot_path: str | None,
    include_walks: bool,
    force: bool,
    jobs: int | None,
    no_cache: bool,
    cache_dir: str | None,
    run_threshold_spm: float,
    scheduler: str | None = None,
    tz_text: str | None = None,
    distance_units: str | None = None,
) -> None:
    """Show running cadence run by run and week by week for every activity in PATHS (folders: recursively).

    Each run's cadence at the reference speed compares runs at different paces fairly. PATHS may be FIT,
    TCX or GPX files (plain or .gz), zips (Strava and Garmin Connect exports, zips inside zips) and folders.
    Files that cannot be read are listed with their reason and skipped; files that are not activities
    (settings, monitoring, workouts...) are counted in one line. The exit code is 0 when at least one
    activity was read, 1 when none was.
    Results are cached by file content, so a second run over the same folder is nearly instant.

    \b
    Examples:
      cadence history ~/runs/
      cadence history ~/runs/ --target 168-176 --plot trend.png
      cadence history ~/runs/ --json > history.json
    """  # noqa: D301 - \b is click's no-rewrap marker
    from ..coach.band import TargetBand
    from ..coach.history import build_history, collect_facts, default_cache_dir
    from ..errors import ParameterError
    from ..gait.analysis import AnalysisOptions
    from ..pipeline import scan_activity_files
    from ..report.charts import plot_format

    try:
        options = AnalysisOptions(run_threshold_spm=run_threshold_spm)
    except ParameterError as exc:
        raise click.BadParameter(str(exc), param_hint="--run-threshold") from None
    try:
        target = TargetBand.parse(target_text, tolerance_spm) if target_text else None
    except ParameterError as exc:
        raise click.BadParameter(str(exc), param_hint="--target/--tolerance") from None
    if plot_path:
        try:
            plot_format(plot_path)
        except ParameterError as exc:
            raise click.BadParameter(str(exc), param_hint="--plot") from None
    tz = resolve_tz(tz_text)
    units = resolve_units(distance_units)
    reference_speed_ms = _reference_speed(reference_text)
    since, until = _date(since_text, "--since"), _date(until_text, "--until")
    if since and until and since > until:
        raise click.BadParameter(f"--since {since} is after --until {until}", param_hint="--since/--until")
    refuse_existing_outputs(csv_path, plot_path, force=force)  # before the analysis, not after it
    scan = scan_activity_files(paths)
    files = list(scan.files)
    for member, why in scan.refused:
        click.echo(f"cadence: skipped: {member}: {why}", err=True)
    if not files and not scan.skipped:
        raise click.UsageError(f"no activity files found in {', '.join(paths)}")
    cdir = None if no_cache else (cache_dir or os.fspath(default_cache_dir()))

    with byte_progress(is_tty(sys.stderr) and len(files) > 1) as progress:
        outcomes, n_analyzed = collect_facts(
            files, options=options, cache_dir=cdir, jobs=jobs, progress=progress, scheduler=scheduler
        )
    h = build_history(
        outcomes,
        band=target,
        reference_speed_ms=reference_speed_ms,
        include_walks=include_walks,
        n_analyzed=n_analyzed,
        tz=tz,
        since=since,
        until=until,
        skipped_files=scan.skipped,
    )

    for e in h.errors:
        click.echo(f"cadence: skipped: {e.error}", err=True)
    if as_json:
        from ..coach.history import history_to_dict

        echo_json(history_to_dict(h))
        if h.skipped_files:
            from ..pipeline import describe_skipped

            click.echo(f"cadence: {describe_skipped(h.skipped_files)}", err=True)
    else:
        import shutil

        width = shutil.get_terminal_size().columns if is_tty() else None
        click.echo(format_history(h, units, width))
    if csv_path:
        import csv

        from .._atomic import atomic_output
        from ..coach.history import history_csv_rows

        with atomic_output(csv_path, force=force) as fh:
            csv.writer(fh, lineterminator="\n").writerows(history_csv_rows(h))
        click.echo(f"wrote {csv_path}", err=True)
    if plot_path:
        from ..report.charts import history_figure, save_figure

        save_figure(history_figure(h), plot_path, force=force)
        click.echo(f"wrote {plot_path}", err=True)
    if h.errors:
        click.echo(
            f"cadence: {len(h.errors)} of {h.n_files} files could not be read (listed above)", err=True
        )
    n_read = sum(bool(o.sessions) for o in outcomes)
    if n_read == 0:
        click.echo("cadence: no activity was read", err=True)
        raise click.exceptions.Exit(EXIT_INPUT)


def _reference_speed(text: str) -> float:
    """``--reference-speed``: plain m/s (1-8), or a speed or pace with its unit."""
    from ..coach.target import parse_speed_ms
    from ..errors import ParameterError

    try:
        value = float(text)
    except ValueError:
        try:
            value = parse_speed_ms(text)
        except ParameterError as exc:
            raise click.BadParameter(str(exc), param_hint="--reference-speed") from None
    if not (math.isfinite(value) and 1.0 <= value <= 8.0):
        raise click.BadParameter(f"{text!r} is not between 1 and 8 m/s", param_hint="--reference-speed")
    return value


def _date(text: str | None, option: str) -> Any:
    import datetime as dt

    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r}: expected a date YYYY-MM-DD", param_hint=option) from None


def _f(value: float, fmt: str) -> str:
    return format(value, fmt) if math.isfinite(value) else "-"


#: the dynamics columns history shows when some run has them: key, heading, format, factor
_DYN_COLUMNS = (("stance_time_ms", "GCT ms", "6.0f", 1.0), ("vertical_oscillation_mm", "VO cm", "5.1f", 0.1))


def format_history(h: Any, units: str = "metric", width: int | None = None) -> str:
    """Format the text report: one line per run, one per ISO week, and the trend.

    With ``width`` (a terminal's columns), a file name that would overflow is shortened from the left.
    """
    from pathlib import Path

    from .._timefmt import UNIT_M, UNIT_NAME, format_duration, format_pace
    from ..datatypes import RUNNING_DYNAMICS

    band = h.band
    ref = h.reference_speed_ms
    unit = UNIT_NAME[units]
    per_unit = UNIT_M[units]
    dyn = [c for c in _DYN_COLUMNS if any(c[0] in r.dynamics for r in h.runs)]
    lines = []
    at_ref = f"@{format_pace(ref, units)}/{unit}"
    head = f"{'date':10s}  {unit:>6s}  {'running':>8s}  {'cadence':>7s}  {at_ref:>8s}  {'step m':>6s}"
    head += "".join(f"  {c[1]}" for c in dyn)
    if band is not None:
        head += f"  {'on target':>9s}"
    lines.append(head + "  file")
    for r in h.runs:
        date = f"{r.start_time:%Y-%m-%d}" if r.start_time else "no date"
        line = (
            f"{date:10s}  {_f(r.distance_m / per_unit, '6.2f'):>6s}  {format_duration(r.running_time_s):>8s}"
            f"  {_f(r.running_cadence_spm, '7.1f'):>7s}  {_f(r.cadence_at_reference_spm, '8.1f'):>8s}"
            f"  {_f(r.step_length_m, '6.2f'):>6s}"
        )
        for key, name, fmt, factor in dyn:
            line += f"  {_f(r.dynamics.get(key, math.nan) * factor, fmt):>{len(name)}s}"
        if band is not None:
            line += f"  {_f(r.band_fraction * 100, '8.0f') + '%':>9s}"
        name = Path(r.file).name + (f" [{r.session_index + 1}]" if r.session_index else "")
        name += "" if r.sport == "running" else f" ({r.sport})"
        room = (width or 0) - len(line) - 2
        if width and len(name) > room >= 12:
            name = "…" + name[len(name) - room + 1 :]
        lines.append(f"{line}  {name}")
    if not h.runs:
        lines.append("(no runs found)")
    if h.weeks:
        lines.append("")
        wk_head = f"{'week':8s}  {'runs':>4s}  {unit:>6s}  {'running':>8s}  {'cadence':>7s}  {at_ref:>8s}"
        lines.append(wk_head + "".join(f"  {c[1]}" for c in dyn))
        for w in h.weeks:
            line = (
                f"{w.label:8s}  {w.runs:4d}  {_f(w.distance_m / per_unit, '6.1f'):>6s}"
                f"  {format_duration(w.running_time_s):>8s}"
                f"  {_f(w.running_cadence_spm, '7.1f'):>7s}  {_f(w.cadence_at_reference_spm, '8.1f'):>8s}"
            )
            for key, name, fmt, factor in dyn:
                line += f"  {_f(w.dynamics.get(key, math.nan) * factor, fmt):>{len(name)}s}"
            lines.append(line)
    t = h.trend
    if math.isfinite(t.running_cadence_spm_per_week):
        lines.append("")
        lines.append(f"trend over {t.n_weeks} weeks (per week):")
        lines.append(f"  running cadence {t.running_cadence_spm_per_week:+.2f} spm")
        if math.isfinite(t.cadence_at_reference_spm_per_week):
            slope = t.cadence_at_reference_spm_per_week
            lines.append(f"  cadence at {format_pace(ref, units)}/{unit} {slope:+.2f} spm")
        for key in [k for k in RUNNING_DYNAMICS if k in t.dynamics_per_week]:
            slope = t.dynamics_per_week[key]
            label, unit_name = RUNNING_DYNAMICS[key]
            lines.append(f"  {label} {slope:+.2f} {unit_name}")
    undated = sum(r.start_time is None for r in h.runs)
    extra = []
    if undated:
        extra.append(f"{undated} run(s) without a date are not in the weeks")
    if h.skipped:
        extra.append(f"{len(h.skipped)} session(s) skipped (not runs or duplicates; --json lists them)")
    extra.append(
        f"{h.n_files} files: {h.n_analyzed} analyzed, {h.n_from_cache} from cache, {len(h.errors)} failed"
    )
    if h.skipped_files:
        from ..pipeline import describe_skipped

        extra.append(describe_skipped(h.skipped_files))
    lines.append("")
    lines.extend(extra)
    return "\n".join(lines)
