"""Analysis results as the documented JSON document and the ``--series`` columns (pure: no I/O).

The JSON schema is documented in docs/json-schema.md; ``SCHEMA_VERSION`` changes when a field is removed or
changes meaning (adding fields does not).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from ..pipeline import ActivityResult

__all__ = ["SCHEMA_VERSION", "band_dict", "result_to_dict", "series_columns", "step_confidence"]

SCHEMA_VERSION = 1


def _local(result: ActivityResult, tz: dt.tzinfo | None) -> dict[str, Any]:
    from .._timefmt import local_time

    tr = result.trace
    if tr.start_time is None:
        return {"local_start_time": None, "utc_offset_s": tr.utc_offset_s, "utc_offset_source": None}
    local, source = local_time(tr.start_time, tr.utc_offset_s, tz)
    offset = local.utcoffset()
    return {
        "local_start_time": local.isoformat(),
        "utc_offset_s": offset.total_seconds() if offset is not None else 0.0,
        "utc_offset_source": source,
    }


def result_to_dict(result: ActivityResult, tz: dt.tzinfo | None = None) -> dict[str, Any]:
    """Return the JSON object for one activity/session (docs/json-schema.md); floats may be ``nan``.

    ``start_time`` stays UTC; ``local_start_time`` is the same instant on the local clock (the file's offset,
    else ``tz``, else the machine's zone) and ``utc_offset_s`` / ``utc_offset_source`` say which.
    """
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
        **_local(result, tz),
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
        "step_length_source": s.step_length_source or None,
        "running_dynamics": dict(s.dynamics),
        "running_dynamics_source": {k: tr.dynamics_source.get(k, "watch") for k in s.dynamics},
        "laps": [
            {
                "lap": lap.lap,
                "start_s": lap.start_s,
                "time_s": lap.time_s,
                "distance_m": lap.distance_m,
                "pace_s_per_km": lap.pace_s_per_km,
                "running_time_s": lap.running_time_s,
                "running_cadence_spm": lap.running_cadence_spm,
                "step_length_m": lap.step_length_m,
                "running_dynamics": dict(lap.dynamics),
            }
            for lap in s.laps
        ],
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
        "step_confidence": step_confidence(result),
        "notes": list(s.notes),
    }


def band_dict(result: ActivityResult, band: Any) -> dict[str, Any]:
    """Return ``{"target": {...}}``: the running seconds below, in and above ``band`` (``{}`` without one)."""
    if band is None:
        return {}
    from ..gait.analysis import time_in_band_s

    below, inside, above = time_in_band_s(result.summary, band.low_spm, band.high_spm)
    return {
        "target": {
            "low_spm": band.low_spm,
            "high_spm": band.high_spm,
            "below_s": below,
            "in_band_s": inside,
            "above_s": above,
        }
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
