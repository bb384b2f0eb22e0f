"""Live playback end to end: real PortAudio into the virtual sound card of ../shared/audio.

The card (``eval "$(../shared/audio/setup_audio.sh)"``, done by ``.ci/run``) captures what the stream sends to
the device, at real-time pace, into one WAV per stream. These tests skip cleanly without it.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from cadence.audio.clicks import ClickOptions, ClickSound, click_track
from cadence.errors import AudioUnavailableError, ParameterError
from conftest import run_cadence

GAP = 16


def _portaudio_or_skip():
    from cadence.audio import playback

    try:
        playback._sounddevice()
    except AudioUnavailableError as exc:
        pytest.skip(str(exc))
    return playback


class Capture:
    """The virtual sound card's capture directory (paced: one session-NNNN.wav per stream)."""

    def __init__(self, directory: Path, mode: str, rate_hz: int, channels: int) -> None:
        self.dir, self.mode, self.rate_hz, self.channels = directory, mode, rate_hz, channels
        self._before: set[str] = set()

    def mark(self) -> None:
        self._before = {p.name for p in self.dir.glob("session-*.wav")}

    def read_new(self, timeout_s: float = 10.0) -> np.ndarray:
        """The samples of the stream that closed since :meth:`mark` (int16, first channel)."""
        import soundfile

        if self.mode == "fast":
            path = self.dir / "capture.wav"
        else:
            deadline = time.monotonic() + timeout_s
            while True:
                new = sorted({p.name for p in self.dir.glob("session-*.wav")} - self._before)
                if new:
                    path = self.dir / new[-1]
                    break
                if time.monotonic() > deadline:
                    pytest.fail(f"no new capture in {self.dir} after {timeout_s} s (is the pacer running?)")
                time.sleep(0.05)
        data, fs = soundfile.read(path, dtype="int16", always_2d=True)
        assert fs == self.rate_hz
        return data[:, 0]


@pytest.fixture
def capture() -> Capture:
    directory = os.environ.get("AUDIO_CAPTURE_DIR")
    if not directory or not Path(directory).is_dir() or not os.environ.get("XDG_CONFIG_HOME"):
        pytest.skip('no virtual sound card: run `eval "$(../shared/audio/setup_audio.sh)"` first')
    mode = os.environ.get("AUDIO_CAPTURE_MODE", "paced")
    pid = os.environ.get("AUDIO_PACER_PID")
    if mode != "fast":
        try:
            os.kill(int(pid or "0"), 0)
        except (OSError, ValueError):
            pytest.fail(f"AUDIO_PACER_PID={pid!r} is not running: opening the device would block")
    _portaudio_or_skip()
    cap = Capture(
        Path(directory), mode, int(os.environ.get("AUDIO_CAPTURE_RATE", "48000")),
        int(os.environ.get("AUDIO_CAPTURE_CHANNELS", "1")),
    )  # fmt: skip
    cap.mark()
    return cap


def detect_onsets(samples: np.ndarray) -> np.ndarray:
    nz = np.flatnonzero(samples != 0)
    prev = np.concatenate([[-(10**9)], nz[:-1]])
    return nz[nz - prev > GAP]


@pytest.mark.audio
def test_live_clicks_arrive_on_the_grid_through_a_nudge(capture: Capture) -> None:
    from cadence.audio.playback import Player

    fs = capture.rate_hz
    track = click_track(171, fs, duration_s=12.0)
    with Player(track, channels=capture.channels) as player:
        while player.elapsed_s < 6.0 and not player.wait(0.05):
            pass
        player.nudge(+1)  # 171 -> 172 BPM from the next beat not yet sent
        assert player.wait(30.0), "the stream did not finish"
    report = player.close()
    assert report.finished
    assert report.underflows == 0
    assert report.frames == track.n_samples

    samples = capture.read_new()
    found = detect_onsets(samples)
    ideal, _ = report.track.onsets(0, report.frames)  # the grid as played, nudge included
    assert report.track.offset_bpm == 1
    # all clicks arrive (the capture starts with a buffer of silence: align on the first click)
    assert len(found) == len(ideal) == report.clicks
    offsets_ms = (found - found[0] - ideal) * 1000.0 / fs
    assert np.max(np.abs(offsets_ms)) <= 1.0, f"click positions off by up to {np.max(np.abs(offsets_ms))} ms"
    # every interval within 1 ms of ideal: 60/171 s before the nudge, 60/172 s after it
    intervals_s = np.diff(found) / fs
    expected_s = np.diff(ideal) / fs
    assert np.max(np.abs(intervals_s - expected_s)) <= 1e-3
    assert np.isclose(intervals_s[0], 60 / 171, atol=1e-3) and np.isclose(
        intervals_s[-1], 60 / 172, atol=1e-3
    )
    # and the clicks are the synthesised ones (16-bit capture of the float stream)
    start = found[0]
    sent = track.render(0, 2 * fs)
    got = samples[start : start + 2 * fs].astype(np.float64) / 32768.0
    assert np.max(np.abs(got - sent[: len(got)])) < 2.0 / 32768.0


@pytest.mark.audio
def test_cli_plays_a_program_and_reads_nothing_from_stdin(capture: Capture) -> None:
    fs = capture.rate_hz
    program = "2s@160, 1s@rest, 2s@180"
    proc = run_cadence(
        "metronome", "--program", program, "--samplerate", str(fs), "--channels", str(capture.channels),
        "--sound", "click", "--json",
        input="+++q\n",  # stdin is not a terminal: these keys must be ignored
        timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["underflows"] == 0
    assert summary["finished"] is True
    assert summary["nudge_bpm"] == 0
    track = click_track(program, fs)
    assert summary["played_s"] == pytest.approx(track.n_samples / fs, abs=1e-3)
    ideal, _ = track.onsets(0, track.n_samples)
    assert summary["clicks"] == len(ideal)

    found = detect_onsets(capture.read_new())
    assert len(found) == len(ideal)
    assert np.max(np.abs(found - found[0] - ideal)) * 1000.0 / fs <= 1.0


# --- without the sound card (PortAudio is enough) ---------------------------------------------------------


def test_unknown_device_is_a_parameter_error() -> None:
    playback = _portaudio_or_skip()
    with pytest.raises((ParameterError, AudioUnavailableError)):
        playback.output_device("no such device 4711")


def test_device_list_is_a_list_of_output_devices() -> None:
    playback = _portaudio_or_skip()
    found = playback.list_output_devices()
    assert all(d.max_output_channels >= 1 for d in found)
    assert sum(d.is_default for d in found) <= 1


def test_player_checks_its_options() -> None:
    playback = _portaudio_or_skip()
    track = click_track(170, 48000, duration_s=1)
    with pytest.raises(ParameterError, match="channels"):
        playback.Player(track, channels=0)
    with pytest.raises(ParameterError, match="latency"):
        playback.Player(track, latency="fast")
    with pytest.raises(ParameterError, match="length"):
        playback.play(click_track(170, 48000))


def test_missing_portaudio_is_one_line_with_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # what sounddevice does when libportaudio cannot be loaded: raise OSError on import
    (tmp_path / "sounddevice.py").write_text("raise OSError('PortAudio library not found')\n")
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    )
    for args in (("metronome", "172", "--duration", "2"), ("devices",)):
        proc = run_cadence(*args)
        assert proc.returncode == 3, proc.stderr
        assert "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
        assert "libportaudio2" in proc.stderr and "--output" in proc.stderr
    # the export needs no PortAudio
    proc = run_cadence("metronome", "172", "--duration", "2", "--output", str(tmp_path / "a.wav"))
    assert proc.returncode == 0, proc.stderr


def _cadence_process(*args: str, **kwargs) -> subprocess.Popen:
    from conftest import REPO

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    return subprocess.Popen([sys.executable, "-m", "cadence", *args], env=env, **kwargs)


@pytest.mark.audio
def test_ctrl_c_stops_cleanly_with_130(capture: Capture) -> None:
    proc = _cadence_process(
        "metronome", "172", "--samplerate", str(capture.rate_hz), "--channels", str(capture.channels),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(2.0)  # open-ended: it would play forever
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=15)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    assert "played" in out and "0 underflows" in out
    found = detect_onsets(capture.read_new())
    ideal = [(2 * k * 60 * capture.rate_hz + 172) // (2 * 172) for k in range(len(found))]
    assert len(found) >= 3
    assert np.max(np.abs(found - found[0] - np.array(ideal))) == 0


@pytest.mark.audio
def test_terminal_keys_nudge_pause_and_quit_with_a_status_line(capture: Capture) -> None:
    pty = pytest.importorskip("pty")
    master, slave = pty.openpty()
    proc = _cadence_process(
        "metronome", "170", "--samplerate", str(capture.rate_hz), "--channels", str(capture.channels),
        stdin=slave, stdout=slave, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    os.close(slave)
    screen = b""

    def read_for(seconds: float) -> None:
        nonlocal screen
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if select.select([master], [], [], 0.05)[0]:
                try:
                    screen += os.read(master, 4096)
                except OSError:
                    return

    try:
        read_for(1.5)
        os.write(master, b"++")
        read_for(1.0)
        os.write(master, b" ")
        read_for(0.6)
        os.write(master, b"q")
        _, err = proc.communicate(timeout=15)
        read_for(0.3)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    text = screen.decode(errors="replace")
    assert proc.returncode == 0, err
    assert "170.0 BPM" in text and "172.0 BPM (+2)" in text and "PAUSED" in text
    assert "q quit" in text
    assert "played" in text


# --- the callback's feed, without a device --------------------------------------------------------------


def _run_feed(feed, blocks: list[int], channels: int = 1) -> np.ndarray:
    out = []
    for frames in blocks:
        buf = np.full((frames, channels), np.nan, dtype=np.float32)
        feed.fill(buf)
        assert not np.isnan(buf).any()
        assert np.array_equal(buf[:, 0], buf[:, -1])
        out.append(buf[:, 0])
    return np.concatenate(out)


@pytest.mark.parametrize("channels", [1, 2])
def test_feed_sends_the_track_by_absolute_index_whatever_the_block_sizes(channels: int) -> None:
    from cadence.audio.playback import SessionFeed

    track = click_track("3s@171, 2s@rest, 3s@180", 44100)
    rng = np.random.default_rng(5)
    blocks = rng.integers(1, 3000, size=400).tolist()
    feed = SessionFeed(track)
    sent = _run_feed(feed, blocks, channels)
    n = track.n_samples
    assert np.array_equal(sent[:n], track.render(0, n))
    assert not sent[n:].any()
    assert feed.pos >= n


def test_feed_pause_stops_the_clock_before_a_beat_and_resumes_on_the_grid() -> None:
    from cadence.audio.playback import SessionFeed

    fs = 48000
    track = click_track(171, fs, ClickOptions(sound=ClickSound.BEEP), duration_s=10)
    feed = SessionFeed(track)
    first = _run_feed(feed, [512] * 200)  # 2.13 s
    assert feed.toggle_pause() is True  # pausing: takes effect before the next beat
    pausing = _run_feed(feed, [512] * 100)
    assert feed.paused
    paused_at = feed.pos
    beats = track.beats(0, track.n_samples)[0]
    assert paused_at in beats.tolist()  # the clock stopped right before a beat: nothing was cut
    assert feed.toggle_pause() is False
    rest = _run_feed(feed, [512] * 1200)
    sent = np.concatenate([first, pausing, rest])
    # the session audio is the track with silence inserted at ``paused_at``
    gap = len(first) + len(pausing) - paused_at
    expected = np.concatenate(
        [track.render(0, paused_at), np.zeros(gap), track.render(paused_at, track.n_samples)]
    )
    assert np.array_equal(sent[: len(expected)], expected.astype(np.float32))
    assert gap > 0
