"""``cadence target``: the +5-10 % cadence target from a number or from runs, optionally at a speed."""

from __future__ import annotations

import click

from ._common import echo_json
from ._runs import as_number, clock, load_runs

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
    r"""Compute a cadence target: +5-10 % over your running cadence, in whole steps per minute.

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
    """
    from ..errors import ParameterError
    from ..target import (
        TargetWarning,
        baseline_from_results,
        format_pace,
        parse_increase,
        parse_speed_ms,
        speed_baseline,
        speed_model_from_results,
        target_range,
    )

    if speed and pace:
        raise ParameterError("give --speed or --pace, not both")
    try:
        inc = parse_increase(increase)
    except ParameterError as exc:
        raise ParameterError(f"--increase: {exc}") from None
    speed_ms = None
    if speed or pace:
        try:
            speed_ms = parse_speed_ms(speed or pace or "")
        except ParameterError as exc:
            raise ParameterError(f"{'--speed' if speed else '--pace'}: {exc}") from None

    number = as_number(baseline_or_runs)
    payload: dict[str, object] = {"schema_version": SCHEMA_VERSION}
    lines: list[str] = []
    extra_warnings: list[TargetWarning] = []
    if number is not None:
        if speed_ms is not None:
            raise ParameterError("--speed/--pace need runs to fit cadence against speed: give FIT files")
        rng = target_range(number, inc)
        payload.update(rng.to_dict(), baseline_source="given", runs=None, speed=None)
        lines.append(f"baseline  {rng.baseline_spm:g} spm (given)")
    else:
        runs = load_runs(baseline_or_runs)
        base = baseline_from_results(runs)
        baseline = base.running_cadence_spm
        source = "runs"
        speed_info = None
        n_runs = f"{base.n_runs} run" + ("s" if base.n_runs != 1 else "")
        lines.append(
            f"baseline  {baseline:.1f} spm  running cadence over {clock(base.running_time_s)} of running in "
            f"{n_runs}"
        )
        if abs(base.watch_avg_cadence_spm - baseline) >= 1.0:
            lines.append(
                f"          (the watch average, {base.watch_avg_cadence_spm:.1f} spm, counts walk breaks and "
                "stops: not used)"
            )
        if speed_ms is not None:
            sb = speed_baseline(speed_model_from_results(runs), speed_ms, baseline)
            fit = sb.model.fit
            speed_info = {
                "speed_ms": sb.speed_ms,
                "speed_kmh": sb.speed_ms * 3.6,
                "pace_s_per_km": 1000.0 / sb.speed_ms,
                "cadence_at_speed_spm": sb.cadence_at_speed_spm,
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
            fit_text = (
                f"fit over {sb.model.n_runs} run(s): {fit.slope_spm_per_ms:+.1f} spm per m/s, r2 {fit.r2:.2f}"
                if fit.n and fit.r2 == fit.r2
                else "no usable fit"
            )
            if sb.used:
                baseline = sb.baseline_spm
                source = "speed_fit"
                lines.append(
                    f"at speed  {format_pace(speed_ms)}: your cadence is {baseline:.1f} spm ({fit_text})"
                )
            else:
                extra_warnings.append(
                    TargetWarning(
                        "weak_speed_fit",
                        f"the cadence-vs-speed fit is not used: {sb.reason}; the target uses your plain "
                        "running cadence instead",
                    )
                )
                lines.append(f"at speed  {format_pace(speed_ms)}: fit not used ({fit_text})")
        rng = target_range(baseline, inc, max_sustained_spm=base.max_sustained_spm)
        payload.update(
            rng.to_dict(),
            baseline_source=source,
            runs={
                "files": list(base.sources),
                "n_runs": base.n_runs,
                "running_time_s": base.running_time_s,
                "running_cadence_spm": base.running_cadence_spm,
                "watch_avg_cadence_spm": base.watch_avg_cadence_spm,
                "max_sustained_spm": base.max_sustained_spm,
            },
            speed=speed_info,
        )
    warns = list(extra_warnings) + list(rng.warnings)
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
