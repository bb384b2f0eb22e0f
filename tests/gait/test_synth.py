"""The running-signal generator: known steps, reproducible, validated parameters."""

from __future__ import annotations

import numpy as np
import pytest

from cadence.errors import ParameterError
from cadence.gait.synth import GaitSegment, Placement, synth_gait


@pytest.mark.parametrize("cad", [150.0, 175.0, 200.0])
def test_step_count_follows_the_cadence(cad):
    g = synth_gait([GaitSegment(60, "run", cad)], Placement.WAIST, seed=1)
    assert len(g.step_times_s) == pytest.approx(cad, abs=2)
    assert 60 / np.median(np.diff(g.step_times_s)) == pytest.approx(cad, rel=0.03)


def test_cadence_ramp_and_still_segments():
    g = synth_gait(
        [GaitSegment(10, "still"), GaitSegment(60, "run", 150, 190), GaitSegment(10, "still")], "shoe", seed=2
    )
    assert g.step_times_s.min() >= 10 and g.step_times_s.max() <= 70
    d = np.diff(g.step_times_s)
    assert 60 / np.median(d[:20]) < 60 / np.median(d[-20:])  # faster at the end
    assert g.running_time_s == pytest.approx(60, abs=3)
    still = g.acc_ms2[: int(5 * g.fs_hz)]
    assert np.linalg.norm(still, axis=1).mean() == pytest.approx(9.81, abs=0.2)


def test_reproducible_and_seed_dependent():
    segs = [GaitSegment(20, "run", 170)]
    a = synth_gait(segs, Placement.WRIST, seed=3)
    b = synth_gait(segs, Placement.WRIST, seed=3)
    c = synth_gait(segs, Placement.WRIST, seed=4)
    np.testing.assert_array_equal(a.acc_ms2, b.acc_ms2)
    assert not np.allclose(a.acc_ms2, c.acc_ms2)


def test_sides_alternate_and_shoe_sees_one_foot():
    g = synth_gait([GaitSegment(30, "run", 170)], Placement.SHOE, seed=5, rotate=False, noise_ms2=0.0)
    assert np.all(np.diff(g.step_side) != 0)
    # the heel-strike impact rings at ~20 Hz: look at the jerk just after each step
    jerk = np.abs(np.diff(np.linalg.norm(g.acc_ms2, axis=1)))
    idx = np.round(g.step_times_s * g.fs_hz).astype(int)
    win = int(0.05 * g.fs_hz)
    peaks = np.array([jerk[i : i + win].max() for i in idx[2:-2]])
    side = g.step_side[2:-2]
    assert peaks[side == 0].mean() > 1.5 * peaks[side == 1].mean()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"segments": []}, "segments"),
        ({"fs_hz": 5.0}, "fs_hz"),
        ({"asymmetry": 0.9}, "asymmetry"),
    ],
)
def test_bad_parameters(kwargs, match):
    args = {"segments": [GaitSegment(10, "run", 170)], **kwargs}
    with pytest.raises(ParameterError, match=match):
        synth_gait(**args)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"duration_s": 0}, "duration_s"),
        ({"activity": "swim"}, "activity"),
        ({"cadence_spm": 400}, "cadence"),
    ],
)
def test_segment_validates(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        GaitSegment(**{"duration_s": 10, **kwargs})
