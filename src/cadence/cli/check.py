"""``cadence check``: how much of a run was in the target band, per lap and in silent segments."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ._common import (
    echo_json,
    paint,
    plan_band,
    plan_session_options,
    resolve_plan_session,
    resolve_units,
    target_option,
    tolerance_option,
    units_option,
)
from ._runs import clock, load_runs

if TYPE_CHECKING:
    from ..coach.adherence import Adherence

SCHEMA_VERSION = 1


@click.command()
@click.argument("runs", nargs=-1, required=True, metavar="RUN...")
@target_option()
@tolerance_option()
@click.option(
    "--program",
    help="The session's metronome program (from `cadence plan`): its silent blocks are checked.",
)
@plan_session_options(
    plan_help="A plan from `cadence plan --json`: with --session, its tempo, tolerance and program are used.",
    session_help="The plan's session number (1-based) this run was.",
)
@click.option("--silent", "silent_text", help="Stretches run without the metronome: 10m-15m,20m-25m.")
@click.option(
    "--program-start",
    "program_start",
    default="0s",
    show_default=True,
    help="When the --program started, from the start of the recording (e.g. 2m30s).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (schema: docs/targets.md).")
@units_option
def check(
    runs: tuple[str, ...],
    target_text: str | None,
    tolerance_spm: float,
    program: str | None,
    plan_path: str | None,
    session_no: int | None,
    silent_text: str | None,
    program_start: str,
    as_json: bool,
    distance_units: str | None = None,
) -> None:
    """Show the share of running time within a cadence band: whole run, per lap, silent segments.

    Only running time counts (pauses, stops and walk breaks are left out). With --program or --silent,
    each stretch without the metronome is judged: the cadence held when its mean stayed at or above the
    band's low end. Times are from the start of the recording.

    \b
    Examples:
      cadence check run.fit --target 172
      cadence check run.fit --target 168-176 --json
      cadence check run.fit --target 168 --program '5m@silent, 5x(3m@168, 2m@silent)'
      cadence plan 160 --json > plan.json; cadence check run.fit --plan plan.json --session 3
    """  # noqa: D301 - click needs the real \b (backspace) to keep the examples unwrapped
    from .._timefmt import parse_duration_s
    from ..coach.adherence import check_adherence, parse_time_ranges
    from ..coach.plan import ProgramSegment, parse_program
    from ..errors import ParameterError

    session = resolve_plan_session(plan_path, session_no, instead=("--program", program or None))
    if session is not None:
        program = str(session["program"])
        target_text, tolerance_spm = plan_band(session, target_text, tolerance_spm)
    segments: tuple[ProgramSegment, ...] = ()
    if program:
        try:
            segments = parse_program(program)
        except ParameterError as exc:
            raise ParameterError(f"--program: {exc}") from None
    try:
        t0 = parse_duration_s(program_start, allow_zero=True, what="--program-start")
    except ParameterError as exc:
        raise ParameterError(f"--program-start: {exc}") from None
    silent: list[tuple[float, float]] = [
        (t0 + s.start_s, t0 + s.end_s) for s in segments if s.role == "silent"
    ]
    cued: list[tuple[float, float]] = [(t0 + s.start_s, t0 + s.end_s) for s in segments if s.role == "cued"]
    if silent_text:
        try:
            silent.extend(parse_time_ranges(silent_text))
        except ParameterError as exc:
            raise ParameterError(f"--silent: {exc}") from None

    if target_text is None:
        tempos = sorted({s.tempo_bpm for s in segments if s.tempo_bpm is not None})
        if len(tempos) != 1:
            raise ParameterError("--target is needed (e.g. --target 172 or --target 168-176)")
        target_text = f"{tempos[0]:g}"
    from ..coach.band import TargetBand

    band = TargetBand.parse(target_text, tolerance_spm)
    low, high = band.low_spm, band.high_spm
    results = load_runs(runs)
    checks = [check_adherence(r, low, high, silent, cued) for r in results]

    if as_json:
        echo_json(
            {
                "schema_version": SCHEMA_VERSION,
                "low_spm": low,
                "high_spm": high,
                "runs": [
                    {
                        "file": c.source,
                        "session_index": c.session_index,
                        **c.overall.to_dict(),
                        "running_dynamics": dict(r.summary.dynamics),
                        "step_length_m": r.summary.step_length_m,
                        "step_length_source": r.summary.step_length_source or None,
                        "laps": [{**lap.to_dict(), **_lap_extra(r, k)} for k, lap in enumerate(c.laps)],
                        "silent_segments": [s.to_dict() for s in c.silent],
                        "silent_held": c.n_held,
                        "silent_judged": c.n_judged,
                        "cued_cadence_spm": c.cued_cadence_spm,
                    }
                    for c, r in zip(checks, results, strict=True)
                ],
            }
        )
        return
    units = resolve_units(distance_units)
    for i, (c, r) in enumerate(zip(checks, results, strict=True)):
        if i:
            click.echo()
        echo_adherence(c, r, units)


def echo_adherence(c: Adherence, result: object = None, units: str = "metric") -> None:
    """Print one run's adherence the way ``cadence check`` does (``cadence live`` ends with it too).

    With the analyzed ``result``, its running dynamics and each lap's pace (in ``units``) are shown too.
    """
    from .._timefmt import UNIT_M, UNIT_NAME, format_duration

    low, high = c.low_spm, c.high_spm
    o = c.overall
    click.echo(f"{c.source}" + (f"  (session {c.session_index})" if c.session_index else ""))
    click.echo(f"  band {low:g}-{high:g} spm   running {clock(o.running_time_s)} at {o.cadence_spm:.1f} spm")
    click.echo(
        "  "
        + paint(f"in band {o.in_band_pct:5.1f} %", "in")
        + "   "
        + paint(f"below {o.below_pct:5.1f} %", "below")
        + "   "
        + paint(f"above {o.above_pct:5.1f} %", "above")
    )
    if result is not None:
        from ..report.text import dynamics_lines

        summary, trace = result.summary, result.trace  # type: ignore[attr-defined]
        for line in dynamics_lines(summary.dynamics, trace.dynamics_source):
            click.echo(line)
    if c.laps:
        head = f"{'running':>8} {'spm':>6} {'below':>6} {'in band':>7} {'above':>6}"
        unit = UNIT_NAME[units]
        click.echo(f"  {'lap':<4} {'start':>7} {'/' + unit:>6} {head}")
        for k, lap in enumerate(c.laps):
            extra = _lap_extra(result, k) if result is not None else {}
            pace = float(extra.get("pace_s_per_km", float("nan"))) * UNIT_M[units] / 1000  # type: ignore[arg-type]
            click.echo(
                f"  {lap.label[4:]:<4} {clock(lap.start_s):>7} {format_duration(pace):>6} " + _row(lap)
            )
    if c.silent:
        click.echo("  without the metronome:")
        click.echo(f"  {'segment':<17} {'running':>8} {'spm':>6} {'below':>6} {'in band':>7} {'above':>6}")
        for s in c.silent:
            verdict = {True: "held", False: "dropped", None: "too little running to tell"}[s.held]
            click.echo(f"  {s.share.label:<17} " + _row(s.share) + f"  {verdict}")
        cued_txt = (
            f"; {c.cued_cadence_spm:.1f} spm with the metronome"
            if c.cued_cadence_spm == c.cued_cadence_spm
            else ""
        )
        click.echo(f"  held in {c.n_held} of {c.n_judged} silent segments{cued_txt}")


def _lap_extra(result: object, k: int) -> dict[str, object]:
    """Lap ``k``'s pace and running dynamics from the analysis (the same laps as the check's)."""
    laps = {lap.lap: lap for lap in result.summary.laps}  # type: ignore[attr-defined]
    lap = laps.get(k + 1)
    if lap is None:
        return {}
    return {
        "distance_m": lap.distance_m,
        "pace_s_per_km": lap.pace_s_per_km,
        "step_length_m": lap.step_length_m,
        "running_dynamics": dict(lap.dynamics),
    }


def _row(share: object) -> str:
    from ..coach.adherence import BandShare

    assert isinstance(share, BandShare)
    if share.running_time_s <= 0:
        return f"{clock(0):>8} {'-':>6} {'-':>6} {'-':>7} {'-':>6}"
    return (
        f"{clock(share.running_time_s):>8} {share.cadence_spm:6.1f} "
        + paint(f"{share.below_pct:5.1f}%", "below")
        + " "
        + paint(f"{share.in_band_pct:6.1f}%", "in")
        + " "
        + paint(f"{share.above_pct:5.1f}%", "above")
    )
