"""Click-track export to WAV/FLAC: read back with soundfile, same samples and onsets as live playback."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import soundfile

from cadence.audio.clicks import ClickOptions, ClickSound, click_track
from cadence.audio.export import write_click_track
from cadence.errors import OutputExistsError, ParameterError

GAP = 16


def detect_onsets(samples: np.ndarray) -> list[int]:
    nz = np.flatnonzero(samples != 0)
    prev = np.concatenate([[-(10**9)], nz[:-1]])
    return nz[nz - prev > GAP].tolist()


@pytest.mark.parametrize("suffix", [".wav", ".flac"])
@pytest.mark.parametrize("fs_hz", [44100, 48000])
def test_round_trip(tmp_path: Path, suffix: str, fs_hz: int) -> None:
    options = ClickOptions(sound=ClickSound.CLICK, accent_every=4)
    track = click_track("20s@165, 10s@rest, 30s@165->175", fs_hz, options)
    report = write_click_track(track, tmp_path / f"track{suffix}")
    info = soundfile.info(report.path)
    assert info.samplerate == fs_hz and info.channels == 1 and info.subtype == "PCM_16"
    assert info.format == ("WAV" if suffix == ".wav" else "FLAC")
    data, fs = soundfile.read(report.path, dtype="float32")
    assert fs == fs_hz and len(data) == track.n_samples == report.frames
    rendered = track.render(0, track.n_samples)
    # the file holds the live samples, quantized to 16 bits
    assert np.max(np.abs(data - rendered)) <= 1.0 / 32768 + 1e-7
    onsets, _ = track.onsets(0, track.n_samples)
    assert detect_onsets(data) == onsets.tolist()
    assert report.clicks == len(onsets)
    # the first segment's clicks on the exact grid: round(k * 60 * fs / 165)
    first = [x for x in onsets.tolist() if x < 20 * fs_hz]
    assert first == [int(Fraction(k * 60 * fs_hz, 165) + Fraction(1, 2)) for k in range(len(first))]


def test_export_is_faster_than_real_time(tmp_path: Path) -> None:
    track = click_track(171, 48000, duration_s=600)
    report = write_click_track(track, tmp_path / "ten_minutes.flac")
    assert report.duration_s == 600
    assert report.speed_factor > 20  # measured ~1500x here; generous for a busy CI machine


def test_no_overwrite_without_force(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    path.write_bytes(b"keep me")
    track = click_track(170, 48000, duration_s=1)
    with pytest.raises(OutputExistsError):
        write_click_track(track, path)
    assert path.read_bytes() == b"keep me"
    write_click_track(track, path, force=True)
    assert soundfile.info(str(path)).frames == 48000
    assert [p.name for p in tmp_path.iterdir()] == ["a.wav"]  # no temporary file left behind


@pytest.mark.parametrize(
    ("name", "duration_s", "match"),
    [
        ("a.aiff", 1.0, "use .wav, .flac, .mp3"),
        ("a", 1.0, "use .wav, .flac, .mp3"),
        ("a.wav", None, "open-ended"),
    ],
)
def test_export_errors(tmp_path: Path, name: str, duration_s: float | None, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        write_click_track(click_track(170, 48000, duration_s=duration_s), tmp_path / name)
    assert not any(tmp_path.iterdir())
