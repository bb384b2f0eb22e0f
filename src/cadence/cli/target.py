"""``cadence target``: the +5-10 % cadence target from a number or from runs, optionally at a speed."""

from __future__ import annotations

import click

from ._common import echo_json
from ._runs import resolve_baseline

SCHEMA_VERSION = 1


@click.command()
@click.argument("baseline_or_runs", nargs=-1, required=True, metavar="BASELINE_SPM | RUN...")
@click.option(
    "--increase",
    default="5-10",
    show_default=True,
    help="Increase in percent: a range (5-10, 5-7.5) or one number (7.5).",
)
@click.option("--speed", help="Target at this speed, from your cadence-vs-speed fit: 12km/h, 3.3m/s, 7.5mph.")
@click.option("--pace", help="Target at this pace (same as --speed): 5:00/km, 8:00/mi.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (schema: docs/targets.md).")
def target(
    baseline_or_runs: tuple[str, ...], increase: str, speed: str | None, pace: str | None, as_json: bool
) -> None:
    """Compute a cadence target: +5-10 % over your running cadence, in whole steps per minute.

    Give your cadence (e.g. 160) or one or more runs (FIT files or folders): the baseline is then the
    running cadence over all their running time, never the watch's average, which walk breaks and stops
    pull down. With --speed or --pace the baseline is your own cadence at that speed, from the
    cadence-vs-speed fit over the runs (e.g. for a treadmill session); a weak fit falls back to the plain
    baseline and says why.

    \b
    Examples:
      cadence target 160
      cadence target run.fit --increase 5-7.5
      cadence target runs/ --pace 5:30/km --json
    """  # noqa: D301 - click needs the real \b (backspace) to keep the examples unwrapped
    from ..coach.target import parse_increase, target_range
    from ..errors import ParameterError

    try:
        inc = parse_increase(increase)
    except ParameterError as exc:
        raise ParameterError(f"--increase: {exc}") from None
    resolved = resolve_baseline(baseline_or_runs, speed, pace)
    rng = target_range(resolved.baseline_spm, inc, max_sustained_spm=resolved.max_sustained_spm)
    payload: dict[str, object] = {"schema_version": SCHEMA_VERSION}
    payload.update(rng.to_dict(), baseline_source=resolved.source, runs=resolved.runs, speed=resolved.speed)
    lines = list(resolved.lines)
    warns = list(resolved.warnings) + list(rng.warnings)
    payload["warnings"] = [{"code": w.code, "message": w.message} for w in warns]
    if as_json:
        echo_json(payload)
        return
    pct = (
        f"+{rng.low_pct:g} %" if rng.low_pct == rng.high_pct else f"+{rng.low_pct:g} % to +{rng.high_pct:g} %"
    )
    band = f"{rng.low_spm}" if rng.low_spm == rng.high_spm else f"{rng.low_spm}-{rng.high_spm}"
    lines.append(f"target    {band} spm  ({pct}; whole steps, rounded half up)")
    if rng.low_spm != rng.high_spm:
        lines.append(
            f"          one metronome tempo for the band: {rng.mid_spm} bpm; build up with `cadence plan`"
        )
    for w in warns:
        lines.append(f"note      {w.message}")
    click.echo("\n".join(lines))
