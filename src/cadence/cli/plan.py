"""``cadence plan``: a progression to a higher cadence, as a table, JSON or an iCalendar file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ._common import echo_json, refuse_existing_outputs, tolerance_option
from ._runs import resolve_baseline

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..coach.plan import Plan, PlanSession

SCHEMA_VERSION = 1


@click.command()
@click.argument("baseline_or_runs", nargs=-1, required=True, metavar="BASELINE_SPM | RUN...")
@click.option("--increase", default="7.5", show_default=True, help="Final increase in percent (one number).")
@click.option("--step", "step_pct", default=2.5, show_default=True, type=float, help="Increase per step, %.")
@click.option(
    "--start-date", help="Date of the first session, YYYY-MM-DD (default: today).", metavar="YYYY-MM-DD"
)
@click.option(
    "--sessions-per-week", default=3, show_default=True, type=int, help="Metronome sessions a week."
)
@click.option("--weeks-per-step", default=1, show_default=True, type=int, help="Weeks at each step, 1 or 2.")
@click.option("--minutes", "session_min", default=30, show_default=True, type=int, help="Session length.")
@tolerance_option(help="Band half-width (spm) for `cadence check`.")
@click.option("--speed", help="Plan from your cadence at this speed (fit over the runs): 12km/h, 3.3m/s.")
@click.option("--pace", help="Plan from your cadence at this pace (same as --speed): 5:00/km, 8:00/mi.")
@click.option("--no-retention-check", is_flag=True, help="Leave out the silent check run a month later.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON (schema: docs/targets.md).")
@click.option(
    "--ics",
    "ics_path",
    type=click.Path(dir_okay=False, path_type=str),
    help="Also write the sessions to this iCalendar (.ics) file.",
)
@click.option(
    "--time", "time_text", metavar="HH:MM", help="Time of day of the --ics events (default: all-day)."
)
@click.option(
    "--workouts",
    "workouts_dir",
    type=click.Path(file_okay=False, path_type=str),
    help="Also write one FIT workout per session (cadence targets for the watch) into this folder.",
)
@click.option(
    "--workout-cadence-unit",
    "unit_text",
    type=click.Choice(["strides", "steps"]),
    default="strides",
    show_default=True,
    help="Unit of the --workouts cadence targets: strides/min (what running watches record) or steps/min.",
)
@click.option(
    "--audio",
    "audio_dir",
    type=click.Path(file_okay=False, path_type=str),
    help="Also write each session's click track (warm-up, cued and silent blocks) into this folder.",
)
@click.option(
    "--audio-format",
    type=click.Choice(["mp3", "opus", "ogg", "flac", "wav"]),
    default="mp3",
    show_default=True,
    help="File type of the --audio tracks (MP3 plays on every phone).",
)
@click.option(
    "--announce",
    is_flag=True,
    help="In the --audio tracks: two rising beeps before the clicks come back, two falling when they stop.",
)
@click.option(
    "--force", is_flag=True, help="Overwrite the --ics, --workouts and --audio files if they exist."
)
def plan(
    baseline_or_runs: tuple[str, ...],
    increase: str,
    step_pct: float,
    start_date: str | None,
    sessions_per_week: int,
    weeks_per_step: int,
    session_min: int,
    tolerance_spm: float,
    speed: str | None,
    pace: str | None,
    no_retention_check: bool,
    as_json: bool,
    ics_path: str | None,
    time_text: str | None,
    workouts_dir: str | None,
    unit_text: str,
    audio_dir: str | None,
    audio_format: str,
    announce: bool,
    force: bool,
) -> None:
    """Plan a progression from your cadence (e.g. 160) or your runs to +7.5 %.

    Steps of about +2.5 % every week (or two), three metronome sessions a week. Each new tempo starts with
    the metronome on for the whole run, then alternates cued and silent blocks; the last step fades the
    cue out completely, and a silent check run a month later tells whether the new cadence stuck
    (after Willy et al. 2016). Each session has a metronome program and the `cadence check` command
    that scores it.

    \b
    Examples:
      cadence plan 160
      cadence plan run.fit --increase 10 --start-date 2026-01-05
      cadence plan 160 --ics cadence.ics
      cadence plan 160 --workouts watch/ --audio phone/ --announce
    """  # noqa: D301 - click needs the real \b (backspace) to keep the examples unwrapped
    refuse_existing_outputs(ics_path, force=force)  # before printing a plan it would not save
    from ..coach.plan import PlanOptions, check_command, make_plan, plan_ics
    from ..coach.target import parse_increase
    from ..errors import ParameterError

    try:
        low, high = parse_increase(increase)
    except ParameterError as exc:
        raise ParameterError(f"--increase: {exc}") from None
    if low != high:
        raise ParameterError(
            f"--increase {increase}: a plan climbs to one increase; give one number, e.g. 7.5"
        )
    if start_date:
        try:
            start = dt.date.fromisoformat(start_date)
        except ValueError:
            raise ParameterError(f"--start-date {start_date!r} must be a date like 2026-01-05") from None
        if not 1970 <= start.year <= 2200:  # a plan runs for months: date arithmetic must stay in range
            raise ParameterError(f"--start-date {start_date}: give a date between 1970 and 2200")
    else:
        start = dt.date.today()
    start_time = None
    if time_text:
        hh, _, mm = time_text.strip().partition(":")
        try:
            start_time = dt.time(int(hh), int(mm or 0))
        except ValueError:
            raise ParameterError(f"--time {time_text!r} must be a time of day like 07:00") from None
    try:
        options = PlanOptions(
            increase_pct=high,
            step_pct=step_pct,
            sessions_per_week=sessions_per_week,
            weeks_per_step=weeks_per_step,
            session_min=session_min,
            tolerance_spm=tolerance_spm,
            retention_check=not no_retention_check,
        )
    except ParameterError as exc:
        raise ParameterError(_as_typed(str(exc))) from None
    resolved = resolve_baseline(baseline_or_runs, speed, pace)
    source, files = resolved.source, list(resolved.runs["files"]) if resolved.runs else []
    p = make_plan(
        resolved.baseline_spm, options, start_date=start, max_sustained_spm=resolved.max_sustained_spm
    )
    workout_files = _session_paths(p, p.sessions, workouts_dir, ".fit", force=force)
    played = [s for s in p.sessions if s.cued_s > 0]  # a silent session has no click track to play
    if audio_dir:
        from ..audio.export import check_codec, default_fs_hz

        check_codec(f".{audio_format}", default_fs_hz(f"x.{audio_format}"))
    audio_files = _session_paths(p, played, audio_dir, f".{audio_format}", force=force)

    warns = list(resolved.warnings) + list(p.warnings)
    if as_json:
        echo_json(
            {
                "schema_version": SCHEMA_VERSION,
                "baseline_spm": p.baseline_spm,
                "baseline_source": source,
                "files": files,
                "increase_pct": options.increase_pct,
                "step_pct": options.step_pct,
                "final_target_spm": p.final_target_spm,
                "sessions_per_week": options.sessions_per_week,
                "tolerance_spm": options.tolerance_spm,
                "program_notation": "DURATION@SPM or DURATION@silent, comma-separated; Nx(...) repeats",
                "steps": [
                    {
                        "step": s.index,
                        "pct": s.pct,
                        "target_spm": s.target_spm,
                        "start_date": s.start_date.isoformat(),
                        "weeks": s.weeks,
                    }
                    for s in p.steps
                ],
                "sessions": [
                    {
                        "session": s.index,
                        "date": s.date.isoformat(),
                        "week": s.week,
                        "step": s.step,
                        "kind": s.kind,
                        "target_spm": s.target_spm,
                        "pct": s.pct,
                        "band_low_spm": s.target_spm - options.tolerance_spm,
                        "band_high_spm": s.target_spm + options.tolerance_spm,
                        "feedback": s.feedback.code,
                        "feedback_text": s.feedback.label,
                        "program": s.program,
                        "cued_s": s.cued_s,
                        "silent_s": s.silent_s,
                        "check": check_command(s, options.tolerance_spm),
                    }
                    for s in p.sessions
                ],
                "speed": resolved.speed,
                "warnings": [{"code": w.code, "message": w.message} for w in warns],
            }
        )
    else:
        training = [s for s in p.sessions if s.kind == "training"]
        if resolved.runs:
            click.echo("\n".join(resolved.lines))
        click.echo(
            f"Plan: {round(p.baseline_spm, 1):g} -> {p.final_target_spm} spm "
            f"(+{options.increase_pct:g} %) in "
            f"{len(p.steps)} step(s), {options.sessions_per_week} session(s) a week, "
            f"{training[0].date:%a %d %b %Y} to {training[-1].date:%a %d %b %Y}"
        )
        labels = [
            "retention check, no metronome" if s.kind == "retention_check" else s.feedback.label
            for s in p.sessions
        ]
        width = max(len(x) for x in labels)
        click.echo(
            f"{'#':>3}  {'date':<15} {'wk':>2}  {'step':>4}  {'tempo':>5}  {'feedback':<{width}}  program"
        )
        for s, what in zip(p.sessions, labels, strict=True):
            click.echo(
                f"{s.index:>3}  {s.date:%a %d %b %Y} {s.week:>2}  {s.step:>4}  {s.target_spm:>5}  "
                f"{what:<{width}}  {s.program}"
            )
        click.echo(
            "\nWarm up for 5 min at your own pace, then follow the program (tempo = steps per minute; silent "
            "= no clicks,\nkeep the same cadence). After each run: cadence check RUN.fit --target TEMPO "
            f"--tolerance {options.tolerance_spm:g} --program 'PROGRAM'"
        )
        for w in warns:
            click.echo(f"note: {w.message}")
    if ics_path:
        from .._atomic import atomic_output

        with atomic_output(ics_path, force=force, binary=True) as fh:
            fh.write(plan_ics(p, start_time=start_time))
        click.echo(f"wrote {ics_path} ({len(p.sessions)} events)", err=True)
    if workouts_dir:
        _write_workouts(p, workout_files, unit_text, force=force)
        click.echo(f"wrote {len(workout_files)} FIT workouts to {workouts_dir}", err=True)
    if audio_dir:
        _write_audio(p, played, audio_files, announce, force=force)
        skipped = len(p.sessions) - len(played)
        note = f" ({skipped} silent session(s) have no clicks to play)" if skipped else ""
        click.echo(f"wrote {len(audio_files)} click tracks to {audio_dir}{note}", err=True)


#: PlanOptions fields -> the options a user types
_OPTION_NAMES = {
    "increase_pct": "--increase",
    "step_pct": "--step",
    "sessions_per_week": "--sessions-per-week",
    "weeks_per_step": "--weeks-per-step",
    "session_min": "--minutes",
    "tolerance_spm": "--tolerance",
}


def _as_typed(message: str) -> str:
    """Name the options in an options error as the user typed them (``--sessions-per-week 9``)."""
    import re

    def option(m: re.Match[str]) -> str:
        return f"{_OPTION_NAMES[m.group(1)]} {m.group(2)}"

    return re.sub(rf"\b({'|'.join(_OPTION_NAMES)})=(\S+)", option, message)


def _session_paths(
    p: Plan, sessions: Sequence[PlanSession], folder: str | None, suffix: str, *, force: bool
) -> list[Path]:
    """One file per session in ``folder`` (made if missing), named to sort in order; checked before work."""
    if not folder:
        return []
    from ..coach.workouts import session_file_stem
    from ..errors import OutputPathError

    where = Path(folder)
    try:
        where.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputPathError(where, exc.strerror or str(exc)) from None
    paths = [where / f"{session_file_stem(s, len(p.sessions))}{suffix}" for s in sessions]
    refuse_existing_outputs(*paths, force=force)
    return paths


def _write_workouts(p: Plan, paths: list[Path], unit_text: str, *, force: bool) -> None:
    from .._atomic import atomic_output
    from ..coach.workouts import CadenceUnit, workout_fit_bytes, workout_from_session

    unit = CadenceUnit(unit_text)
    for s, path in zip(p.sessions, paths, strict=True):
        wkt = workout_from_session(s, p.options.tolerance_spm, n_sessions=len(p.sessions), unit=unit)
        with atomic_output(path, force=force, binary=True) as fh:
            fh.write(workout_fit_bytes(wkt))


def _write_audio(
    p: Plan, sessions: Sequence[PlanSession], paths: list[Path], announce: bool, *, force: bool
) -> None:
    from ..audio.announce import announced
    from ..audio.clicks import click_track
    from ..audio.export import default_fs_hz, write_click_track
    from ..coach.workouts import session_title

    album = f"Cadence plan {p.baseline_spm:.0f} -> {p.final_target_spm} spm"
    for s, path in zip(sessions, paths, strict=True):
        track = click_track(s.program, default_fs_hz(path))
        tags = {
            "title": session_title(s, len(p.sessions)),
            "album": album,
            "artist": "cadence",
            "tracknumber": f"{s.index}/{len(p.sessions)}",
            "date": s.date.isoformat(),
            "comment": f"{s.program} ({s.feedback.label})",
        }
        report = write_click_track(announced(track) if announce else track, path, force=force, tags=tags)
        size_mb = path.stat().st_size / 1e6
        click.echo(f"  {path.name}: {report.duration_s / 60:.0f} min, {size_mb:.1f} MB", err=True)
