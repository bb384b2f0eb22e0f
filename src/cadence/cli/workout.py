"""``cadence workout``: a FIT workout file with cadence targets from a metronome program, for the watch."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ._common import (
    echo_json,
    plan_band,
    plan_session_options,
    refuse_existing_outputs,
    resolve_plan_session,
    target_option,
    tolerance_option,
)

if TYPE_CHECKING:
    from ..coach.workouts import Workout

UNIT_CHOICES = ["strides", "steps"]
UNIT_HELP = (
    "Unit of the cadence targets in the file: strides/min (what running watches record and compare; "
    "the default) or steps/min (for tools that expect steps)."
)


@click.command()
@click.argument("program", required=False)
@plan_session_options(
    plan_help="A plan from `cadence plan --json`: the workout of its --session (program, tempo, tolerance).",
    session_help="The plan session (with --plan).",
)
@target_option(
    help="Target cadence (172) or band (168-176), steps per minute [default: each cued tempo +/- 3]."
)
@tolerance_option()
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=str),
    help="The .fit file to write.",
)
@click.option("--name", help='Workout name on the watch [default: "Cadence 172 spm"].')
@click.option(
    "--workout-cadence-unit",
    "unit_text",
    type=click.Choice(UNIT_CHOICES),
    default="strides",
    show_default=True,
    help=UNIT_HELP,
)
@click.option("--force", is_flag=True, help="Overwrite --output if it exists.")
@click.option("--json", "as_json", is_flag=True, help="Print the steps written as JSON.")
def workout(
    program: str | None,
    plan_path: str | None,
    session_no: int | None,
    target_text: str | None,
    tolerance_spm: float,
    output: str,
    name: str | None,
    unit_text: str,
    force: bool,
    as_json: bool,
) -> None:
    """Write a FIT workout for the watch from a metronome PROGRAM and a target band.

    The watch then alerts when your cadence leaves the band during the cued blocks, and stays quiet in
    the silent ones (faded feedback). The warm-up is a step without a target; repeats stay repeats.
    Copy the file to GARMIN/NewFiles on a Garmin watch (see docs/workouts.md).

    \b
    Examples:
      cadence workout '5m@silent, 5x(3m@172, 2m@silent)' --target 172 -o cadence172.fit
      cadence workout '10m@silent, 20m@168' --target 165-171 -o easy.fit --workout-cadence-unit steps
      cadence workout --plan plan.json --session 3 -o session3.fit
    """  # noqa: D301 - click needs the real \b (backspace) to keep the examples unwrapped
    session = resolve_plan_session(plan_path, session_no, instead=("PROGRAM", program))
    if session is not None:
        program = str(session["program"])
        target_text, tolerance_spm = plan_band(session, target_text, tolerance_spm)
        if name is None:
            pct = session.get("pct")
            what = "check" if session.get("kind") == "retention_check" else f"(+{pct:g} %)" if pct else ""
            name = f"{session_no:02d} Cadence {session['target_spm']:g} spm {what}".strip()
    if program is None:
        raise click.UsageError("give a PROGRAM (e.g. '5m@silent, 5x(3m@172, 2m@silent)') or --plan/--session")
    refuse_existing_outputs(output, force=force)
    from .._atomic import atomic_output
    from ..coach.band import TargetBand
    from ..coach.workouts import CadenceUnit, workout_fit_bytes, workout_from_program

    band = TargetBand.parse(target_text, tolerance_spm) if target_text is not None else None
    unit = CadenceUnit(unit_text)
    wkt = workout_from_program(program, band, name=name, unit=unit)
    data = workout_fit_bytes(wkt)
    with atomic_output(output, force=force, binary=True) as fh:
        fh.write(data)
    if as_json:
        echo_json(workout_json(wkt, output, len(data)))
        return
    click.echo(f"wrote {output}: {wkt.name!r}, {wkt.num_valid_steps} steps, {len(data)} bytes")
    for line in step_lines(wkt):
        click.echo(f"  {line}")


def step_lines(wkt: Workout) -> list[str]:
    """One line per workout step, for the terminal."""
    from .._timefmt import format_duration
    from ..coach.workouts import StepKind

    lines = []
    for i, s in enumerate(wkt.steps):
        length = "until lap" if s.duration_s is None else format_duration(s.duration_s)
        if s.kind is StepKind.REPEAT:
            lines.append(f"{i:>2}  repeat steps {s.repeat_from}-{i - 1} {s.repeat_count}x")
        elif s.kind is StepKind.CUED:
            assert s.band_spm is not None
            lines.append(
                f"{i:>2}  {length:>8}  {s.kind.value:<7} {s.target_low}-{s.target_high} "
                f"{wkt.cadence_unit.label} (band {s.band_spm[0]:g}-{s.band_spm[1]:g} spm)"
            )
        else:
            lines.append(f"{i:>2}  {length:>8}  {s.kind.value:<7} no target (no alert)")
    return lines


def workout_json(wkt: Workout, path: str, n_bytes: int) -> dict[str, object]:
    """The JSON summary of one written workout file."""
    return {
        "output": path,
        "bytes": n_bytes,
        "name": wkt.name,
        "program": wkt.program,
        "cadence_unit": wkt.cadence_unit.label,
        "duration_s": wkt.duration_s,
        "steps": [
            {
                "index": i,
                "kind": s.kind.value,
                "name": s.name,
                "duration_s": s.duration_s,
                "target_low": s.target_low,
                "target_high": s.target_high,
                "band_low_spm": s.band_spm[0] if s.band_spm else None,
                "band_high_spm": s.band_spm[1] if s.band_spm else None,
                "repeat_from": s.repeat_from,
                "repeat_count": s.repeat_count,
            }
            for i, s in enumerate(wkt.steps)
        ],
    }
