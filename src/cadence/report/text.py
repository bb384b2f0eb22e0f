"""The readable text summary of an analysis (pure: returns text, never prints)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from .._timefmt import UNIT_M, UNIT_NAME, format_duration, format_local, format_pace, local_time
from ..coach.band import TargetBand
from ..gait.analysis import KmSplit, LapSummary, time_in_band_s
from ..pipeline import ActivityResult
from .document import step_confidence

__all__ = ["format_summary"]


def _f(value: float, fmt: str = ".1f", unit: str = "") -> str:
    return f"{value:{fmt}}{unit}" if math.isfinite(value) else "-"


def start_text(result: ActivityResult, tz: dt.tzinfo | None = None) -> str:
    """Return the start on the local clock with its offset (``"Tue 07 Jan 2020 11:33 UTC+13:00"``)."""
    tr = result.trace
    if tr.start_time is None:
        return ""
    local, source = local_time(tr.start_time, tr.utc_offset_s, tz)
    return format_local(local) + ("" if source == "file" else f" ({source})")


#: the lap table's dynamics columns: key, heading, format, factor from the key's unit
_LAP_DYNAMICS = (
    ("stance_time_ms", "GCT ms", "6.0f", 1.0),
    ("stance_time_balance_pct", "bal %L", "6.1f", 1.0),
    ("vertical_oscillation_mm", "VO cm", "5.1f", 0.1),
    ("vertical_ratio_pct", "VR %", "5.1f", 1.0),
    ("power_w", "pow W", "5.0f", 1.0),
)


def dynamics_lines(dynamics: dict[str, float], sources: dict[str, str]) -> list[str]:
    """Return the running dynamics as summary lines with their source (step length has its own line)."""
    from ..datatypes import RUNNING_DYNAMICS

    lines = []
    for key, value in dynamics.items():
        if key == "step_length_m" or key not in RUNNING_DYNAMICS:
            continue
        label, unit = RUNNING_DYNAMICS[key]
        if key == "vertical_oscillation_mm":
            value, unit = value / 10.0, "cm"
        fmt = ".0f" if unit in ("ms", "W") else ".1f"
        src = sources.get(key, "")
        lines.append(
            f"    {label:<28s} {value:6{fmt}} {unit}" + (f"  ({src})" if src and src != "watch" else "")
        )
    if lines:
        lines.insert(0, "  running dynamics (running time only):")
    return lines


def lap_table(laps: tuple[LapSummary, ...], units: str = "metric") -> list[str]:
    """Return one line per lap: time, distance, pace, running cadence, step length, dynamics present."""
    unit = UNIT_NAME[units]
    extra = [c for c in _LAP_DYNAMICS if any(c[0] in lap.dynamics for lap in laps)]
    head = f"  {'lap':>3s}  {'time':>7s}  {unit:>5s}  {'/' + unit:>5s}  {'spm':>3s}  {'step':>4s}" + "".join(
        f"  {h}" for _, h, _, _ in extra
    )
    lines = [head]
    for lap in laps:
        row = (
            f"  {lap.lap:>3d}  {format_duration(lap.time_s):>7s}"
            f"  {_f(lap.distance_m / UNIT_M[units], '5.2f'):>5s}"
            f"  {format_duration(lap.pace_s_per_km * UNIT_M[units] / 1000):>5s}"
            f"  {_f(lap.running_cadence_spm, '3.0f'):>3s}  {_f(lap.step_length_m, '4.2f'):>4s}"
        )
        for key, h, fmt, factor in extra:
            value = lap.dynamics.get(key, math.nan) * factor
            row += f"  {_f(value, fmt):>{len(h)}s}"
        lines.append(row)
    return lines


def _laps_are_splits(laps: tuple[LapSummary, ...], unit_m: float) -> bool:
    """Whether the laps are the watch's auto-laps of one unit (the split table would repeat them)."""
    whole = [lap.distance_m for lap in laps[:-1]]
    return len(laps) > 1 and all(abs(d - unit_m) <= 0.01 * unit_m for d in whole)


def distance_splits(result: ActivityResult, unit_m: float) -> tuple[KmSplit, ...]:
    """Return the splits of ``result`` every ``unit_m`` metres (e.g. a mile) instead of every kilometre."""
    from ..gait.analysis import distance_splits as splits_by

    return splits_by(result.trace, result.summary, unit_m)


def format_summary(
    result: ActivityResult,
    *,
    splits: bool = True,
    histogram: bool = True,
    tz: dt.tzinfo | None = None,
    units: str = "metric",
    band: TargetBand | None = None,
) -> str:
    """Return a readable multi-line summary of one activity/session (at most 80 columns but the file name).

    Times are on the local clock: the file's own offset (FIT), else ``tz``, else the machine's zone.
    ``units`` is ``"metric"`` (km, min/km) or ``"imperial"`` (miles, min/mi). With ``band``, the running
    time below, in and above it ends the summary.
    """
    tr, s = result.trace, result.summary
    name = tr.source
    head = f"{name}"
    if tr.session_index or tr.sport not in ("running",):
        head += f" [session {tr.session_index + 1}: {tr.sport}]"
    details = ", ".join(x for x in (tr.device_name, start_text(result, tz)) if x)
    lines = [head] + ([f"  {details}"] if details else [])
    if not tr.is_step_sport:
        rpm = tr.device.avg_pedal_cadence_rpm
        extra = f"; pedal cadence {rpm:.0f} rpm (not a step rate)" if math.isfinite(rpm) else ""
        lines.append(f"  {tr.sport} session, {format_duration(s.duration_s)}{extra}: no step rate to analyze")
        return "\n".join(lines)
    lines.append(
        f"  duration {format_duration(s.duration_s)}  timer {format_duration(s.timer_time_s)}"
        f"  paused {format_duration(s.paused_time_s)}"
        f"  distance {_f(s.distance_m / UNIT_M[units], '.2f', ' ' + UNIT_NAME[units])}"
    )
    if result.steps is not None:
        conf = step_confidence(result)
        lines.append(
            f"  steps {result.steps.n_steps} detected from the accelerometer"
            + (f" (regularity {conf:.2f})" if conf is not None and math.isfinite(conf) else "")
        )
    lines.append(
        f"  running {format_duration(s.running_time_s)}  walking {format_duration(s.walking_time_s)}"
        f"  stopped {format_duration(s.stopped_time_s)}"
        + (f"  no cadence reading {format_duration(s.no_cadence_time_s)}" if s.no_cadence_time_s >= 1 else "")
    )
    # an accelerometer recording has no watch: its "watch-style" average is the overall average
    avg_label = "overall average" if result.steps is not None else "watch average"
    if s.running_time_s <= 0:
        if not np.isfinite(tr.cadence_spm).any():
            lines.append("  no cadence data in this recording")
        else:
            lines.append(
                f"  no running found (walking cadence {_f(s.walking_cadence_spm, '.0f', ' spm')}; "
                f"{avg_label} {_f(s.watch_avg_cadence_spm, '.1f', ' spm')})"
            )
        lines.extend(f"  note: {n}" for n in s.notes)
        return "\n".join(lines)
    lines.append(f"  running cadence     {_f(s.running_cadence_spm, '6.1f')} spm   (running time only)")
    dev = s.device_avg_cadence_spm
    lines.append(
        f"  {avg_label:<19s} {_f(s.watch_avg_cadence_spm, '6.1f')} spm"
        "   (all timer time, walk breaks and stops)"
    )
    if math.isfinite(dev):
        lines.append(f"  {'':19s} {dev:6.1f} spm   (the file's own session average)")
    lines.append(
        f"  distribution        p10 {_f(s.cadence_p10_spm, '.0f')}  median {_f(s.cadence_median_spm, '.0f')}"
        f"  p90 {_f(s.cadence_p90_spm, '.0f')} spm;  best 60 s {_f(s.cadence_max_sustained_spm, '.0f')}"
    )
    lines.append(
        f"  drift               {_f(s.drift_spm, '+.1f')} spm  (first third {_f(s.first_third_cadence_spm)}"
        f" -> last third {_f(s.last_third_cadence_spm)})"
    )
    unit = UNIT_NAME[units]
    fit = s.cadence_vs_speed
    if math.isfinite(fit.slope_spm_per_ms):
        mid = (fit.speed_min_ms + fit.speed_max_ms) / 2
        lines.append(
            f"  cadence vs speed    {fit.slope_spm_per_ms:+.1f} spm per m/s, r2 {fit.r2:.2f}"
            f"  ({float(fit.cadence_at(mid)):.0f} spm at {format_pace(mid, units)} /{unit})"
        )
    source = {"watch": "measured by the watch", "speed and cadence": "from speed and cadence"}
    lines.append(
        f"  step length         {_f(s.step_length_m, '.2f', ' m')}"
        + (f"  ({source[s.step_length_source]})" if s.step_length_source in source else "")
    )
    lines.extend(dynamics_lines(s.dynamics, tr.dynamics_source))
    if histogram and s.histogram:
        total = sum(t for _, _, t in s.histogram)
        top = max(t for _, _, t in s.histogram)
        shown = [(lo, hi, t) for lo, hi, t in s.histogram if t / total >= 0.01]
        lines.append(
            f"  time in {shown[0][1] - shown[0][0]:.0f}-spm bins (running; bins under 1 % not shown):"
        )
        for lo, hi, t in shown:
            bar = "#" * max(1, int(round(t / top * 30)))
            lines.append(f"    {lo:3.0f}-{hi:3.0f}  {bar:<30s} {t / total * 100:4.1f} %")
    if splits and len(s.laps) > 1:
        lines.extend(lap_table(s.laps, units))
    split_rows = s.splits if units == "metric" else distance_splits(result, UNIT_M[units])
    if splits and split_rows and not _laps_are_splits(s.laps, UNIT_M[units]):
        lines.append(f"  {unit:>3s}  pace/{unit}  running cadence")
        for k in split_rows:
            whole = k.distance_m >= UNIT_M[units] - 0.5
            lines.append(
                f"  {k.km:>3d}  {format_duration(k.pace_s_per_km * UNIT_M[units] / 1000):>7s}"
                f"  {_f(k.running_cadence_spm, '.0f', ' spm')}"
                + ("" if whole else f"  (last {k.distance_m:.0f} m in {format_duration(k.time_s)})")
            )
    if band is not None:
        below, inside, above = time_in_band_s(s, band.low_spm, band.high_spm)
        total = below + inside + above
        pct = [100 * x / total if total > 0 else float("nan") for x in (below, inside, above)]
        lines.append(
            f"  target {band.low_spm:g}-{band.high_spm:g} spm: in band {format_duration(inside)}"
            f" ({pct[1]:.0f} %), below {pct[0]:.0f} %, above {pct[2]:.0f} %"
        )
    lines.extend(f"  note: {n}" for n in s.notes)
    return "\n".join(lines)
