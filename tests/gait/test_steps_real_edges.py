"""The step detector on real walks at its edges: short walks amid standing, gravity-free input (issue 12)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cadence.gait.steps import estimate_steps
from cadence.readers._accel import G_MS2

DATA = Path(__file__).resolve().parents[1] / "data"
EXCERPT = DATA / "oxford_backpocket_excerpt.csv"


@pytest.fixture(scope="module")
def walk() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The real back-pocket walk at 100 Hz (t_s, acc_ms2) and its pressure-pad step times."""
    raw = np.loadtxt(EXCERPT, delimiter=",", skiprows=1)
    t = np.arange(0.0, raw[-1, 0] - raw[0, 0], 0.01)
    acc = np.column_stack([np.interp(t, raw[:, 0] - raw[0, 0], raw[:, k]) for k in (1, 2, 3)])
    truth = np.loadtxt(DATA / "oxford_backpocket_excerpt.csv.events.csv", skiprows=1) - raw[0, 0]
    return t, acc, truth


def standing(n: int, gravity: np.ndarray, seed: int) -> np.ndarray:
    return np.tile(gravity, (n, 1)) + np.random.default_rng(seed).normal(0.0, 0.03, (n, 3))


@pytest.mark.parametrize("pad_s", [2.0, 4.0, 8.0])
@pytest.mark.parametrize("start_s", [3.0, 12.0])
def test_short_walk_between_standing_keeps_its_cadence(walk, pad_s, start_s):
    """About 20 steps with standing before and after: no steps in the standing, the walk's own cadence."""
    t, acc, truth = walk
    m = (t >= start_s) & (t < start_s + 10.0)
    g = acc[m].mean(axis=0)
    n_pad = int(pad_s * 100)
    data = np.vstack([standing(n_pad, g, 1), acc[m], standing(n_pad, g, 2)])
    res = estimate_steps(data, 100.0)
    true = truth[(truth >= start_s) & (truth < start_s + 10.0)]
    assert abs(res.n_steps - len(true)) <= 2, (res.n_steps, len(true))
    # the steps lie inside the walk, not in the standing
    assert res.step_times_s.min() > pad_s - 0.7 and res.step_times_s.max() < pad_s + 10.7
    true_spm = 60.0 * (len(true) - 1) / np.ptp(true)
    assert np.nanmedian(res.cadence_spm) == pytest.approx(true_spm, abs=4.0)


def test_gravity_free_walk_is_not_doubled(walk):
    """A real walk with gravity removed (a 1 s moving mean, as a phone's 'linear acceleration' does)."""
    from scipy.ndimage import uniform_filter1d

    t, acc, truth = walk
    linear = acc - uniform_filter1d(acc, size=100, axis=0, mode="nearest")
    assert np.linalg.norm(linear.mean(axis=0)) < 0.05 * G_MS2  # no gravity left
    res = estimate_steps(linear, 100.0, gravity_included=False)
    assert abs(res.n_steps - len(truth)) <= 0.05 * len(truth)
    true_spm = 60.0 * (len(truth) - 1) / np.ptp(truth)
    assert np.nanmedian(res.cadence_spm) == pytest.approx(true_spm, abs=4.0)


@pytest.mark.shared
def test_real_linear_acceleration_walk_reads_walking(shared_dir):
    """phyphox 'Linear Acceleration' (t2koan07): its first minute is walking (windows at 100-135 spm)."""
    import warnings

    from cadence.readers.accel_csv import read_accel_csv

    path = shared_dir / "data" / "formats" / "phyphox" / "t2koan07__Accelerometer.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rec = read_accel_csv(path)
    assert not rec.gravity_included
    m = rec.t_s < 60.0
    res = estimate_steps(rec.acc_ms2[m], rec.fs_hz, gravity_included=False)
    cad = np.nanmedian(res.cadence_spm)
    assert 100.0 <= cad <= 135.0, cad
