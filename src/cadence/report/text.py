"""The readable text summary of an analysis (pure: returns text, never prints)."""

from __future__ import annotations

import math

import numpy as np

from .._timefmt import format_duration
from ..pipeline import ActivityResult
from .document import step_confidence

__all__ = ["format_summary"]

def _f(value: float, fmt: str = ".1f", unit: str = "") -> str:
    return f"{value:{fmt}}{unit}" if math.isfinite(value) else "-"


def format_summary(result: ActivityResult, *, splits: bool = True, histogram: bool = True) -> str:
    """Return a readable multi-line summary of one activity/session."""
    tr, s = result.trace, result.summary
    name = tr.source
    head = f"{name}"
    if tr.session_index or tr.sport not in ("running",):
        head += f" [session {tr.session_index + 1}: {tr.sport}]"
    details = ", ".join(
        x
        for x in (tr.device_name, tr.start_time.strftime("%Y-%m-%d %H:%M UTC") if tr.start_time else "")
        if x
    )
    lines = [head + (f"  ({details})" if details else "")]
    if not tr.is_step_sport:
        rpm = tr.device.avg_pedal_cadence_rpm
        extra = f"; pedal cadence {rpm:.0f} rpm (not a step rate)" if math.isfinite(rpm) else ""
        lines.append(f"  {tr.sport} session, {format_duration(s.duration_s)}{extra}: no step rate to analyze")
        return "\n".join(lines)
    lines.append(
        f"  duration {format_duration(s.duration_s)}  timer {format_duration(s.timer_time_s)}"
        f"  paused {format_duration(s.paused_time_s)}  distance {_f(s.distance_m / 1000, '.2f', ' km')}"
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
            lines.append("  no cadence recorded")
        else:
            lines.append(
                f"  no running found (walking cadence {_f(s.walking_cadence_spm, '.0f', ' spm')}; "
                f"{avg_label} {_f(s.watch_avg_cadence_spm, '.1f', ' spm')})"
            )
        lines.extend(f"  note: {n}" for n in s.notes)
        return "\n".join(lines)
    lines.append(f"  running cadence     {_f(s.running_cadence_spm, '6.1f')} spm   (running time only)")
    dev = s.device_avg_cadence_spm
    dev_txt = f"; the file's session average is {dev:.1f}" if math.isfinite(dev) else ""
    lines.append(
        f"  {avg_label:<19s} {_f(s.watch_avg_cadence_spm, '6.1f')} spm   (all timer time, walk breaks and "
        f"stops included{dev_txt})"
    )
    lines.append(
        f"  distribution        p10 {_f(s.cadence_p10_spm, '.0f')}  median {_f(s.cadence_median_spm, '.0f')}"
        f"  p90 {_f(s.cadence_p90_spm, '.0f')} spm;  best 60 s {_f(s.cadence_max_sustained_spm, '.0f')} spm"
    )
    lines.append(
        f"  drift               {_f(s.drift_spm, '+.1f')} spm  (first third {_f(s.first_third_cadence_spm)}"
        f" -> last third {_f(s.last_third_cadence_spm)})"
    )
    fit = s.cadence_vs_speed
    if math.isfinite(fit.slope_spm_per_ms):
        mid = (fit.speed_min_ms + fit.speed_max_ms) / 2
        lines.append(
            f"  cadence vs speed    {fit.slope_spm_per_ms:+.1f} spm per m/s, r2 {fit.r2:.2f}"
            f"  ({float(fit.cadence_at(mid)):.0f} spm at {mid:.1f} m/s)"
        )
    lines.append(f"  step length         {_f(s.step_length_m, '.2f', ' m')}")
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
    if splits and s.splits:
        lines.append("  km   time     pace/km  running cadence")
        for k in s.splits:
            lines.append(
                f"  {k.km:>3d}  {format_duration(k.time_s):>7s}  {format_duration(k.pace_s_per_km):>7s}"
                f"  {_f(k.running_cadence_spm, '.0f', ' spm')}"
                + ("" if k.distance_m >= 999.5 else f"  (last {k.distance_m:.0f} m)")
            )
    lines.extend(f"  note: {n}" for n in s.notes)
    return "\n".join(lines)
