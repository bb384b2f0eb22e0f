"""Tests for step detection: generated running and walking with known steps, edge cases, real walks."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cadence.errors import ParameterError
from cadence.gait.steps import StepOptions, estimate_steps
from cadence.gait.synth import GaitSegment, Placement, synth_gait


def true_cadence_per_second(step_times_s: np.ndarray, t_s: np.ndarray) -> np.ndarray:
    """Cadence from the true steps in a centred 5 s window (NaN with fewer than 3 steps)."""
    i0 = np.searchsorted(step_times_s, t_s - 2.5)
    i1 = np.searchsorted(step_times_s, t_s + 2.5) - 1
    ok = (i1 - i0) >= 2
    out = np.full(len(t_s), np.nan)
    out[ok] = 60.0 * (i1 - i0)[ok] / (step_times_s[i1[ok]] - step_times_s[i0[ok]])
    return out


def score(g, res) -> tuple[float, float]:
    """(step-count error %, median |cadence error| spm over the seconds both have a cadence)."""
    err = 100.0 * (res.n_steps - len(g.step_times_s)) / len(g.step_times_s)
    truth = true_cadence_per_second(g.step_times_s, res.t_s)
    both = np.isfinite(truth) & np.isfinite(res.cadence_spm)
    assert both.sum() > 0.5 * np.isfinite(truth).sum(), "cadence missing for most stepping seconds"
    return err, float(np.median(np.abs(truth[both] - res.cadence_spm[both])))


RUN_CASES = [(p, c) for p in Placement for c in (150, 170, 185, 200)]


def run_segments(cad: float) -> list[GaitSegment]:
    """A run with cadence and speed changes, a walking break and standing (also bench/steps_accuracy.py's)."""
    return [
        GaitSegment(8, "still"),
        GaitSegment(50, "run", cad, cad + 8),
        GaitSegment(15, "walk", 108),
        GaitSegment(35, "run", cad + 4, cad - 6, intensity=1.3),
        GaitSegment(8, "still"),
    ]


@pytest.fixture(scope="module")
def running_scores():
    """Score the detector on :func:`run_segments`, per case."""
    out = {}
    for i, (place, cad) in enumerate(RUN_CASES):
        g = synth_gait(run_segments(cad), place, fs_hz=100.0, seed=100 + i)
        out[(place, cad)] = (g, estimate_steps(g.acc_ms2, g.fs_hz))
    return out


def test_running_meets_the_bars_over_placements_and_cadences(running_scores):
    errs, cerrs = [], []
    for g, res in running_scores.values():
        e, c = score(g, res)
        errs.append(abs(e))
        cerrs.append(c)
    assert np.median(errs) <= 3.0
    assert max(errs) <= 10.0
    assert np.median(cerrs) <= 2.0


@pytest.mark.parametrize("place", [Placement.SHOE, Placement.WRIST, Placement.POCKET])
def test_one_cycle_per_stride_placements_are_not_halved(running_scores, place):
    for cad in (150, 170, 185, 200):
        g, res = running_scores[(place, cad)]
        run = res.running & np.isfinite(res.cadence_spm)
        assert run.sum() > 60, f"{place} {cad}: running seconds not found"
        # never half (75-100) or double: within 6 % of the truth
        assert np.median(res.cadence_spm[run]) == pytest.approx(cad, rel=0.06)


def test_walk_run_split(running_scores):
    g, res = running_scores[(Placement.WAIST, 170)]
    assert res.running_time_s == pytest.approx(g.running_time_s, abs=12)
    assert res.walking_time_s == pytest.approx(g.walking_time_s, abs=10)


@pytest.mark.parametrize("place", list(Placement))
@pytest.mark.parametrize("cad", [85, 105, 125, 132])
def test_walking(place, cad):
    g = synth_gait([GaitSegment(60, "walk", cad)], place, fs_hz=50.0, seed=cad)
    res = estimate_steps(g.acc_ms2, g.fs_hz)
    err, cerr = score(g, res)
    assert abs(err) <= 10.0
    assert cerr <= 3.0


@pytest.mark.parametrize("fs", [25.0, 52.0, 100.0, 200.0, 400.0])
def test_sampling_rates(fs):
    g = synth_gait([GaitSegment(40, "run", 172)], Placement.ARMBAND, fs_hz=fs, seed=7)
    err, cerr = score(g, estimate_steps(g.acc_ms2, fs))
    assert abs(err) <= 5.0 and cerr <= 2.0


def test_orientation_does_not_matter():
    g = synth_gait([GaitSegment(40, "run", 176)], Placement.POCKET, seed=11, rotate=False)
    rng = np.random.default_rng(5)
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    a = estimate_steps(g.acc_ms2, g.fs_hz)
    b = estimate_steps(g.acc_ms2 @ q.T, g.fs_hz)
    assert abs(a.n_steps - b.n_steps) <= 1


@pytest.mark.parametrize("noise", [0.1, 1.0, 2.5])
def test_noise(noise):
    g = synth_gait([GaitSegment(40, "run", 165)], Placement.WAIST, seed=12, noise_ms2=noise)
    err, _ = score(g, estimate_steps(g.acc_ms2, g.fs_hz))
    assert abs(err) <= 5.0


def test_step_times_match_the_truth():
    g = synth_gait([GaitSegment(40, "run", 170)], Placement.WAIST, seed=13)
    res = estimate_steps(g.acc_ms2, g.fs_hz)
    # every true step has a detected step within a third of a step period (a constant lag is allowed)
    d = np.abs(res.step_times_s[:, None] - g.step_times_s[None, :]).min(axis=0)
    assert np.mean(d < 0.33 * 60 / 170) >= 0.95


def test_standing_still_gives_no_steps():
    g = synth_gait([GaitSegment(60, "still")], Placement.POCKET, seed=14)
    res = estimate_steps(g.acc_ms2, g.fs_hz)
    assert res.n_steps == 0
    assert res.walking_time_s == 0 and res.running_time_s == 0
    assert np.isnan(res.median_cadence_spm)
    assert not res.window_stepping.any()


def test_constant_and_short_input_give_empty_results():
    const = np.tile([0.0, 0.0, 9.81], (3000, 1))
    assert estimate_steps(const, 100.0).n_steps == 0
    short = estimate_steps(np.tile([0.0, 0.0, 9.81], (50, 1)), 100.0)
    assert short.n_steps == 0 and len(short.step_times_s) == 0


def test_time_base_offset():
    g = synth_gait([GaitSegment(30, "run", 170)], Placement.WAIST, seed=15)
    a = estimate_steps(g.acc_ms2, g.fs_hz)
    b = estimate_steps(g.acc_ms2, g.fs_hz, t0_s=1000.0)
    np.testing.assert_allclose(b.step_times_s, a.step_times_s + 1000.0)


@pytest.mark.parametrize(
    ("acc", "fs", "match"),
    [
        (np.zeros((100, 2)), 100.0, "shape"),
        (np.zeros(100), 100.0, "shape"),
        (np.full((100, 3), np.nan), 100.0, "NaN"),
        (np.zeros((100, 3)), 0.0, "fs_hz"),
        (np.zeros((100, 3)), float("nan"), "fs_hz"),
        (np.zeros((1000, 3)), 5.0, "too low"),
        (np.full((1000, 3), 1e200), 100.0, "wrong units"),
    ],
)
def test_bad_arguments(acc, fs, match):
    with pytest.raises(ParameterError, match=match):
        estimate_steps(acc, fs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"min_spm": 250.0}, "min_spm"),
        ({"window_s": 1.0}, "window_s"),
        ({"hop_s": 0.0}, "hop_s"),
        ({"min_periodicity": 1.5}, "min_periodicity"),
        ({"running_peak_g": 0.5}, "running_peak_g"),
    ],
)
def test_options_validate_themselves(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        StepOptions(**kwargs)


@pytest.mark.shared
@pytest.mark.slow
def test_real_walks_meet_the_bars(shared_dir):
    """The issue's bars on ../shared/data/steps (scored like bench/steps_accuracy.py)."""
    from cadence.readers.accel_csv import read_accel_csv

    root = shared_dir / "data" / "steps"
    wb: dict[str, list[tuple[float, float, int]]] = {}
    with open(root / "mobgap_lab" / "wb_reference.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            wb.setdefault(r["file"], []).append(
                (float(r["start_s"]), float(r["end_s"]), int(r["n_initial_contacts"]))
            )
    errs, cerrs = [], []
    for folder in ("oxford_stepcounter", "mobgap_lab"):
        with open(root / folder / "truth.csv", newline="") as fh:
            truth = list(csv.DictReader(fh))
        for row in truth:
            rec = read_accel_csv(root / folder / row["file"])
            res = estimate_steps(rec.acc_ms2, rec.fs_hz)
            st = res.step_times_s
            if row["file"] in wb:
                n_true = sum(n for _, _, n in wb[row["file"]])
                n_det = sum(
                    int(np.sum((st >= s - (e - s) / (n - 1) / 2) & (st <= e + (e - s) / (n - 1) / 2)))
                    for s, e, n in wb[row["file"]]
                )
            else:
                n_true, n_det = int(row["steps"]), res.n_steps
                ev = np.loadtxt(root / folder / (row["file"] + ".events.csv"), skiprows=1)
                c = res.cadence_spm[(res.t_s >= ev[0]) & (res.t_s <= ev[-1])]
                cerrs.append(abs(np.nanmedian(c) - float(row["cadence_spm"])))
            errs.append(abs(100.0 * (n_det - n_true) / n_true))
    assert np.median(errs) <= 3.0
    assert max(errs) <= 10.0
    assert np.median(cerrs) <= 2.0


@settings(max_examples=12, deadline=None)
@given(
    cad=st.floats(min_value=150, max_value=200),
    place=st.sampled_from(list(Placement)),
    fs=st.sampled_from([25.0, 50.0, 100.0]),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_running_property(cad, place, fs, seed):
    """Any running cadence 150-200 spm, any placement, any orientation: within 10 %, never halved."""
    g = synth_gait([GaitSegment(40, "run", cad)], place, fs_hz=fs, seed=seed)
    res = estimate_steps(g.acc_ms2, fs)
    assert res.n_steps == pytest.approx(len(g.step_times_s), rel=0.10)
    assert res.median_cadence_spm == pytest.approx(cad, rel=0.06)
