"""Phone-ready click tracks: MP3, Ogg Opus and Ogg Vorbis keep every click on its sample.

The files are decoded (libsndfile, and ffmpeg where it is installed), the clicks found blindly (no use of
where they should be) and each onset compared with the track's exact onset.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile

from cadence.audio import export as click_export
from cadence.audio.clicks import ClickTrack, click_track
from cadence.audio.export import check_codec, default_fs_hz, write_click_track
from cadence.errors import AudioUnavailableError, ParameterError

FS_HZ = 48000
PROGRAM = "10s@172, 5s@rest, 10s@160->180"
LOSSY = [".mp3", ".opus", ".ogg"]


def find_clicks(samples: np.ndarray, wave: np.ndarray) -> np.ndarray:
    """Onsets of clicks in decoded (lossy) audio, found without knowing where they should be.

    A click starts where the signal first exceeds a quarter of the loudest peak after at least 50 ms of
    quiet; the onset is then refined to the lag (within +/-64 samples) best matching the click's waveform.
    """
    env = np.abs(samples)
    loud = np.flatnonzero(env > 0.25 * env.max())
    quiet = int(0.05 * FS_HZ)
    starts = loud[np.concatenate([[True], np.diff(loud) > quiet])]
    onsets = []
    for s in starts.tolist():
        lo = max(0, s - 64)
        seg = samples[lo : s + 64 + len(wave)]
        corr = np.correlate(seg, wave, mode="valid")
        onsets.append(lo + int(np.argmax(corr)))
    return np.asarray(onsets, dtype=np.int64)


def onset_offsets(samples: np.ndarray, track: ClickTrack) -> np.ndarray:
    ideal, _ = track.onsets(0, track.n_samples or 0)
    found = find_clicks(samples, track._waves[0])
    assert len(found) == len(ideal)  # no click lost or doubled
    return found - ideal


@pytest.fixture(scope="module")
def track() -> ClickTrack:
    return click_track(PROGRAM, FS_HZ)


@pytest.mark.parametrize("suffix", LOSSY)
def test_lossy_export_keeps_clicks_on_the_grid(tmp_path: Path, track: ClickTrack, suffix: str) -> None:
    report = write_click_track(track, tmp_path / f"session{suffix}", tags={"title": "01 Cadence 172 spm"})
    info = soundfile.info(report.path)
    assert (info.format, info.subtype) == click_export.FORMATS[suffix]
    data, fs = soundfile.read(report.path, dtype="float32")
    assert fs == FS_HZ and len(data) == track.n_samples  # the codec delay is taken off again on decoding
    offsets = onset_offsets(data, track)
    assert np.all(np.abs(offsets) <= 2), offsets  # measured: 0 for every click with libsndfile 1.2.2
    wav_bytes = 2 * track.n_samples
    assert Path(report.path).stat().st_size < wav_bytes / 8


def test_mp3_at_its_default_rate(tmp_path: Path) -> None:
    """MP3 exports default to 24 kHz (MPEG-2): the clicks are as exact on that grid."""
    path = tmp_path / "session.mp3"
    assert default_fs_hz(path) == 24000 and default_fs_hz(tmp_path / "x.opus") == 48000
    track24 = click_track(PROGRAM, 24000)
    write_click_track(track24, path)
    data, fs = soundfile.read(path, dtype="float32")
    assert fs == 24000 and len(data) == track24.n_samples
    ideal, _ = track24.onsets(0, track24.n_samples or 0)
    found = find_clicks(data, track24._waves[0])
    assert np.array_equal(found, ideal)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
@pytest.mark.parametrize("suffix", [".mp3", ".opus"])
def test_another_decoder_agrees_and_the_raw_delay_is_constant(
    tmp_path: Path, track: ClickTrack, suffix: str
) -> None:
    """ffmpeg honours the delay the file declares (LAME header, Opus pre-skip); a player that ignores it
    (``-flags2 +skip_manual``) hears every click late by the same codec delay, none off the grid."""
    path = write_click_track(track, tmp_path / f"session{suffix}").path

    def ffmpeg(*flags: str) -> np.ndarray:
        cmd = ["ffmpeg", "-v", "error", *flags, "-i", path, "-f", "f32le", "-ac", "1", "-ar", str(FS_HZ), "-"]
        return np.frombuffer(subprocess.run(cmd, capture_output=True, check=True).stdout, dtype="<f4")

    trimmed = ffmpeg()
    assert len(trimmed) == track.n_samples
    assert np.all(np.abs(onset_offsets(trimmed, track)) <= 2)
    raw = onset_offsets(ffmpeg("-flags2", "+skip_manual"), track)
    assert 0 < raw.min() and raw.max() - raw.min() <= 2  # one delay for all: measured 1105 (MP3), 312 (Opus)


def test_opus_needs_an_opus_rate(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="48000"):
        write_click_track(click_track("5s@172", 44100), tmp_path / "x.opus")
    assert not (tmp_path / "x.opus").exists()
    assert check_codec(".mp3", 44100) == ("MP3", "MPEG_LAYER_III")


def test_old_libsndfile_is_refused_with_a_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(soundfile, "__libsndfile_version__", "1.0.31")
    with pytest.raises(
        AudioUnavailableError, match=r"libsndfile >= 1\.1, found 1\.0\.31: `pip install -U soundfile`"
    ):
        check_codec(".mp3", 48000)
    assert check_codec(".flac", 48000) == ("FLAC", "PCM_16")  # lossless needs no new libsndfile
