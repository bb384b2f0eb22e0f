"""FIT running dynamics, altitude and the local-time offset against fitdecode's own reading of the files."""

from __future__ import annotations

import warnings
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from cadence.datatypes import RUNNING_DYNAMICS
from cadence.pipeline import analyze_file
from cadence.readers.fit import read_fit, utc_offset_s

DATA = Path(__file__).parents[1] / "data"


def fitdecode_records(path: Path) -> tuple[list[dict], tuple]:
    """Every record's fields by name, and the activity message's (timestamp, local_timestamp)."""
    import fitdecode

    records, activity = [], (None, None)
    with fitdecode.FitReader(str(path), check_crc=fitdecode.CrcCheck.DISABLED) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage):
                if frame.name == "record":
                    records.append({f.name: f.value for f in frame.fields})
                elif frame.name == "activity":
                    activity = (frame.get_value("timestamp"), frame.get_value("local_timestamp"))
    return records, activity


def test_walk_dynamics_and_offset_match_fitdecode() -> None:
    path = DATA / "fdec__garmin-fenix-5-walk.fit"
    (trace,) = read_fit(path)
    records, (stamp, local) = fitdecode_records(path)
    assert trace.utc_offset_s == pytest.approx((local - stamp).total_seconds(), abs=900)
    assert trace.utc_offset_s == -7 * 3600  # a US summer (PDT) walk
    for field, key, factor in [
        ("stance_time", "stance_time_ms", 1.0),
        ("step_length", "step_length_m", 0.001),
        ("vertical_oscillation", "vertical_oscillation_mm", 1.0),
        ("vertical_ratio", "vertical_ratio_pct", 1.0),
        ("stance_time_balance", "stance_time_balance_pct", 1.0),
    ]:
        # one value per second: records sharing a timestamp keep the last value written
        by_second: dict = {}
        for r in records:
            if r.get(field) is not None or r["timestamp"] not in by_second:
                by_second[r["timestamp"]] = r.get(field)
        assert trace.start_time is not None
        seconds = [trace.start_time + timedelta(seconds=float(t)) for t in trace.t_s]
        expected = [by_second[k] for k in seconds]  # the session's records
        got = trace.dynamics[key]
        assert got.size == len(expected) == trace.n
        assert np.isnan(got).tolist() == [v is None for v in expected]
        ok = ~np.isnan(got)
        assert got[ok] == pytest.approx(np.array([v for v in expected if v is not None]) * factor)
        assert trace.dynamics_source[key] == "watch"
    assert set(trace.dynamics) <= set(RUNNING_DYNAMICS)
    assert trace.altitude_m is not None and np.isfinite(trace.altitude_m).all()


def test_walk_summary_uses_the_watchs_step_length() -> None:
    (result,) = analyze_file(DATA / "fdec__garmin-fenix-5-walk.fit")
    s = result.summary
    assert s.running_time_s == 0  # a walk: no running time, so no running dynamics either
    assert s.dynamics == {} and s.step_length_source == ""


def test_bike_has_no_step_dynamics() -> None:
    (trace,) = read_fit(DATA / "fdec__garmin-fenix-5-bike.fit")
    assert trace.dynamics == {}


@pytest.mark.parametrize(
    ("stamp", "local", "expected"),
    [
        (1000000, 1000000 + 13 * 3600 + 7, 13 * 3600.0),  # rounded to the quarter hour
        (1000000, 1000000 - 8 * 3600, -8 * 3600.0),
        (1000000, 1000000 + 5.5 * 3600, 5.5 * 3600.0),
        (1000000, 0, None),  # 1989-12-31: not set
        (1000000, 1000000 - 273276 * 3600, None),  # a relative clock, not a zone
        (None, 1000000, None),
    ],
)
def test_utc_offset_rule(stamp: int | None, local: int, expected: float | None) -> None:
    assert utc_offset_s(stamp, local) == expected


# --- the shared files ---------------------------------------------------------------------------------

OFFSETS_H = {
    "elev__kaiteriteri.fit": 13.0,  # New Zealand, January (NZDT)
    "elev__portland.fit": -8.0,  # Oregon, February (PST)
    "tormo__mornindew-broken.fit": -6.0,
    "fdec__activity-small-fenix2-run.fit": 2.0,
    "fdec__Activity.fit": -4.0,
}


@pytest.mark.parametrize("name", sorted(OFFSETS_H))
def test_shared_offsets_match_the_files(shared_dir: Path, name: str) -> None:
    path = shared_dir / "data" / "fit" / name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traces = read_fit(path)
    _, (stamp, local) = fitdecode_records(path)
    own_h = (local - stamp).total_seconds() / 3600
    assert traces[0].utc_offset_s / 3600 == pytest.approx(own_h, abs=0.25)
    assert traces[0].utc_offset_s / 3600 == OFFSETS_H[name]


def test_kaiteriteri_is_tuesday_morning(shared_dir: Path) -> None:
    from cadence.report.text import format_summary

    (result,) = analyze_file(shared_dir / "data" / "fit" / "elev__kaiteriteri.fit")
    assert "Tue 07 Jan 2020 11:33 UTC+13:00" in format_summary(result)


@pytest.mark.parametrize(
    ("name", "keys", "step_source"),
    [
        (
            "elev__portland.fit",
            {
                "step_length_m",
                "stance_time_ms",
                "stance_time_balance_pct",
                "vertical_oscillation_mm",
                "vertical_ratio_pct",
                "power_w",
                "form_power_w",
                "leg_spring_stiffness_kn_m",
            },
            "watch",
        ),
        (
            "fdec__activity-small-fenix2-run.fit",
            {"stance_time_ms", "vertical_oscillation_mm"},
            "speed and cadence",
        ),
        (
            "elev__kaiteriteri.fit",
            {
                "stance_time_ms",
                "vertical_oscillation_mm",
                "power_w",
                "form_power_w",
                "leg_spring_stiffness_kn_m",
            },
            "speed and cadence",
        ),
    ],
)
def test_shared_dynamics(shared_dir: Path, name: str, keys: set[str], step_source: str) -> None:
    (result,) = analyze_file(shared_dir / "data" / "fit" / name)
    s, tr = result.summary, result.trace
    assert set(s.dynamics) == keys and s.step_length_source == step_source
    # running-time weighted: the mean lies within the running records' range and the laps bracket it
    run = s.record_running
    for key, value in s.dynamics.items():
        col = tr.dynamics[key][run]
        assert np.nanmin(col) <= value <= np.nanmax(col)
        lap_values = [lap.dynamics[key] for lap in s.laps if key in lap.dynamics]
        assert min(lap_values) <= value <= max(lap_values)
    assert 140 <= s.dynamics["stance_time_ms"] <= 400  # a runner's ground contact
    assert 40 <= s.dynamics["vertical_oscillation_mm"] <= 150
    # Stryd's ground time is longer than the strap's: the watch's own column wins on portland
    if name == "elev__portland.fit":
        assert tr.dynamics_source["stance_time_ms"] == "watch"
        assert tr.dynamics_source["power_w"] == "Stryd"
    if name == "elev__kaiteriteri.fit":
        assert tr.dynamics_source["vertical_oscillation_mm"] == "Stryd"
    assert sum(lap.distance_m for lap in s.laps) == pytest.approx(s.distance_m, rel=0.01)
