"""Analysis results as the documented JSON document and the ``--series`` columns (pure: no I/O).

The JSON schema is documented in docs/json-schema.md; ``SCHEMA_VERSION`` changes when a field is removed or
changes meaning (adding fields does not).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..pipeline import ActivityResult

__all__ = ["SCHEMA_VERSION", "result_to_dict", "series_columns", "step_confidence"]

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
        "format": result.format,
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
        "repairs": dict(s.repairs),
        "n_steps": result.steps.n_steps if result.steps is not None else None,
        "step_confidence": step_confidence(result),
        "notes": list(s.notes),
    }


def step_confidence(result: ActivityResult) -> float | None:
    """Mean per-window confidence over the stepping windows of an accelerometer result (else ``None``)."""
    st = result.steps
    if st is None:
        return None
    ok = st.window_stepping
    return float(np.mean(st.window_confidence[ok])) if ok.any() else float("nan")


def series_columns(result: ActivityResult) -> dict[str, np.ndarray]:
    """Return the per-record ``--series`` columns: t_s, cadence_spm (repaired), speed_ms, running (0/1)."""
    tr, s = result.trace, result.summary
    return {
        "t_s": tr.t_s,
        "cadence_spm": s.record_cadence_spm,
        "speed_ms": tr.speed_ms,
        "running": s.record_running.astype(int),
    }
