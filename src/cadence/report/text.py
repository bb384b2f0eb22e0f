"""Turn analysis results into the documented JSON schema and the readable text summary (pure: no printing).

The JSON schema is documented in docs/json-schema.md; ``SCHEMA_VERSION`` changes when a field is removed or
changes meaning (adding fields does not).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._timefmt import format_duration
from ..pipeline import ActivityResult

__all__ = ["SCHEMA_VERSION", "format_duration", "format_summary", "result_to_dict", "series_columns"]

SCHEMA_VERSION = 1


def result_to_dict(result: ActivityResult) -> dict[str, Any]:
    """Return the JSON object for one activity/session (docs/json-schema.md); floats may be ``nan``."""
    tr, s = result.trace, result.summary
    fit = s.cadence_vs_speed
    return {
        "file": tr.source,
        "session_index": tr.session_index,
        "sport": tr.sport,
        "sub_sport": tr.sub_sport,
        "device": tr.device_name,
        "start_time": tr.start_time.isoformat() if tr.start_time else None,
        "is_step_sport": tr.is_step_sport,
        "duration_s": s.duration_s,
        "timer_time_s": s.timer_time_s,
        "paused_time_s": s.paused_time_s,
        "running_time_s": s.running_time_s,
        "walking_time_s": s.walking_time_s,
        "stopped_time_s": s.stopped_time_s,
        "no_cadence_time_s": s.no_cadence_time_s,
        "distance_m": s.distance_m,
        "running_cadence_spm": s.running_cadence_spm,
        "walking_cadence_spm": s.walking_cadence_spm,
        "watch_avg_cadence_spm": s.watch_avg_cadence_spm,
        "device_avg_cadence_spm": s.device_avg_cadence_spm,
        "pedal_cadence_rpm": tr.device.avg_pedal_cadence_rpm if not tr.is_step_sport else None,
        "cadence_p10_spm": s.cadence_p10_spm,
        "cadence_median_spm": s.cadence_median_spm,
        "cadence_p90_spm": s.cadence_p90_spm,
        "cadence_max_sustained_spm": s.cadence_max_sustained_spm,
        "drift": {
            "first_third_spm": s.first_third_cadence_spm,
            "last_third_spm": s.last_third_cadence_spm,
            "change_spm": s.drift_spm,
        },
        "cadence_vs_speed": {
            "slope_spm_per_ms": fit.slope_spm_per_ms,
            "intercept_spm": fit.intercept_spm,
            "r2": fit.r2,
            "n_records": fit.n,
            "speed_min_ms": fit.speed_min_ms,
            "speed_max_ms": fit.speed_max_ms,
        },
        "step_length_m": s.step_length_m,
        "time_in_bins": [{"low_spm": lo, "high_spm": hi, "time_s": t} for lo, hi, t in s.histogram],
        "splits": [
            {
                "km": k.km,
                "distance_m": k.distance_m,
                "time_s": k.time_s,
                "running_time_s": k.running_time_s,
                "running_cadence_spm": k.running_cadence_spm,
                "pace_s_per_km": k.pace_s_per_km,
            }
            for k in s.splits
        ],
        "n_records": s.n_records,
        "n_doubled_repaired": s.n_doubled_repaired,
        "n_steps": result.steps.n_steps if result.steps is not None else None,
        "step_confidence": _step_confidence(result),
        "notes": list(s.notes),
    }


def _step_confidence(result: ActivityResult) -> float | None:
    """Mean per-window confidence over the stepping windows of an accelerometer result (else ``None``)."""
    st = result.steps
    if st is None:
        return None
    ok = st.window_stepping
    return float(np.mean(st.window_confidence[ok])) if ok.any() else float("nan")


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
        conf = _step_confidence(result)
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


def series_columns(result: ActivityResult) -> dict[str, np.ndarray]:
    """Return the per-record ``--series`` columns: t_s, cadence_spm (repaired), speed_ms, running (0/1)."""
    tr, s = result.trace, result.summary
    return {
        "t_s": tr.t_s,
        "cadence_spm": s.record_cadence_spm,
        "speed_ms": tr.speed_ms,
        "running": s.record_running.astype(int),
    }
