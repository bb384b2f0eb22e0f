"""A live session fed chunk by chunk: cadence, band state, cue, per-second rows and the summary."""

from __future__ import annotations

import numpy as np
import pytest

from cadence.coach.band import TargetBand
from cadence.gait.synth import GaitSegment, synth_gait
from cadence.live.session import (
    BandState,
    CueMode,
    CueOptions,
    LiveSession,
    LiveState,
    band_state,
    format_live_line,
)
from cadence.live.sources import AccelChunk, CadenceChunk


def feed(session: LiveSession, t, acc, chunk_s=0.1, fs=100.0):
    n = int(chunk_s * fs)
    states = []
    for i in range(0, len(t), n):
        session.add(AccelChunk(t[i : i + n], acc[i : i + n]))
        states.append(session.tick())
    session.finish()
    return states


@pytest.fixture(scope="module")
def crossing():
    """Running below the band, then in it: 40 s at 160 spm, 60 s at 176 spm (band 170-180)."""
    g = synth_gait([GaitSegment(40, "run", 160), GaitSegment(60, "run", 176)], "pocket", seed=11)
    s = LiveSession(TargetBand(170, 180))
    states = feed(s, g.t_s + 1000.0, g.acc_ms2)  # any origin: the session starts at its first sample
    return g, s, states


def test_cue_follows_the_band_on_a_crossing_run(crossing):
    g, s, _ = crossing
    rows = s.rows
    assert len(rows) == int(g.t_s[-1])
    first_below = next(r.t_s for r in rows if r.band is BandState.BELOW)
    first_on = next(r.t_s for r in rows if r.cue)
    assert first_on - first_below == pytest.approx(9, abs=1)  # on in the 10th second out of the band
    first_in = next(r.t_s for r in rows if r.band is BandState.IN)
    assert 40 <= first_in <= 44
    off = next(r.t_s for r in rows if r.t_s > first_on and not r.cue)
    assert off - first_in == pytest.approx(19, abs=1)
    assert not any(r.cue for r in rows if r.t_s > off)


def test_summary_matches_the_offline_analysis(crossing):
    g, s, _ = crossing
    from cadence.gait.steps import estimate_steps

    off = estimate_steps(g.acc_ms2, g.fs_hz)
    summ = s.summary()
    assert summ["n_steps"] == pytest.approx(off.n_steps, rel=0.01)
    assert summ["cadence_median_spm"] == pytest.approx(off.median_cadence_spm, abs=2.0)
    assert summ["below_pct"] + summ["in_band_pct"] + summ["above_pct"] == pytest.approx(100.0)
    assert 30 < summ["below_pct"] < 45 and summ["in_band_pct"] > 50
    assert summ["cue_on_s"] == sum(r.cue for r in s.rows)
    assert summ["report_delay_median_s"] <= 0.5
    assert summ["stream"]["samples"] == len(g.t_s)
    assert np.all(np.diff(s.step_times_s) > 0) and s.step_times_s[0] >= 0


def test_live_cadence_tracks_the_truth(crossing):
    g, s, states = crossing
    late = [st for st in states if 20 < st.elapsed_s < 38]
    assert np.median([st.cadence_spm for st in late]) == pytest.approx(160, abs=3)
    late = [st for st in states if 60 < st.elapsed_s < 98]
    assert np.median([st.cadence_spm for st in late]) == pytest.approx(176, abs=3)


def test_cadence_chunks_from_a_device():
    s = LiveSession(TargetBand(168, 176), CueOptions(CueMode.ALWAYS), 172)
    t = np.arange(0, 60.0)
    cad = np.where(t < 30, 160.0, 172.0)
    s.add(CadenceChunk(t[:30], cad[:30], np.full(30, 3.0)))
    s.add(CadenceChunk(t[25:], cad[25:], np.full(35, 3.0)))  # overlapping: old readings dropped
    s.finish()
    assert [r.band for r in s.rows[5:25]] == [BandState.BELOW] * 20
    assert all(r.band is BandState.IN for r in s.rows[35:])
    summ = s.summary()
    assert summ["n_steps"] is None and summ["cue_on_s"] == len(s.rows)


def test_band_state_and_line():
    band = TargetBand(168, 176)
    assert band_state(float("nan"), band) is BandState.NONE
    assert band_state(0.0, band) is BandState.NONE
    assert band_state(168.0, band) is BandState.IN and band_state(176.0, band) is BandState.IN
    assert band_state(167.9, band) is BandState.BELOW and band_state(180, band) is BandState.ABOVE
    line = format_live_line(LiveState(754.0, 165.2, BandState.BELOW, True, 172.0, 2012), band, "reconnecting")
    assert (
        line.split()
        == "12:34 165.2 spm band 168-176 spm BELOW cue ON 172 bpm 2012 steps | reconnecting".split()
    )
    line = format_live_line(LiveState(5.0, float("nan"), BandState.NONE, False, 172.0, 0, "warmup"), band)
    assert "no steps" in line and "cue off" in line and "[warmup]" in line
