"""The cue state machine, second by second: off-band, always, plan blocks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cadence.coach.plan import parse_program
from cadence.errors import ParameterError
from cadence.live.session import BandState, CueMachine, CueMode, CueOptions

IN, BELOW, ABOVE, NONE = BandState.IN, BandState.BELOW, BandState.ABOVE, BandState.NONE


def run(machine: CueMachine, states, t0: int = 1) -> list[bool]:
    return [machine.step(float(t0 + i), s) for i, s in enumerate(states)]


def test_off_band_on_after_10_s_out_off_after_20_s_in():
    m = CueMachine()
    cue = run(m, [IN] * 30 + [BELOW] * 15 + [IN] * 25)
    assert not any(cue[:30])
    assert cue[30:39] == [False] * 9 and cue[39] is True  # the 10th second out of the band
    assert all(cue[39:45])
    assert all(cue[45:64]) and cue[64] is False  # the 20th second back in
    assert not any(cue[64:])


def test_short_excursions_and_short_returns_do_not_toggle():
    m = CueMachine()
    cue = run(m, ([ABOVE] * 9 + [IN]) * 5)
    assert not any(cue)
    m = CueMachine()
    cue = run(m, [BELOW] * 10 + ([IN] * 19 + [BELOW]) * 4)
    assert all(cue[9:])


def test_not_stepping_counts_neither_way():
    m = CueMachine()
    cue = run(m, [BELOW] * 6 + [NONE] * 30 + [BELOW] * 4)
    assert cue[-1] is True and not any(cue[:-1])


def test_always():
    m = CueMachine(CueOptions(CueMode.ALWAYS))
    assert all(run(m, [IN, NONE, ABOVE]))


def test_custom_timings():
    m = CueMachine(CueOptions(on_after_s=3, off_after_s=5))
    cue = run(m, [ABOVE] * 3 + [IN] * 5)
    assert cue == [False, False, True, True, True, True, True, False]


def test_plan_blocks_cued_silent_and_off_band_inside_silent():
    segs = parse_program("1m@silent, 2m@172, 2m@silent")
    m = CueMachine(CueOptions(CueMode.PLAN, segments=segs))
    # warm-up: below the band, but no cue; cued block: on whatever the cadence; silent block: off-band
    cue = run(m, [BELOW] * 60 + [IN] * 120 + [IN] * 30 + [BELOW] * 30, t0=0)
    assert not any(cue[:60])
    assert all(cue[60:180])
    assert not any(cue[180:210])  # the silent block starts silent
    assert not any(cue[210:219]) and all(cue[219:240])  # drifting out for 10 s brings the cue back
    assert m.block(61.0).role == "cued" and m.block(200.0).role == "silent"


def test_options_validated():
    with pytest.raises(ParameterError, match="segments"):
        CueOptions(CueMode.PLAN)
    with pytest.raises(ParameterError):
        CueOptions(on_after_s=-1)


@given(st.lists(st.sampled_from([IN, BELOW, ABOVE, NONE]), max_size=200))
def test_cue_comes_on_only_after_enough_time_out(states):
    m = CueMachine()
    cue = run(m, states)
    out = 0
    inside = 0
    was = False
    for s, c in zip(states, cue, strict=True):
        if s in (BELOW, ABOVE):
            out, inside = out + 1, 0
        elif s is IN:
            out, inside = 0, inside + 1
        if c and not was:
            assert out >= 10
        if was and not c:
            assert inside >= 20
        was = c
