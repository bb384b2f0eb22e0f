"""Audible block changes (``--announce``): rising/falling beeps inside the silent blocks, clicks intact."""

from __future__ import annotations

import numpy as np
import pytest

from cadence.audio.announce import BEEP_S, GAP_S, LEAD_S, announce_tones, announced
from cadence.audio.clicks import click_track
from cadence.cli import cli
from cadence.cli._common import run_cli

FS_HZ = 16000


def beep_pitches_hz(tones: np.ndarray) -> tuple[float, float]:
    n_beep = round(BEEP_S * FS_HZ)
    halves = tones[:n_beep], tones[-n_beep:]
    freqs = np.fft.rfftfreq(8 * n_beep, 1 / FS_HZ)
    return tuple(float(freqs[np.argmax(np.abs(np.fft.rfft(h, 8 * n_beep)))]) for h in halves)  # type: ignore[return-value]


def test_rising_and_falling_are_mirror_images() -> None:
    up, down = announce_tones(FS_HZ, True), announce_tones(FS_HZ, False)
    assert len(up) == len(down) == round((2 * BEEP_S + GAP_S) * FS_HZ)
    lo, hi = beep_pitches_hz(up)
    assert lo == pytest.approx(660, abs=10) and hi == pytest.approx(990, abs=10)
    assert beep_pitches_hz(down) == pytest.approx((hi, lo))
    assert np.max(np.abs(up)) == pytest.approx(10 ** (-9 / 20), rel=0.01)


def test_patterns_sit_in_the_silent_blocks_and_leave_the_clicks_alone() -> None:
    track = click_track("3s@rest, 4s@172, 3s@rest, 4s@172", FS_HZ)
    ann = announced(track)
    changes = track.cue_changes()
    assert [on for _, on in changes] == [True, False, True]
    assert [rising for _, rising in ann.tones] == [True, False, True]
    n = track.n_samples
    assert n is not None
    extra = ann.render(0, n) - track.render(0, n)
    n_tone, lead = len(announce_tones(FS_HZ, True)), round(LEAD_S * FS_HZ)
    clicks, _ = track.onsets(0, n)
    click_len = track.max_click_len
    for (at, rising), (change, cue_on) in zip(ann.tones, changes, strict=True):
        assert rising == cue_on
        if rising:  # ends LEAD_S before the first click of the cued block
            assert at + n_tone + lead == change and change in clicks.tolist()
        else:  # starts on the first silent beat, after the last click has rung out
            assert at == change and clicks[clicks < change][-1] + click_len <= at
        assert not np.any((clicks + click_len > at) & (clicks < at + n_tone))  # no click under a pattern
        assert np.any(extra[at : at + n_tone] != 0)
    mask = np.zeros(n, dtype=bool)
    for at, _ in ann.tones:
        mask[at : at + n_tone] = True
    assert np.all(extra[~mask] == 0)  # outside the patterns the samples are the click track's
    # rendering in blocks gives the same samples
    blocks = np.concatenate([ann.render(a, min(a + 999, n)) for a in range(0, n, 999)])
    assert np.array_equal(blocks, ann.render(0, n))


def test_announce_needs_an_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(cli, ["metronome", "172", "--announce"]) == 2
    assert "--announce works with --output" in capsys.readouterr().err
