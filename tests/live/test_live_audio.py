"""The cue through real PortAudio into the virtual sound card (../shared/audio): clicks only while cued."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO, run_cadence

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "audio"))  # the sound-card fixture's module
from test_playback import Capture, capture, detect_onsets  # noqa: E402, F401

EXCERPT = REPO / "tests" / "data" / "oxford_backpocket_excerpt.csv"


@pytest.mark.audio
def test_cue_metronome_plays_only_while_cued(capture: Capture) -> None:  # noqa: F811
    from cadence.live.feedback import CueMetronome

    fs = capture.rate_hz
    met = CueMetronome(150.0, samplerate=fs, channels=capture.channels)
    met.start()
    time.sleep(1.0)  # cue off: silence
    met.set(True)
    time.sleep(2.0)
    met.set(False)
    time.sleep(1.5)
    met.set(True, 160.0)  # a plan block at another tempo
    time.sleep(1.5)
    report = met.close()
    assert report.underflows == 0
    found = detect_onsets(capture.read_new())
    assert len(found) == report.clicks
    assert 8 <= report.clicks <= 10  # about 2 s at 150 and 1.5 s at 160 BPM
    gaps = np.diff(found) / fs
    beat = gaps < 0.5
    # on the grid while playing (150 then 160 BPM), one long silence for the pause
    assert np.all(np.isclose(gaps[beat], 60 / 150, atol=1e-3) | np.isclose(gaps[beat], 60 / 160, atol=1e-3))
    assert (~beat).sum() == 1 and 1.2 < gaps[~beat][0] < 2.0
    assert np.isclose(gaps[-1], 60 / 160, atol=1e-3)


@pytest.mark.audio
def test_cli_live_drives_the_metronome(capture: Capture) -> None:  # noqa: F811
    r = run_cadence(
        "live", "--replay", str(EXCERPT), "--target", "150", "--cue", "always", "--duration", "4s",
        "--samplerate", str(capture.rate_hz), "--channels", str(capture.channels), "--json", timeout=60,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    summ = json.loads(r.stdout)
    assert summ["cue_on_s"] == 4
    clicks = summ["metronome"]["clicks"]
    assert clicks == pytest.approx(4 * 150 / 60, abs=2)
    found = detect_onsets(capture.read_new())
    assert len(found) == clicks
    assert np.allclose(np.diff(found) / capture.rate_hz, 0.4, atol=1e-3)
