"""Walks stay walks: speed and step length tell a doubled walk or a fast walk from running (docs/fit.md)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cadence.datatypes import CadenceTrace
from cadence.gait.analysis import AnalysisOptions, analyze_trace, repair_doubled_walk
from conftest import run_cadence


def _trace(cadence: np.ndarray, speed: np.ndarray, sport: str = "running") -> CadenceTrace:
    n = cadence.size
    t = np.arange(n, dtype=float)
    return CadenceTrace(
        t_s=t,
        cadence_spm=cadence.astype(float),
        speed_ms=speed.astype(float),
        distance_m=np.cumsum(speed),
        timer_intervals_s=np.array([[0.0, float(n)]]),
        sport=sport,
    )


def _noisy(value: float, n: int, sd: float, seed: int) -> np.ndarray:
    return value + np.random.default_rng(seed).normal(0, sd, n)


def test_a_hike_read_at_double_its_cadence_is_repaired() -> None:
    # the Forerunner 255 case: 218 spm at 1.7 m/s, a 0.47 m "running" step, for most of the session
    n = 1800
    cad = np.where(np.arange(n) % 10 < 8, 218.0, 109.0) + _noisy(0, n, 2, 1)
    trace = _trace(cad, _noisy(1.7, n, 0.1, 2), sport="hiking")
    # cadence alone (no repair, no session rule) calls it running
    before = analyze_trace(trace.replace(sport="running"), AnalysisOptions(repair_doubling=False))
    assert before.running_time_s > 1000
    after = analyze_trace(trace)
    # the speed rule needs no label: the same session labelled running is repaired too
    assert analyze_trace(trace.replace(sport="running")).running_time_s < 30
    assert after.running_time_s == 0
    assert abs(after.walking_cadence_spm - 109) < 3
    assert after.repairs["doubled_at_walking_speed"] >= 0.75 * n
    assert any("double" in note for note in after.notes)


def test_slow_jog_keeps_its_running() -> None:
    for speed, spm in ((2.2, 160.0), (1.8, 165.0)):  # 0.83 m and 0.65 m steps: running
        trace = _trace(_noisy(spm, 1200, 2, 3), _noisy(speed, 1200, 0.1, 4))
        s = analyze_trace(trace)
        assert s.running_time_s > 1190 and abs(s.running_cadence_spm - spm) < 1
        assert s.repairs == {} and s.n_doubled_repaired == 0


def test_run_walk_with_starts_from_standing() -> None:
    # 5 x (240 s run at 3 m/s and 170 spm, 60 s walk at 1.3 m/s and 110 spm); each run starts from 0.5 m/s
    run_v = np.concatenate([np.linspace(0.5, 3.0, 8), np.full(232, 3.0)])
    speed = np.tile(np.concatenate([run_v, np.full(60, 1.3)]), 5)
    cad = np.tile(np.concatenate([np.full(240, 170.0), np.full(60, 110.0)]), 5)
    s = analyze_trace(_trace(cad, speed))
    assert s.repairs == {}  # the first seconds of each run, still slow, are not a doubled walk
    assert abs(s.running_cadence_spm - 170) < 0.5 and abs(s.walking_cadence_spm - 110) < 0.5
    assert abs(s.running_time_s - 5 * 240) < 15


def test_fast_walking_in_a_walk_session_is_walking() -> None:
    # a brisk walk at 145 spm and 1.7 m/s (0.70 m steps) with one real jog at 2.6 m/s and 165 spm
    cad = np.concatenate([np.full(900, 145.0), np.full(300, 165.0)])
    speed = np.concatenate([np.full(900, 1.7), np.full(300, 2.6)])
    walk = analyze_trace(_trace(cad, speed, sport="walking"))
    assert walk.repairs["walking_not_running"] >= 890
    assert abs(walk.running_time_s - 300) < 10 and abs(walk.running_cadence_spm - 165) < 0.5
    run = analyze_trace(_trace(cad, speed, sport="running"))  # a running session keeps it
    assert run.running_time_s > 1190 and "walking_not_running" not in run.repairs


def test_unknown_or_wrong_speed_is_no_evidence() -> None:
    cad = _noisy(218, 600, 2, 5)
    for speed in (np.full(600, np.nan), np.zeros(600), np.full(600, 0.3)):  # no GPS, treadmill 0
        s = analyze_trace(_trace(cad, speed))
        assert s.repairs == {} and s.running_time_s > 590


@settings(max_examples=60, deadline=None)
@given(
    spm=st.floats(60, 240),
    speed=st.floats(0.0, 6.0),
    n=st.integers(1, 80),
)
def test_repair_only_halves_slow_short_steps(spm: float, speed: float, n: int) -> None:
    cad, v = np.full(n, spm), np.full(n, speed)
    out, flagged = repair_doubled_walk(cad, v)
    np.testing.assert_array_equal(out[~flagged], cad[~flagged])
    np.testing.assert_allclose(out[flagged], cad[flagged] / 2)
    if flagged.any():
        assert speed < 2.0 and spm >= 140 and speed / (spm / 60) < 0.55 and speed >= 0.5


@pytest.mark.shared
def test_shared_hike_reports_walking_and_says_why(shared_dir: Path) -> None:
    path = shared_dir / "data" / "fit" / "wkz__hike_with_coordinates_muggenbrunn.fit"
    proc = run_cadence("analyze", str(path), "--json")
    assert proc.returncode == 0
    (act,) = json.loads(proc.stdout)["activities"]
    assert act["sport"] == "walking" and act["running_time_s"] == 0  # was 478 s at 146.8 spm, 0.35 m steps
    assert act["repairs"]["doubled_at_walking_speed"] > 100
    assert act["n_doubled_repaired"] == sum(v for k, v in act["repairs"].items() if k.startswith("doubled"))


@pytest.mark.shared
def test_shared_runs_keep_their_running_cadence(shared_dir: Path) -> None:
    from cadence.pipeline import load_traces

    for name in (
        "elev__portland.fit",
        "fdec__activity-small-fenix2-run.fit",
        "wkz__run_with_coordinates.fit",
    ):
        (trace,) = load_traces(shared_dir / "data" / "fit" / name)
        plain = analyze_trace(trace, AnalysisOptions(repair_doubling=False))
        ruled = analyze_trace(trace)
        assert abs(ruled.running_cadence_spm - plain.running_cadence_spm) < 0.5, name
        assert ruled.running_time_s > 0.98 * plain.running_time_s, name
