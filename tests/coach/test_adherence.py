"""check_adherence on runs with a known answer: synthetic traces at known step rates, and real runs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cadence._timefmt import parse_duration_s
from cadence.coach.adherence import band_from_target, check_adherence, parse_time_ranges
from cadence.datatypes import CadenceTrace
from cadence.errors import ParameterError
from cadence.gait.analysis import analyze_trace
from cadence.pipeline import ActivityResult, analyze_file


def _run(
    cadence_spm: np.ndarray, laps_s: list[float] | None = None, pause: tuple[float, float] | None = None
):
    """A 1 Hz running trace at the given per-second step rates (optionally with a timer pause)."""
    n = cadence_spm.size
    t = np.arange(1.0, n + 1.0)
    timer = np.array([[0.0, n + 1.0]]) if pause is None else np.array([[0.0, pause[0]], [pause[1], n + 1.0]])
    trace = CadenceTrace(
        t_s=t,
        cadence_spm=cadence_spm.astype(float),
        speed_ms=np.full(n, 3.0),
        distance_m=3.0 * t,
        timer_intervals_s=timer,
        sport="running",
        source="synthetic",
        lap_start_s=np.array([0.0] if laps_s is None else laps_s),
    )
    return ActivityResult(trace, analyze_trace(trace))


def test_known_halves() -> None:
    # 10 min at 172 then 10 min at 160: half the running time in the 169-175 band, half below
    run = _run(np.r_[np.full(600, 172.0), np.full(600, 160.0)], laps_s=[0.0, 600.0])
    a = check_adherence(run, 169, 175, silent_s=[(120, 300), (700, 900)], cued_s=[(0, 120)])
    assert a.overall.in_band_pct == pytest.approx(50, abs=0.5)
    assert a.overall.below_pct == pytest.approx(50, abs=0.5)
    assert a.overall.above_pct == 0
    lap1, lap2 = a.laps
    assert lap1.in_band_pct == pytest.approx(100) and lap2.below_pct == pytest.approx(100)
    assert lap1.cadence_spm == pytest.approx(172) and lap2.cadence_spm == pytest.approx(160)
    held, dropped = a.silent
    assert held.held is True and dropped.held is False
    assert held.share.running_time_s == pytest.approx(180, abs=1)
    assert a.n_held == 1 and a.n_judged == 2
    assert a.cued_cadence_spm == pytest.approx(172)


def test_pauses_and_walking_do_not_count() -> None:
    # running at 172, a walk break at 110 spm, a paused stretch: only running time is scored
    cad = np.r_[np.full(300, 172.0), np.full(120, 110.0), np.full(300, 180.0)]
    a = check_adherence(_run(cad, pause=(500.0, 600.0)), 169, 175)
    assert a.overall.running_time_s == pytest.approx(300 + 200, abs=6)
    assert a.overall.above_pct == pytest.approx(100 * 200 / 500, abs=1.5)


def test_segment_with_too_little_running() -> None:
    cad = np.r_[np.full(300, 172.0), np.full(120, 0.0), np.full(300, 172.0)]
    a = check_adherence(_run(cad), 169, 175, silent_s=[(320, 400)])
    assert a.silent[0].held is None


def test_no_running_gives_nan_not_an_error() -> None:
    a = check_adherence(_run(np.full(300, 100.0)), 169, 175)
    assert a.overall.running_time_s == 0 and np.isnan(a.overall.in_band_pct)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(140, 200), min_size=20, max_size=200), st.floats(150, 190), st.floats(0, 10))
def test_percentages_add_up(cads: list[float], target: float, tol: float) -> None:
    low, high = band_from_target(target, tol)
    a = check_adherence(_run(np.repeat(np.asarray(cads), 5)), low, high)
    if a.overall.running_time_s > 0:
        total = a.overall.below_pct + a.overall.in_band_pct + a.overall.above_pct
        assert total == pytest.approx(100)


def test_time_parsing() -> None:
    assert parse_time_ranges("10m-15m,20m-25m") == ((600, 900), (1200, 1500))
    assert parse_time_ranges("10:00-15:30") == ((600, 930),)
    assert parse_duration_s("1h5m") == 3900 and parse_duration_s("4m30s") == 270
    assert parse_duration_s("1:02:03") == 3723 and parse_duration_s("0:00", allow_zero=True) == 0


@pytest.mark.parametrize("bad", ["", "10m", "15m-10m", "a-b", "10m-15m,", "10m-15m-20m", "10:75-12:00"])
def test_time_parsing_rejects(bad: str) -> None:
    with pytest.raises(ParameterError):
        parse_time_ranges(bad)


def test_bad_band() -> None:
    run = _run(np.full(300, 170.0))
    with pytest.raises(ParameterError):
        check_adherence(run, 175, 169)
    with pytest.raises(ParameterError):
        band_from_target(172, -1)
    with pytest.raises(ParameterError):
        band_from_target(20, 3)


def test_real_run_laps_cover_the_run(sample_data) -> None:
    (run,) = analyze_file(sample_data / "elev__portland.fit")
    a = check_adherence(run, 169, 175)
    assert len(a.laps) == run.trace.lap_start_s.size == 17
    assert sum(lap.running_time_s for lap in a.laps) == pytest.approx(a.overall.running_time_s)
    assert a.overall.running_time_s == pytest.approx(run.summary.running_time_s)
    for share in [a.overall, *a.laps]:
        assert share.below_pct + share.in_band_pct + share.above_pct == pytest.approx(100)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(140, 200), min_size=20, max_size=120),
    st.floats(150, 190),
    st.floats(0, 8),
    st.floats(0, 8),
)
def test_a_wider_band_holds_more_of_the_run(cads: list[float], target: float, t1: float, t2: float) -> None:
    run = _run(np.repeat(np.asarray(cads), 5))
    narrow, wide = sorted((t1, t2))
    a = check_adherence(run, *band_from_target(target, narrow))
    b = check_adherence(run, *band_from_target(target, wide))
    assert b.overall.in_band_pct >= a.overall.in_band_pct - 1e-9
    assert (
        b.overall.below_pct <= a.overall.below_pct + 1e-9
        and b.overall.above_pct <= a.overall.above_pct + 1e-9
    )
