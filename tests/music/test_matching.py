"""Pure BPM windows, matching and ordering (cadence.music.matching)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cadence.errors import ParameterError
from cadence.music.matching import (
    MULTIPLES,
    Tolerance,
    ToleranceUnit,
    bpm_windows,
    closeness_order,
    match_tempos,
    ramp_order,
)

spms = st.floats(min_value=60, max_value=300, allow_nan=False)
fractions = st.floats(min_value=0, max_value=0.3, allow_nan=False)  # tolerance as a fraction of spm


# --- windows -----------------------------------------------------------------------------------


def test_default_windows_for_172_spm():
    windows = bpm_windows(172)
    assert [w.multiple for w in windows] == [0.5, 1.0, 2.0]
    assert [(w.low_bpm, w.target_bpm, w.high_bpm) for w in windows] == [
        (84.5, 86.0, 87.5),
        (169.0, 172.0, 175.0),
        (338.0, 344.0, 350.0),
    ]


@given(spm=spms, frac=fractions)
def test_windows_scale_with_the_multiple(spm, frac):
    tol = Tolerance(frac * spm)
    windows = bpm_windows(spm, tol)
    assert tuple(w.multiple for w in windows) == MULTIPLES
    for w in windows:
        assert w.target_bpm == pytest.approx(w.multiple * spm)
        # +/-tol spm for the runner at every multiple: the BPM half-width is tol x multiple
        assert w.high_bpm - w.target_bpm == pytest.approx(tol.value * w.multiple, abs=1e-9)
        assert w.target_bpm - w.low_bpm == pytest.approx(tol.value * w.multiple, abs=1e-9)
        assert w.contains(w.target_bpm)
    for below, above in zip(windows, windows[1:], strict=False):
        assert below.high_bpm < above.low_bpm


@given(spm=spms, pct=st.floats(min_value=0, max_value=33, allow_nan=False))
def test_percent_tolerance_is_a_share_of_each_centre(spm, pct):
    for w in bpm_windows(spm, Tolerance(pct, ToleranceUnit.PERCENT)):
        assert w.high_bpm - w.target_bpm == pytest.approx(w.target_bpm * pct / 100)
        assert w.target_bpm - w.low_bpm == pytest.approx(w.target_bpm * pct / 100)


@given(spm=spms, from_spm=spms, frac=st.floats(min_value=0, max_value=0.05))
def test_ramp_windows_span_warm_up_to_target(spm, from_spm, frac):
    lo, hi = sorted((spm, from_spm))
    tol = Tolerance(frac * spm)
    # 1/2x reaches (hi + T) / 2, 1x starts at lo - T (likewise 1x and 2x): apart while hi + 3T < 2 lo
    assume(abs(hi + 3 * tol.value - 2 * lo) > 1e-9 * lo)
    if hi + 3 * tol.value >= 2 * lo:
        with pytest.raises(ParameterError, match="overlap"):
            bpm_windows(spm, tol, from_spm=from_spm)
        return
    for w in bpm_windows(spm, tol, from_spm=from_spm):
        assert w.target_bpm == pytest.approx(w.multiple * spm)
        assert w.low_bpm == pytest.approx(w.multiple * (lo - tol.value))
        assert w.high_bpm == pytest.approx(w.multiple * (hi + tol.value))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cadence_spm": 0}, "cadence_spm=0"),
        ({"cadence_spm": math.nan}, "cadence_spm=nan"),
        ({"cadence_spm": 1000}, "between 60 and 300"),
        ({"cadence_spm": "172"}, "cadence_spm='172'"),
        ({"cadence_spm": 172, "tolerance": Tolerance(60)}, "overlap"),
        ({"cadence_spm": 172, "from_spm": 90}, "ramp from 90 spm"),
        ({"cadence_spm": 172, "from_spm": 20}, "from_spm=20"),
    ],
)
def test_bad_window_parameters(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        bpm_windows(**kwargs)


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("3", 3.0, ToleranceUnit.BPM),
        ("2.5bpm", 2.5, ToleranceUnit.BPM),
        (" 4 BPM ", 4.0, ToleranceUnit.BPM),
        ("2%", 2.0, ToleranceUnit.PERCENT),
        ("1.5 %", 1.5, ToleranceUnit.PERCENT),
        (".5", 0.5, ToleranceUnit.BPM),
    ],
)
def test_tolerance_parse(text, value, unit):
    assert Tolerance.parse(text) == Tolerance(value, unit)


@pytest.mark.parametrize("text", ["", "-3", "abc", "3 bpms", "2%%", "nan", "3,5"])
def test_tolerance_parse_rejects(text):
    with pytest.raises(ParameterError, match="tolerance"):
        Tolerance.parse(text)


@pytest.mark.parametrize("value", [-1.0, math.nan, math.inf])
def test_tolerance_rejects_bad_values(value):
    with pytest.raises(ParameterError, match="value="):
        Tolerance(value)


def test_tolerance_percent_limit():
    with pytest.raises(ParameterError, match="33.3"):
        Tolerance(34, ToleranceUnit.PERCENT)


# --- matching -----------------------------------------------------------------------------------


def test_issue_example_picks_exactly_the_first_five():
    tempos = [172, 171, 173, 86, 344, 178, 160, 120, 95, 300]
    m = match_tempos(tempos, bpm_windows(172))
    assert m.matched.tolist() == [True] * 5 + [False] * 5
    assert m.multiple[:5].tolist() == [1, 1, 1, 0.5, 2]
    assert m.offset_spm[:5].tolist() == [0, -1, 1, 0, 0]


@given(spm=spms, frac=fractions, tempos=st.lists(st.floats(min_value=-10, max_value=800), max_size=30))
def test_match_agrees_with_the_windows(spm, frac, tempos):
    windows = bpm_windows(spm, Tolerance(frac * spm))
    m = match_tempos(tempos, windows)
    assert m.tempo_bpm.shape == (len(tempos),)
    for i, tempo in enumerate(tempos):
        inside = [w for w in windows if w.contains(tempo) and tempo > 0]
        assert len(inside) <= 1
        assert m.matched[i] == bool(inside)
        if inside:
            w = inside[0]
            assert m.multiple[i] == w.multiple
            assert m.offset_bpm[i] == pytest.approx(tempo - w.target_bpm)
            assert m.track_spm[i] == pytest.approx(tempo / w.multiple)
            assert m.offset_spm[i] == pytest.approx(m.offset_bpm[i] / w.multiple)
            assert abs(m.offset_spm[i]) <= frac * spm + 1e-9
        else:
            assert np.isnan([m.multiple[i], m.offset_spm[i], m.track_spm[i]]).all()
    assert m.n_matched == int(m.matched.sum())


@given(spm=spms, frac=fractions, d=st.floats(min_value=-0.25, max_value=0.25))
def test_same_step_offset_matches_at_every_multiple(spm, frac, d):
    # a tempo d x spm off the target (in steps) matches at all three multiples or at none
    tol = frac * spm
    assume(abs(abs(d * spm) - tol) > 1e-6 * spm)
    windows = bpm_windows(spm, Tolerance(tol))
    tempos = [mult * spm * (1 + d) for mult in MULTIPLES]
    m = match_tempos(tempos, windows)
    expected = abs(d * spm) <= tol
    assert m.matched.tolist() == [expected] * 3
    if expected:
        assert m.offset_spm == pytest.approx([d * spm] * 3)


def test_unknown_tempos_match_nothing():
    m = match_tempos([math.nan, 0, -172, math.inf], bpm_windows(172))
    assert not m.matched.any()
    assert match_tempos([], bpm_windows(172)).tempo_bpm.shape == (0,)


def test_match_rejects_2d():
    with pytest.raises(ParameterError, match="one-dimensional"):
        match_tempos([[172, 86]], bpm_windows(172))


# --- ordering -----------------------------------------------------------------------------------


def test_closeness_order_prefers_small_step_offsets_then_1x():
    tempos = [174, 86, 300, 171.5, 343, 87, 172]
    order = closeness_order(match_tempos(tempos, bpm_windows(172)))
    # offsets in spm: 174:+2, 86:0, 300:-, 171.5:-0.5, 343:-0.5, 87:+2, 172:0
    assert order.tolist() == [6, 1, 3, 4, 0, 5]


@given(spm=spms, tempos=st.lists(st.floats(min_value=1, max_value=800), max_size=40))
def test_closeness_order_is_sorted_and_complete(spm, tempos):
    m = match_tempos(tempos, bpm_windows(spm))
    order = closeness_order(m)
    assert sorted(order.tolist()) == np.flatnonzero(m.matched).tolist()
    assert np.all(np.diff(np.abs(m.offset_spm[order])) >= 0)


def test_ramp_from_warm_up_to_target():
    windows = bpm_windows(172, from_spm=160)
    tempos = [172, 150, 160, 330, 165, 80, 176]
    m = match_tempos(tempos, windows)
    assert m.matched.tolist() == [True, False, True, True, True, True, False]
    # step rates: 172, -, 160, 165, 165, 160: ascending, 1x before 2x before 1/2x on ties
    assert ramp_order(m, 160).tolist() == [2, 5, 4, 3, 0]


@given(
    spm=st.floats(min_value=140, max_value=200),
    from_spm=st.floats(min_value=120, max_value=220),
    tempos=st.lists(st.floats(min_value=1, max_value=800), max_size=40),
)
def test_ramp_order_is_monotonic_towards_the_target(spm, from_spm, tempos):
    m = match_tempos(tempos, bpm_windows(spm, from_spm=from_spm))
    order = ramp_order(m, from_spm)
    assert sorted(order.tolist()) == np.flatnonzero(m.matched).tolist()
    steps = np.diff(m.track_spm[order])
    assert np.all(steps >= 0) if spm >= from_spm else np.all(steps <= 0)


def test_ramp_order_of_nothing():
    assert ramp_order(match_tempos([50.0], bpm_windows(172, from_spm=160)), 160).size == 0


def test_docs_example_runs_and_prints_what_it_says(capsys):
    """The Python example in docs/playlist.md runs and prints the outputs written under each print()."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "playlist.md").read_text(encoding="utf-8")
    (code,) = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    expected = [line[2:] for line in code.splitlines() if line.startswith("# ")]
    exec(compile(code, "docs/playlist.md", "exec"), {})
    assert capsys.readouterr().out.splitlines() == expected
    assert len(expected) == 3


def test_public_api():
    import cadence

    assert cadence.bpm_windows is bpm_windows and cadence.Tolerance is Tolerance
    assert {"Tolerance", "bpm_windows", "match_tempos", "read_library"} <= set(cadence.__all__)
