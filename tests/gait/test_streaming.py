"""The causal step detector against the offline one: generated gait, real walks, and broken streams."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cadence.errors import ParameterError
from cadence.gait.steps import estimate_steps
from cadence.gait.streaming import StreamingStepDetector, StreamOptions
from cadence.gait.synth import GaitSegment, synth_gait
from cadence.readers.accel_csv import read_accel_csv

REPO = Path(__file__).resolve().parents[2]


def stream(t, acc, chunk_s=0.1, fs=None, detector=None, arrival=False):
    det = detector or StreamingStepDetector()
    fs = fs or 1.0 / np.median(np.diff(t))
    n = max(1, int(round(chunk_s * fs)))
    for i in range(0, len(t), n):
        at = float(t[min(i + n, len(t)) - 1]) if arrival else None
        det.feed(t[i : i + n], acc[i : i + n], arrival_s=at)
    det.flush()
    return det


def delays(det, after_s=None):
    """Report delays; ``after_s``: only of the steps later than that (a bout's first steps can only be
    recognised as steps once an analysis window of stepping exists, like the offline detector's)."""
    d = det.detected_at_s - det.final_step_times_s
    return d if after_s is None else d[det.final_step_times_s > after_s]


@pytest.mark.parametrize("placement", ["waist", "pocket", "wrist", "shoe"])
@pytest.mark.parametrize("cadence", [150.0, 178.0])
def test_generated_runs_match_offline_and_report_fast(placement, cadence):
    g = synth_gait([GaitSegment(45, "run", cadence)], placement, seed=3)
    off = estimate_steps(g.acc_ms2, g.fs_hz)
    det = stream(g.t_s, g.acc_ms2)
    assert abs(len(det.final_step_times_s) - off.n_steps) <= max(1, 0.01 * off.n_steps)
    d = delays(det)
    assert np.all(d >= 0)
    assert np.median(d) <= 0.5
    assert np.percentile(delays(det, after_s=6.0), 90) <= 1.0
    # the same steps, not just the same number
    near = np.abs(det.final_step_times_s[:, None] - off.step_times_s[None, :]).min(axis=1)
    assert np.mean(near < 0.05) > 0.97


def test_walk_stop_run_matches_offline():
    g = synth_gait(
        [GaitSegment(10, "still"), GaitSegment(40, "walk", 112), GaitSegment(8, "still"),
         GaitSegment(40, "run", 160, 178)],
        "pocket",
        seed=5,
    )
    off = estimate_steps(g.acc_ms2, g.fs_hz)
    det = stream(g.t_s, g.acc_ms2, chunk_s=0.25)
    assert len(det.final_step_times_s) == pytest.approx(off.n_steps, rel=0.015)
    assert len(det.final_step_times_s) == pytest.approx(len(g.step_times_s), rel=0.03)
    # nothing while standing still
    still = (det.final_step_times_s > 51) & (det.final_step_times_s < 57)
    assert still.sum() == 0
    assert np.median(delays(det)) <= 0.5


def test_chunk_size_does_not_change_the_steps():
    g = synth_gait([GaitSegment(30, "run", 170)], "waist", seed=1)
    a = stream(g.t_s, g.acc_ms2, chunk_s=0.04).final_step_times_s
    b = stream(g.t_s, g.acc_ms2, chunk_s=1.0).final_step_times_s
    assert abs(len(a) - len(b)) <= 1
    assert np.mean(np.abs(a[:, None] - b[None, :]).min(axis=1) < 0.03) > 0.98
    # bigger chunks: later reports
    d_small = np.median(stream(g.t_s, g.acc_ms2, chunk_s=0.04).detected_at_s - a)
    d_big = np.median(stream(g.t_s, g.acc_ms2, chunk_s=1.0).detected_at_s - b)
    assert d_big > d_small


def test_real_back_pocket_walk_matches_offline():
    rec = read_accel_csv(REPO / "sample_data" / "phone_backpocket_walk.csv")
    off = estimate_steps(rec.acc_ms2, rec.fs_hz)
    det = stream(rec.t_s, rec.acc_ms2)
    n = len(det.final_step_times_s)
    assert abs(n - off.n_steps) <= 0.015 * off.n_steps
    truth = np.loadtxt(REPO / "sample_data" / "phone_backpocket_walk.steps.txt", skiprows=1, ndmin=1)
    assert n == pytest.approx(len(truth), rel=0.05)  # the offline detector itself is +3 % here
    d = delays(det)
    assert np.median(d) <= 0.5 and np.percentile(d, 90) <= 1.0
    assert det.n_retracted <= 0.05 * n


def test_real_excerpt_matches_offline():
    rec = read_accel_csv(REPO / "tests" / "data" / "oxford_backpocket_excerpt.csv")
    off = estimate_steps(rec.acc_ms2, rec.fs_hz)
    det = stream(rec.t_s, rec.acc_ms2, chunk_s=0.2)
    assert abs(len(det.final_step_times_s) - off.n_steps) <= 1


@pytest.mark.shared
@pytest.mark.slow
def test_shared_walks_match_offline(shared_dir):
    root = shared_dir / "data" / "steps" / "oxford_stepcounter"
    errs = []
    paths = [p for p in sorted(root.glob("*.csv")) if not p.name.endswith((".events.csv", "truth.csv"))]
    for path in paths[::3]:  # every third recording: each phone and placement kind, in ~15 s
        rec = read_accel_csv(path)
        off = estimate_steps(rec.acc_ms2, rec.fs_hz)
        det = stream(rec.t_s, rec.acc_ms2, chunk_s=0.2)
        errs.append(100.0 * (len(det.final_step_times_s) - off.n_steps) / off.n_steps)
        assert np.median(delays(det)) <= 0.6, path.name
    assert len(errs) >= 5
    assert np.median(np.abs(errs)) <= 1.0
    assert max(np.abs(errs)) <= 1.5


def test_gap_splits_the_stream_and_no_steps_inside():
    g = synth_gait([GaitSegment(40, "run", 170)], "waist", seed=2)
    t, acc = g.t_s, g.acc_ms2
    hole = (t > 18) & (t < 21)
    det = stream(t[~hole], acc[~hole])
    assert det.stats.n_gaps == 1
    assert det.stats.gap_s == pytest.approx(3.0, abs=0.05)
    st = det.final_step_times_s
    assert not ((st > 18.05) & (st < 20.95)).any()
    a = estimate_steps(acc[t <= 18], g.fs_hz).n_steps
    b = estimate_steps(acc[t >= 21], g.fs_hz, t0_s=float(t[t >= 21][0])).n_steps
    assert abs(len(st) - (a + b)) <= 2


def test_duplicated_batches_are_dropped():
    g = synth_gait([GaitSegment(25, "run", 165)], "wrist", seed=4)
    once = stream(g.t_s, g.acc_ms2).final_step_times_s
    det = StreamingStepDetector()
    n = 10
    for i in range(0, len(g.t_s), n):
        for _ in range(2):  # every batch arrives twice
            det.feed(g.t_s[i : i + n], g.acc_ms2[i : i + n])
    det.flush()
    np.testing.assert_allclose(det.final_step_times_s, once)
    assert det.stats.n_duplicate == len(g.t_s)
    assert det.stats.n_late == 0


def test_late_batch_is_dropped_and_counted():
    g = synth_gait([GaitSegment(25, "run", 165)], "waist", seed=4)
    det = StreamingStepDetector()
    n = 20
    chunks = [(g.t_s[i : i + n], g.acc_ms2[i : i + n]) for i in range(0, len(g.t_s), n)]
    chunks[50], chunks[51] = chunks[51], chunks[50]  # batch 50 arrives after 51
    for t, a in chunks:
        det.feed(t, a)
    det.flush()
    assert det.stats.n_late == n
    off = estimate_steps(g.acc_ms2, g.fs_hz).n_steps
    assert abs(len(det.final_step_times_s) - off) <= 2


def test_clock_jump_back_keeps_session_time_monotonic():
    g = synth_gait([GaitSegment(40, "run", 170)], "waist", seed=6)
    t = g.t_s.copy()
    t[t >= 20] -= 500.0  # the phone restarted its clock
    det = stream(t, g.acc_ms2)
    st = det.final_step_times_s
    assert det.stats.n_clock_jumps == 1
    assert np.all(np.diff(st) > 0)
    assert st[-1] == pytest.approx(g.step_times_s[-1], abs=0.5)
    assert len(st) == pytest.approx(len(g.step_times_s), rel=0.04)


def test_clock_jump_forward_told_from_a_pause_by_arrival_time():
    g = synth_gait([GaitSegment(40, "run", 170)], "waist", seed=6)
    t = g.t_s.copy()
    t[t >= 20] += 3600.0  # the clock jumps an hour while samples keep coming
    jumped = stream(t, g.acc_ms2, arrival=False)
    assert jumped.stats.n_gaps == 1 and jumped.final_step_times_s[-1] > 3600
    det = StreamingStepDetector()
    n = 10
    for i in range(0, len(t), n):
        det.feed(t[i : i + n], g.acc_ms2[i : i + n], arrival_s=float(g.t_s[min(i + n, len(t)) - 1]))
    det.flush()
    assert det.stats.n_clock_jumps == 1 and det.stats.n_gaps == 0
    assert det.final_step_times_s[-1] == pytest.approx(g.step_times_s[-1], abs=0.5)


def test_changing_irregular_sampling_rate():
    rng = np.random.default_rng(0)
    g = synth_gait([GaitSegment(40, "run", 172)], "pocket", fs_hz=400.0, seed=7)
    # first half about 100 Hz, second about 50 Hz, both jittered like a phone
    t1 = np.cumsum(rng.uniform(0.007, 0.013, 2000))
    t1 = t1[t1 < 20]
    t2 = 20 + np.cumsum(rng.uniform(0.015, 0.025, 1000))
    t2 = t2[t2 < 39.9]
    ts = np.concatenate([t1, t2])
    acc = np.column_stack([np.interp(ts, g.t_s, g.acc_ms2[:, k]) for k in range(3)])
    det = stream(ts, acc, chunk_s=0.15, fs=75.0)
    assert 40 < det.stats.rate_hz < 60  # the current rate: the second half's 50 Hz
    assert len(det.final_step_times_s) == pytest.approx(len(g.step_times_s), rel=0.03)


def test_nan_rows_are_dropped():
    g = synth_gait([GaitSegment(20, "run", 170)], "waist", seed=8)
    acc = g.acc_ms2.copy()
    acc[::50, 1] = np.nan
    det = stream(g.t_s, acc)
    assert det.stats.n_invalid == len(acc[::50])
    assert abs(len(det.final_step_times_s) - estimate_steps(g.acc_ms2, g.fs_hz).n_steps) <= 1


def test_still_and_empty_input():
    det = StreamingStepDetector()
    assert len(det.feed([], np.empty((0, 3)))) == 0
    t = np.arange(0, 20, 0.01)
    acc = np.tile([0.0, 0.0, 9.81], (len(t), 1)) + np.random.default_rng(1).normal(0, 0.02, (len(t), 3))
    det.feed(t, acc)
    det.flush()
    assert det.n_steps == 0


def test_retracted_steps_are_gone_from_the_list():
    g = synth_gait([GaitSegment(25, "run", 170), GaitSegment(15, "still")], "waist", seed=9)
    det = StreamingStepDetector()
    reported: set[float] = set()
    retracted: set[float] = set()
    for i in range(0, len(g.t_s), 10):
        up = det.feed(g.t_s[i : i + 10], g.acc_ms2[i : i + 10])
        reported |= set(up.t_s.tolist())
        retracted |= set(up.retracted_s.tolist())
    up = det.flush()
    reported |= set(up.t_s.tolist())
    retracted |= set(up.retracted_s.tolist())
    assert retracted <= reported
    assert det.n_retracted == len(retracted)
    kept = np.array(sorted(reported - retracted))
    final = det.final_step_times_s
    # every final step was reported (the settling run may place it a sample or two apart), and vice versa
    assert len(kept) == len(final)
    assert np.abs(kept - final).max() <= 0.1
    assert not ((final > 26.0) & (final < 40.0)).any()


def test_bad_shapes_and_options():
    det = StreamingStepDetector()
    with pytest.raises(ParameterError, match="shape"):
        det.feed([0.0, 0.1], np.zeros((2, 2)))
    with pytest.raises(ParameterError, match="grid_hz"):
        StreamOptions(grid_hz=10.0)
    with pytest.raises(ParameterError, match="buffer_s"):
        StreamOptions(buffer_s=3.0)
    with pytest.raises(ParameterError, match="settle_s"):
        StreamOptions(settle_s=1.0)
