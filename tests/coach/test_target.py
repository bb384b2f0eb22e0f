"""target_range, parsing of increases and speeds, and the speed-tied baseline (pure functions)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cadence.coach.speed import REFERENCE_MARGIN_MS
from cadence.coach.target import (
    Baseline,
    baseline_warnings,
    format_pace,
    parse_increase,
    parse_speed_ms,
    pooled_speed_model,
    round_half_up,
    speed_baseline,
    target_range,
)
from cadence.errors import ParameterError
from cadence.gait.analysis import fit_cadence_vs_speed

baselines = st.floats(min_value=40.0, max_value=260.0, allow_nan=False)
pcts = st.floats(min_value=0.0, max_value=30.0, allow_nan=False)


def test_issue_example_160_gives_168_176() -> None:
    rng = target_range(160)
    assert (rng.low_spm, rng.high_spm) == (168, 176)
    assert (rng.low_pct, rng.high_pct) == (5.0, 10.0)
    assert rng.warnings == ()


@pytest.mark.parametrize(
    ("baseline", "low", "high"),
    [(170, 179, 187), (150, 158, 165), (165, 173, 182), (174, 183, 191)],  # 178.5 -> 179, 157.5 -> 158
)
def test_rounding_is_half_up(baseline: float, low: int, high: int) -> None:
    rng = target_range(baseline)
    assert (rng.low_spm, rng.high_spm) == (low, high)


@given(st.integers(min_value=0, max_value=10_000))
def test_round_half_up_rounds_halves_up(k: int) -> None:
    assert round_half_up(k + 0.5) == k + 1
    assert round_half_up(k + 0.49) == k
    assert round_half_up(k) == k


@given(baselines, pcts, pcts)
def test_band_is_ordered_and_within_the_percentages(b: float, p1: float, p2: float) -> None:
    lo_pct, hi_pct = sorted((p1, p2))
    rng = target_range(b, (lo_pct, hi_pct))
    assert rng.low_spm <= rng.high_spm
    assert abs(rng.low_spm - b * (1 + lo_pct / 100)) <= 0.5 + 1e-6
    assert abs(rng.high_spm - b * (1 + hi_pct / 100)) <= 0.5 + 1e-6
    assert isinstance(rng.low_spm, int) and isinstance(rng.high_spm, int)


@given(baselines)
def test_default_band_is_plus_5_to_10_percent_up_to_rounding(b: float) -> None:
    rng = target_range(b)
    assert b * 1.05 - 0.5 <= rng.low_spm <= rng.high_spm <= b * 1.10 + 0.5


@given(baselines, baselines, pcts, pcts)
def test_monotone_in_the_baseline(b1: float, b2: float, p1: float, p2: float) -> None:
    lo, hi = sorted((b1, b2))
    inc = tuple(sorted((p1, p2)))
    r1, r2 = target_range(lo, inc), target_range(hi, inc)
    assert r1.low_spm <= r2.low_spm and r1.high_spm <= r2.high_spm


@given(baselines, pcts, pcts)
def test_monotone_in_the_increase(b: float, p1: float, p2: float) -> None:
    lo, hi = sorted((p1, p2))
    assert target_range(b, lo).low_spm <= target_range(b, hi).low_spm


@pytest.mark.parametrize(
    ("baseline", "kwargs", "code"),
    [
        (130, {}, "walking_baseline"),
        (80, {}, "walking_baseline"),
        (186, {}, "high_baseline"),
        (185, {}, "high_baseline"),
        (160, {"increase_pct": (5, 12)}, "large_increase"),
        (160, {"max_sustained_spm": 170.0}, "above_max_sustained"),
    ],
)
def test_guard_rails(baseline: float, kwargs: dict, code: str) -> None:
    rng = target_range(baseline, **kwargs)
    assert code in {w.code for w in rng.warnings}
    assert all(len(w.message) > 20 for w in rng.warnings)  # plain words, not just a code


def test_no_guard_rail_inside_the_evidence() -> None:
    for b in (140, 160, 175, 184.9):
        assert target_range(b, (5, 10), max_sustained_spm=210).warnings == ()


def test_stride_rate_hint() -> None:
    (w,) = target_range(82).warnings
    assert "164 spm" in w.message  # 82 strides per minute are 164 steps per minute


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 0, 30, 300, -160])
def test_bad_baseline(bad: float) -> None:
    with pytest.raises(ParameterError, match="baseline"):
        target_range(bad)


@pytest.mark.parametrize("bad", [(-1, 5), (10, 5), (5, 40), (5, float("nan")), (1, 2, 3)])
def test_bad_increase(bad: tuple) -> None:
    with pytest.raises(ParameterError):
        target_range(160, bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5-10", (5, 10)), ("5-7.5", (5, 7.5)), ("7.5", (7.5, 7.5)), ("+5%-+10%", (5, 10)), (" 5 - 8 ", (5, 8))],
)
def test_parse_increase(text: str, expected: tuple[float, float]) -> None:
    assert parse_increase(text) == expected


@given(st.floats(0, 30), st.floats(0, 30))
def test_parse_increase_round_trip(a: float, b: float) -> None:
    lo, hi = sorted((round(a, 2), round(b, 2)))
    assert parse_increase(f"{lo}-{hi}") == (lo, hi)


@pytest.mark.parametrize("bad", ["", "abc", "5-", "-5", "10-5", "5-50", "5--10"])
def test_parse_increase_rejects(bad: str) -> None:
    with pytest.raises(ParameterError):
        parse_increase(bad)


@pytest.mark.parametrize(
    ("text", "speed_ms"),
    [
        ("12km/h", 12 / 3.6),
        ("12 kph", 12 / 3.6),
        ("3.3m/s", 3.3),
        ("5:00/km", 1000 / 300),
        ("5:00 min/km", 1000 / 300),
        ("8:00/mi", 1609.344 / 480),
        ("4.5/km", 1000 / 270),
        ("7.5mph", 7.5 * 1609.344 / 3600),
    ],
)
def test_parse_speed(text: str, speed_ms: float) -> None:
    assert parse_speed_ms(text) == pytest.approx(speed_ms)


@given(st.integers(3, 12), st.integers(0, 59))
def test_pace_and_speed_agree(minutes: int, seconds: int) -> None:
    pace_s = 60 * minutes + seconds
    v = parse_speed_ms(f"{minutes}:{seconds:02d}/km")
    assert v == pytest.approx(1000 / pace_s)
    assert parse_speed_ms(f"{v * 3.6:.9f}km/h") == pytest.approx(v)
    assert format_pace(v).endswith(f"{minutes}:{seconds:02d}/km)")


@pytest.mark.parametrize("bad", ["12", "5:00", "fast", "5:75/km", "100km/h", "0:10/km", "3.5:00/km", ""])
def test_parse_speed_rejects(bad: str) -> None:
    with pytest.raises(ParameterError):
        parse_speed_ms(bad)


def _runs(slope: float, speeds: list[np.ndarray], noise: float, seed: int = 0) -> tuple[list, list, list]:
    rng = np.random.default_rng(seed)
    cad = [150 + slope * s + rng.normal(0, noise, s.size) for s in speeds]
    return cad, speeds, [np.ones(s.size) for s in speeds]


def test_pooled_fit_recovers_a_known_line() -> None:
    rng = np.random.default_rng(1)
    speeds = [rng.uniform(2.5, 3.0, 600), rng.uniform(3.2, 4.0, 600)]  # an easy run and a tempo run
    model = pooled_speed_model(*_runs(10.0, speeds, noise=1.5))
    assert model.n_runs == 2
    assert model.fit.slope_spm_per_ms == pytest.approx(10.0, abs=0.5)
    assert model.weakness() is None
    sb = speed_baseline(model, 3.3, fallback_spm=170.0)
    assert sb.used and sb.reason is None
    assert sb.baseline_spm == pytest.approx(150 + 10 * 3.3, abs=0.5)


def test_a_steady_run_gives_its_cadence_near_its_pace() -> None:
    """One steady run (2.9-3.1 m/s): little speed range and a low r2, but its cadence at 3 m/s is sure."""
    rng = np.random.default_rng(2)
    model = pooled_speed_model(*_runs(10.0, [rng.uniform(2.9, 3.1, 900)], noise=3.0))
    assert model.fit.r2 < 0.2  # the old r2 rule refused this run
    sb = speed_baseline(model, 3.0, fallback_spm=171.0)
    assert sb.used and sb.baseline_spm == pytest.approx(180.0, abs=0.5)
    assert sb.se_spm < 1.0


def test_a_slope_no_runner_shows_is_held() -> None:
    rng = np.random.default_rng(3)
    model = pooled_speed_model(*_runs(0.5, [rng.uniform(2.0, 4.0, 900)], noise=8.0))
    sb = speed_baseline(model, 3.5, fallback_spm=0.0)
    assert sb.slope_spm_per_ms == 3.0  # the fitted ~0.5 is held at the lower bound
    mean_s, mean_c = model.stats.speed_mean_ms, model.stats.cadence_mean_spm
    assert sb.cadence_at_speed_spm == pytest.approx(mean_c + 3.0 * (3.5 - mean_s))


def test_a_noisy_short_line_is_too_uncertain() -> None:
    rng = np.random.default_rng(5)
    model = pooled_speed_model(*_runs(10.0, [rng.uniform(2.8, 3.2, 300)], noise=20.0))
    sb = speed_baseline(model, 3.4, fallback_spm=170.0)
    assert not sb.used and "uncertain" in (sb.reason or "") and sb.se_spm > 2.0


def test_too_few_records_falls_back() -> None:
    model = pooled_speed_model(*_runs(10.0, [np.linspace(2, 4, 20)], noise=0.5))
    assert "too few" in (model.weakness() or "")
    assert not speed_baseline(model, 3.0, 170.0).used


@given(slopes=st.lists(st.floats(3.0, 15.0), min_size=1, max_size=4), seed=st.integers(0, 1000))
@settings(max_examples=30, deadline=None)
def test_pooled_moments_equal_the_fit_over_all_records(slopes: list[float], seed: int) -> None:
    """Pooling per-run moments (what the history cache keeps) gives the line over all records at once."""
    rng = np.random.default_rng(seed)
    speeds = [rng.uniform(2.0 + 0.3 * i, 3.0 + 0.3 * i, 200 + 50 * i) for i in range(len(slopes))]
    cad = [150 + k * s + rng.normal(0, 2, s.size) for k, s in zip(slopes, speeds, strict=True)]
    weights = [np.ones(s.size) for s in speeds]
    model = pooled_speed_model(cad, speeds, weights)
    joined = fit_cadence_vs_speed(np.concatenate(cad), np.concatenate(speeds), np.concatenate(weights))
    assert model.stats.slope_spm_per_ms == pytest.approx(joined.slope_spm_per_ms, rel=1e-6, abs=1e-6)
    assert model.stats.intercept_spm == pytest.approx(joined.intercept_spm, rel=1e-6)
    assert model.stats.r2 == pytest.approx(joined.r2, rel=1e-6, abs=1e-9)
    assert model.stats.seconds == pytest.approx(sum(s.size for s in speeds))


def test_the_model_is_its_pooled_stats() -> None:
    """The line, the speed spread and the run count shown are the ones the rule at a speed reads."""
    rng = np.random.default_rng(6)
    speeds = [rng.uniform(2.5, 3.0, 600), rng.uniform(3.2, 4.0, 600)]
    model = pooled_speed_model(*_runs(10.0, speeds, noise=1.5))
    pooled = model.stats
    assert (model.speed_p05_ms, model.speed_p95_ms) == (pooled.speed_p05_ms, pooled.speed_p95_ms)
    assert model.n_runs == pooled.n_runs == 2
    assert (model.fit.slope_spm_per_ms, model.fit.intercept_spm, model.fit.r2) == (
        pooled.slope_spm_per_ms,
        pooled.intercept_spm,
        pooled.r2,
    )
    assert model.fit.n == int(pooled.seconds) == 1200
    # the range a refusal names is the spread the model reports, widened by the margin
    sb = speed_baseline(model, 6.0, fallback_spm=170.0)
    lo, hi = model.speed_p05_ms - REFERENCE_MARGIN_MS, model.speed_p95_ms + REFERENCE_MARGIN_MS
    assert sb.reason == f"outside the speeds run ({lo:.2f}-{hi:.2f} m/s)"


def test_no_speed_at_all() -> None:
    s = np.full(300, np.nan)
    model = pooled_speed_model([np.full(300, 170.0)], [s], [np.ones(300)])
    assert model.n_runs == 0 and model.fit.n == 0
    assert not speed_baseline(model, 3.0, 170.0).used


def test_speed_outside_what_was_run_falls_back() -> None:
    rng = np.random.default_rng(4)
    speeds = [rng.uniform(2.5, 3.5, 900)]
    model = pooled_speed_model(*_runs(10.0, speeds, noise=1.0))
    assert model.weakness() is None
    sb = speed_baseline(model, 5.5, fallback_spm=180.0)
    assert not sb.used and "outside the speeds" in (sb.reason or "")


def test_pooled_model_rejects_mismatched_runs() -> None:
    with pytest.raises(ParameterError):
        pooled_speed_model([np.ones(3)], [np.ones(3), np.ones(3)], [np.ones(3)])
    with pytest.raises(ParameterError):
        pooled_speed_model([np.ones(3)], [np.ones(4)], [np.ones(3)])


def test_short_baseline_guard_rail() -> None:
    short = Baseline(170.0, 120.0, 160.0, 175.0, 1, ("a.fit",))
    assert [w.code for w in baseline_warnings(short)] == ["short_baseline"]
    assert baseline_warnings(Baseline(170.0, 1800.0, 160.0, 175.0, 1, ("a.fit",))) == ()


@pytest.mark.parametrize("slope", [4.0, 8.0, 12.0])
@pytest.mark.parametrize("noise", [0.5, 2.0])
def test_speed_fit_sweep(slope: float, noise: float) -> None:
    rng = np.random.default_rng(int(slope * 10 + noise * 100))
    speeds = [rng.uniform(2.4, 3.0, 900), rng.uniform(3.0, 3.8, 900), rng.uniform(2.8, 4.2, 600)]
    model = pooled_speed_model(*_runs(slope, speeds, noise=noise, seed=int(slope)))
    assert model.weakness() is None
    for v in (2.6, 3.3, 4.0):
        sb = speed_baseline(model, v, fallback_spm=0.0)
        assert sb.used and sb.baseline_spm == pytest.approx(150 + slope * v, abs=0.5)


def test_baseline_from_results_and_from_facts_agree() -> None:
    """The same runs as analyzed results and as cached history facts pool to the same baseline."""
    from types import SimpleNamespace

    from cadence.coach.history import SessionFacts
    from cadence.coach.speed import SpeedStats
    from cadence.coach.target import baseline_from_facts, baseline_from_results

    rows = [  # running s, running spm, timer s, watch spm, sustained spm, file
        (1800.0, 170.0, 2000.0, 160.0, 178.0, "a.fit"),
        (600.0, 176.0, float("nan"), 150.0, 181.0, "b.fit"),  # no timer time: left out of the watch average
        (0.0, float("nan"), 300.0, 90.0, float("nan"), "walk.fit"),  # no running: left out
    ]
    results = [
        SimpleNamespace(
            summary=SimpleNamespace(
                running_time_s=t,
                running_cadence_spm=c,
                timer_time_s=timer,
                watch_avg_cadence_spm=watch,
                cadence_max_sustained_spm=top,
            ),
            trace=SimpleNamespace(source=file),
        )
        for t, c, timer, watch, top, file in rows
    ]
    facts = [
        SessionFacts(
            file=file,
            session_index=0,
            sport="running",
            is_step_sport=True,
            start_time=None,
            distance_m=0.0,
            running_time_s=t,
            running_distance_m=0.0,
            running_cadence_spm=c,
            step_length_m=float("nan"),
            speed=SpeedStats(),
            timer_time_s=timer,
            watch_avg_cadence_spm=watch,
            max_sustained_spm=top,
        )
        for t, c, timer, watch, top, file in rows
    ]
    base = baseline_from_results(results)  # type: ignore[arg-type]
    assert base == baseline_from_facts(facts)
    assert base.running_cadence_spm == pytest.approx((1800 * 170 + 600 * 176) / 2400)
    assert (base.running_time_s, base.watch_avg_cadence_spm, base.max_sustained_spm) == (2400.0, 160.0, 181.0)
    assert (base.n_runs, base.sources) == (2, ("a.fit", "b.fit"))
    empty = baseline_from_facts(facts[2:])
    assert empty.n_runs == 0 and empty.sources == () and np.isnan(empty.running_cadence_spm)
