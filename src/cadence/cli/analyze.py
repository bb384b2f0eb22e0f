"""``cadence analyze``: running cadence of FIT files and raw accelerometer CSV recordings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
)

if TYPE_CHECKING:
    import numpy as np

    from ..coach.band import TargetBand


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option(
    "--json", "as_json", is_flag=True, help="Print the results as JSON (schema: docs/json-schema.md)."
)
@click.option(
    "--series",
    "series_path",
    type=click.Path(dir_okay=False, path_type=str),
    help="Write the per-record series (file, session, t_s, cadence_spm, speed_ms, running) to this CSV.",
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False, path_type=str),
    help="Chart cadence, speed, walk breaks and a histogram to this .png/.svg (OUT-1.png... for several).",
)
@click.option(
    "--target",
    metavar="SPM|LOW-HIGH",
    help="Target step rate: 172 (= 169-175) or 168-176; reports the running time below, in and above it "
    "(and shades it on --plot).",
)
@click.option(
    "--steps",
    "steps_path",
    type=click.Path(dir_okay=False, path_type=str),
    help="Accelerometer input: write the detected step times to this file (a step_time_s header, then "
    "seconds from the start, one per line).",
)
@click.option("--force", is_flag=True, help="Overwrite the --series/--plot/--steps files if they exist.")
@click.option(
    "--units",
    "units_text",
    type=click.Choice(["metric", "imperial", "auto", "g", "m/s^2", "milli-g"]),
    default=None,
    help="metric (km, min/km) or imperial (mi, min/mi) [default: from the locale]; for an accelerometer "
    "CSV also its units: g, m/s^2, milli-g or auto (from the gravity magnitude, the default; a warning "
    "if the given ones disagree).",
)
@click.option(
    "--columns",
    metavar="T,X,Y,Z",
    help="Accelerometer CSV columns for time and the three axes, by name or by number from 0 "
    "(--columns 0,1,2,3 for a file without a header; time may be empty).",
)
@click.option(
    "--time-unit",
    type=click.Choice(["auto", "s", "ms", "us", "ns", "iso"]),
    default="auto",
    show_default=True,
    help="Accelerometer CSV time column unit.",
)
@click.option("--fs", "fs_hz", type=float, help="Accelerometer CSV sampling rate in Hz (resample to it).")
@click.option(
    "--run-threshold",
    "run_threshold_spm",
    type=float,
    default=140.0,
    show_default=True,
    help="Step rate (spm) at or above which a record counts as running.",
)
@click.option(
    "--all-sessions", is_flag=True, help="Also describe non-running sessions (cycling, swimming...)."
)
@batch_options
@tz_option
def analyze(
    paths: tuple[str, ...],
    as_json: bool,
    series_path: str | None,
    plot_path: str | None,
    target: str | None,
    force: bool,
    run_threshold_spm: float,
    all_sessions: bool,
    steps_path: str | None = None,
    units_text: str | None = None,
    columns: str | None = None,
    time_unit: str = "auto",
    fs_hz: float | None = None,
    jobs: int | None = None,
    no_cache: bool = False,
    cache_dir: str | None = None,
    scheduler: str | None = None,
    tz_text: str | None = None,
) -> None:
    """Running cadence of the activities in PATHS (FIT, TCX, GPX, .gz, zips and exports, or folders).

    Reports the running cadence over the time actually spent running (pauses, stops and walk breaks
    excluded) next to the watch's own session average, which includes them. Multisport files are analyzed
    session by session; a triathlon reports its run legs.

    Folders give their FIT files and their accelerometer CSV files (recognised by the header; other CSV
    files are skipped). Accelerometer CSV files (phone, watch or sensor exports: plain t,ax,ay,az, phyphox,
    Sensor Logger, Physics Toolbox) are read too: steps are detected from the raw signal for any placement
    (docs/accelerometer.md) and summarized the same way, with the number of steps added.

    \b
    Examples:
      cadence analyze run.fit
      cadence analyze phone_walk.csv --steps steps.csv
      cadence analyze ~/runs/ --json > runs.json
      cadence analyze run.fit --series run.csv
      cadence analyze run.fit --plot run.png --target 168-176
    """
    import os
    import warnings

    from .._cache import default_cache_dir
    from ..errors import CadenceError, NotActivityError, ParameterError
    from ..gait.analysis import AnalysisOptions
    from ..pipeline import analyze_file, describe_skipped, scan_activity_files, skipped_kind
    from ..readers.accel_csv import AccelReadOptions
    from ..report.batch import analyze_job
    from ..report.document import SCHEMA_VERSION, band_dict, result_to_dict
    from ..report.text import format_summary

    try:
        options = AnalysisOptions(run_threshold_spm=run_threshold_spm)
    except ParameterError as exc:
        raise click.BadParameter(str(exc), param_hint="--run-threshold") from None
    band = _plot_options(plot_path, target)  # checked before the (long) analysis
    tz = resolve_tz(tz_text)
    distance_units = resolve_units(units_text if units_text in ("metric", "imperial") else None)
    units = units_text if units_text in ("g", "m/s^2", "milli-g") else "auto"
    # before the (long) analysis; with several sessions --plot writes run-1.png, run-2.png..., which
    # write_activity_plots checks again before it writes any
    refuse_existing_outputs(series_path, steps_path, plot_path, force=force)

    cols = None
    if columns is not None:
        cols = tuple(c.strip() for c in columns.split(","))
        if len(cols) != 4:
            raise click.BadParameter("give 4 names: time,x,y,z (time may be empty)", param_hint="--columns")
    try:
        accel = AccelReadOptions(units=units, columns=cols, time_unit=time_unit, fs_hz=fs_hz)  # type: ignore[arg-type]
    except ParameterError as exc:
        raise click.BadParameter(str(exc)) from None

    scan = scan_activity_files(paths)
    files = list(scan.files)
    if not files and not scan.skipped:
        raise click.UsageError(f"no activity files found in {', '.join(paths)}")
    for member, why in scan.refused:
        click.echo(f"cadence: skipped: {member}: {why}", err=True)
    not_activities: dict[str, int] = dict(scan.skipped)
    explicit = set(paths)

    if not (series_path or steps_path or plot_path):  # the reports alone: parallel, cached by content
        cdir = None if no_cache else (cache_dir or os.fspath(default_cache_dir()))
        job = analyze_job(options, accel, tz=tz, units=distance_units, band=band)
        _analyze_reports(files, job, cdir, jobs, scheduler, as_json, all_sessions, not_activities, explicit)
        return
    if scheduler:
        raise click.UsageError("--scheduler gives the reports only: not with --series, --plot or --steps")

    results = []
    errors: list[dict[str, str]] = []
    for path in files:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                file_results = analyze_file(path, options, accel=accel)
            noted = {n for r in file_results for n in r.summary.notes} if not as_json else set()
            for w in caught:
                if str(w.message) not in noted:  # a note in the summary is said once, there
                    click.echo(f"cadence: warning: {w.message}", err=True)
        except NotActivityError as exc:
            if path in explicit:  # named on its own: an input error (found in a folder: counted)
                click.echo(f"cadence: error: {exc}", err=True)
                errors.append({"file": path, "error": str(exc)})
            else:
                kind = skipped_kind(exc)
                not_activities[kind] = not_activities.get(kind, 0) + 1
            continue
        except CadenceError as exc:
            click.echo(f"cadence: error: {exc}", err=True)
            errors.append({"file": path, "error": str(exc)})
            continue
        if not file_results:
            click.echo(f"cadence: warning: {path}: no records in this activity", err=True)
        results.extend(file_results)

    shown = [r for r in results if all_sessions or r.trace.is_step_sport]
    skipped = [r for r in results if not (all_sessions or r.trace.is_step_sport)]
    if as_json:
        echo_json(
            {
                "schema_version": SCHEMA_VERSION,
                "activities": [{**result_to_dict(r, tz), **band_dict(r, band)} for r in shown],
                "skipped_sessions": [
                    {"file": r.trace.source, "session_index": r.trace.session_index, "sport": r.trace.sport}
                    for r in skipped
                ],
                "errors": errors,
                "skipped_files": not_activities,
            }
        )
    else:
        for i, r in enumerate(shown):
            if i:
                click.echo()
            click.echo(format_summary(r, tz=tz, units=distance_units, band=band))
        if skipped:
            by_file: dict[str, list[str]] = {}
            for r in skipped:
                by_file.setdefault(r.trace.source, []).append(r.trace.sport)
            for src, sports in by_file.items():
                click.echo(f"\n{src}: skipped {len(sports)} non-running session(s): {', '.join(sports)}")
    if not_activities:
        click.echo(f"cadence: {describe_skipped(not_activities)}", err=True)

    if series_path:
        _write_series(series_path, shown, force)
    if steps_path:
        _write_steps(steps_path, results, force)
    if plot_path:
        from ..report.charts import write_activity_plots

        for written in write_activity_plots(
            plot_path,
            [r for r in shown if r.trace.is_step_sport],
            band,
            force=force,
            tz=tz,
            units=distance_units,
        ):
            click.echo(f"wrote {written}", err=True)
    if not results:  # exit 1 only when no activity was read; errors beside read ones are listed above
        if not errors:
            click.echo("cadence: error: no activity was read", err=True)
        raise click.exceptions.Exit(EXIT_INPUT)


def _analyze_reports(
    files: list[str],
    job: Any,
    cache_dir: str | None,
    jobs: int | None,
    scheduler: str | None,
    as_json: bool,
    all_sessions: bool,
    not_activities: dict[str, int],
    explicit: set[str],
) -> None:
    """Analyze ``files`` in parallel (cached by content, like ``history``) and print them in file order."""
    import sys

    from .._cache import run_cached
    from ..pipeline import describe_skipped
    from ..report.document import SCHEMA_VERSION

    with byte_progress(is_tty(sys.stderr) and len(files) > 1) as progress:
        reports, _ = run_cached(
            job, files, cache_dir=cache_dir, jobs=jobs, progress=progress, scheduler=scheduler
        )
    errors: list[dict[str, str]] = []
    shown: list[Any] = []
    skipped: list[dict[str, Any]] = []
    for rep in reports:
        for w in rep.warnings:
            # a warning the summary prints as a note is said once, there (text output only)
            if as_json or not any(str(w) in sess.text for sess in rep.sessions):
                click.echo(f"cadence: warning: {w}", err=True)
        if rep.skipped is not None and rep.file not in explicit:  # not an activity, found in a folder
            not_activities[rep.skipped] = not_activities.get(rep.skipped, 0) + 1
            continue
        if rep.error is not None:
            click.echo(f"cadence: error: {rep.error}", err=True)
            errors.append({"file": rep.file, "error": rep.error})
            continue
        if not rep.sessions:
            click.echo(f"cadence: warning: {rep.file}: no records in this activity", err=True)
        for s in rep.sessions:
            if all_sessions or s.is_step_sport:
                shown.append(s)
            else:
                doc = s.document
                skipped.append({k: doc[k] for k in ("file", "session_index", "sport")})
    if as_json:
        echo_json(
            {
                "schema_version": SCHEMA_VERSION,
                "activities": [s.document for s in shown],
                "skipped_sessions": skipped,
                "errors": errors,
                "skipped_files": not_activities,
            }
        )
    else:
        for i, s in enumerate(shown):
            if i:
                click.echo()
            click.echo(s.text)
        by_file: dict[str, list[str]] = {}
        for sk in skipped:
            by_file.setdefault(sk["file"], []).append(sk["sport"])
        for src, sports in by_file.items():
            click.echo(f"\n{src}: skipped {len(sports)} non-running session(s): {', '.join(sports)}")
    if not_activities:
        click.echo(f"cadence: {describe_skipped(not_activities)}", err=True)
    n_read = sum(1 for r in reports if r.error is None)
    if n_read == 0:  # exit 1 only when no activity was read; errors beside read ones are listed above
        if not errors:
            click.echo("cadence: error: no activity was read", err=True)
        raise click.exceptions.Exit(EXIT_INPUT)


def _plot_options(plot_path: str | None, target: str | None) -> TargetBand | None:
    """Validate ``--plot``'s suffix and parse ``--target`` (a usage error, exit 2, if either is wrong)."""
    from ..coach.band import TargetBand
    from ..errors import ParameterError
    from ..report.charts import plot_format

    try:
        if plot_path:
            plot_format(plot_path)
        return TargetBand.parse(target) if target else None
    except ParameterError as exc:
        raise click.BadParameter(str(exc), param_hint="--plot/--target") from None


def _csv_field(text: str) -> str:
    """Quote ``text`` for a CSV cell when it holds a comma, quote or line break (a file path may)."""
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _column_text(values: np.ndarray) -> np.ndarray:
    import numpy as np

    text = np.char.mod("%.6g", np.asarray(values, dtype=float))
    return np.where(np.isfinite(values), text, "")


def _write_series(path: str, results: list, force: bool) -> None:
    """Write the per-record series of ``results`` to ``path`` as CSV (vectorized formatting, atomic write)."""
    import numpy as np

    from .._atomic import atomic_output
    from ..report.document import series_columns

    with atomic_output(path, force=force) as fh:
        fh.write("file,session_index,t_s,cadence_spm,speed_ms,running\n")
        for r in results:
            cols = series_columns(r)
            if cols["t_s"].size == 0:
                continue
            prefix = _csv_field(r.trace.source) + f",{r.trace.session_index},"
            rows = np.char.add(prefix, _column_text(cols["t_s"]))
            for name in ("cadence_spm", "speed_ms", "running"):
                rows = np.char.add(np.char.add(rows, ","), _column_text(cols[name]))
            fh.write("\n".join(rows.tolist()) + "\n")
    click.echo(f"wrote {path}", err=True)


def _write_steps(path: str, results: list, force: bool) -> None:
    """Write the step times of the one accelerometer result to ``path`` (seconds, one per line)."""
    import numpy as np

    from .._atomic import atomic_output

    with_steps = [r for r in results if r.steps is not None]
    if len(with_steps) != 1:
        raise click.UsageError(
            f"--steps needs exactly one accelerometer recording among the inputs, got {len(with_steps)}"
        )
    times = with_steps[0].steps.step_times_s
    with atomic_output(path, force=force) as fh:
        fh.write("step_time_s\n")  # seconds from the start of the recording, one step per line
        if times.size:
            fh.write("\n".join(np.char.mod("%.3f", times).tolist()) + "\n")
    click.echo(f"wrote {path} ({times.size} steps)", err=True)
