"""``cadence metronome`` and ``cadence devices`` from the command line (export paths need no sound card)."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import soundfile
from click.testing import CliRunner

from cadence.audio.clicks import ClickOptions, ClickSound, click_track
from cadence.audio.program import Program
from cadence.cli import cli
from conftest import run_cadence

GAP = 16


def detect_onsets(samples: np.ndarray) -> list[int]:
    nz = np.flatnonzero(samples != 0)
    prev = np.concatenate([[-(10**9)], nz[:-1]])
    return nz[nz - prev > GAP].tolist()


def test_help_documents_the_program_notation() -> None:
    result = CliRunner().invoke(cli, ["metronome", "--help"])
    assert result.exit_code == 0
    for word in ("5m@160", "3x(", "rest", "160->172", "--output", "--duration", "space pause"):
        assert word in result.output


def test_help_lists_metronome_and_devices() -> None:
    proc = run_cadence("--help")
    assert proc.returncode == 0
    assert "metronome" in proc.stdout and "devices" in proc.stdout


def test_export_on_the_grid_as_a_user(tmp_path: Path) -> None:
    out = tmp_path / "click.wav"
    proc = run_cadence(
        "metronome", "171", "--duration", "2:00", "--samplerate", "44100", "--output", str(out)
    )
    assert proc.returncode == 0, proc.stderr
    assert "342 clicks" in proc.stdout and "faster than real time" in proc.stdout
    data, fs = soundfile.read(out, dtype="float32")
    assert fs == 44100 and len(data) == 120 * 44100
    ideal = [int(Fraction(k * 60 * 44100, 171) + Fraction(1, 2)) for k in range(342)]
    assert detect_onsets(data) == ideal


def test_export_json_summary_and_program(tmp_path: Path) -> None:
    out = tmp_path / "session.flac"
    program = "30s@160, 2x(20s@172, 10s@rest)"
    proc = run_cadence("metronome", "-p", program, "-o", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    track = click_track(program, 48000)
    assert summary["samplerate_hz"] == 48000
    assert summary["duration_s"] == pytest.approx(track.n_samples / 48000, abs=1e-4)
    assert summary["clicks"] == len(track.onsets(0, track.n_samples)[0])
    assert summary["speed_factor"] > 1
    data, _ = soundfile.read(out, dtype="float32")
    assert detect_onsets(data) == track.onsets(0, track.n_samples)[0].tolist()


def test_ramp_half_time_and_accents_reach_the_file(tmp_path: Path) -> None:
    out = tmp_path / "ramp.wav"
    args = ["metronome", "172", "--ramp-from", "160", "--ramp-time", "1m", "-d", "90", "--half-time"]
    args += ["--accent", "4", "--sound", "beep", "--pitch", "660", "--level", "-12", "-o", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    data, fs = soundfile.read(out, dtype="float32")
    options = ClickOptions(ClickSound.BEEP, pitch_hz=660, level_db=-12, accent_every=4, half_time=True)
    expected = click_track(Program.ramp(160, 172, 60), fs, options, duration_s=90)
    onsets, accent = expected.onsets(0, expected.n_samples)
    assert detect_onsets(data) == onsets.tolist()
    peaks = data[onsets]
    assert np.allclose(peaks[accent], 10 ** (-8 / 20), atol=1e-4)
    assert np.allclose(peaks[~accent], 10 ** (-12 / 20), atol=1e-4)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        ((), 2, "either BPM or --program"),
        (("172", "-p", "5m@172"), 2, "either BPM or --program"),
        (("-p", "5m@16o"), 2, "column 6"),
        (("-p", "5m@172", "--ramp-from", "160"), 2, "--ramp-from works with BPM"),
        (("500",), 2, "outside 30-300"),
        (("172", "--duration", "soon"), 2, "duration 'soon'"),
        (("172", "--level", "3"), 2, "level_db"),
        (("172", "--sound", "cowbell"), 2, "cowbell"),
        (("172", "-o", "x.wav"), 2, "open-ended"),
        (("172", "-d", "5", "-o", "x.aiff"), 2, "use .wav, .flac, .mp3"),
        (("172", "-d", "5", "-o", "x.wav", "--samplerate", "100"), 2, "fs_hz"),
        (("172", "--latency", "fast", "-d", "1"), 2, "latency"),
        (("172", "--channels", "0", "-d", "1"), 2, "--channels"),
        (("172", "-d", "30h", "-o", "x.wav"), 2, "limit is 24 h"),
        (("172", "-d", "5", "-o", "x.wav", "--samplerate", "0"), 2, "fs_hz"),
    ],
)
def test_errors_are_one_line(tmp_path: Path, args: tuple[str, ...], code: int, message: str) -> None:
    proc = run_cadence("metronome", *[str(tmp_path / a) if a.startswith("x.") else a for a in args])
    assert proc.returncode == code, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert message in proc.stderr
    assert not list(tmp_path.iterdir())


def test_existing_output_needs_force(tmp_path: Path) -> None:
    out = tmp_path / "a.wav"
    out.write_bytes(b"x")
    proc = run_cadence("metronome", "170", "-d", "3", "-o", str(out))
    assert proc.returncode == 1 and "--force" in proc.stderr
    proc = run_cadence("metronome", "170", "-d", "3", "-o", str(out), "--force")
    assert proc.returncode == 0, proc.stderr
    assert soundfile.info(str(out)).frames == 3 * 48000


def test_devices_json_is_a_list() -> None:
    proc = run_cadence("devices", "--json")
    if proc.returncode == 3:  # no PortAudio here
        assert "libportaudio2" in proc.stderr
        return
    assert proc.returncode == 0, proc.stderr
    devices = json.loads(proc.stdout)
    assert isinstance(devices, list)
    for d in devices:
        assert {"index", "name", "hostapi", "channels", "default_samplerate_hz", "default"} <= set(d)


def test_metronome_plays_a_plan_session(tmp_path) -> None:  # noqa: ANN001
    """`cadence plan --json` then `cadence metronome --plan --session` renders that session's program."""
    import json

    import soundfile as sf

    from conftest import run_cadence

    plan = tmp_path / "plan.json"
    proc = run_cadence("plan", "160", "--json")
    assert proc.returncode == 0, proc.stderr
    plan.write_text(proc.stdout)
    session = json.loads(proc.stdout)["sessions"][2]
    out = tmp_path / "s3.wav"
    proc = run_cadence("metronome", "--plan", str(plan), "--session", "3", "-o", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    data, fs = sf.read(out)
    assert abs(len(data) / fs - info["duration_s"]) < 0.01
    # the program's cued minutes at its tempo give the click count
    from cadence.coach.plan import parse_program

    cued_min = sum(s.end_s - s.start_s for s in parse_program(session["program"]) if s.role == "cued") / 60
    tempo = next(s.tempo_bpm for s in parse_program(session["program"]) if s.tempo_bpm)
    assert abs(info["clicks"] - cued_min * tempo) <= 5
    bad = run_cadence("metronome", "--plan", str(plan), "--session", "99", "-o", str(tmp_path / "x.wav"))
    assert bad.returncode == 2 and "sessions 1-" in bad.stderr


def test_clock_rounds_before_splitting_minutes() -> None:
    from cadence.cli.metronome import _clock

    assert _clock(59.97) == "1:00.0"
    assert _clock(3599.96) == "1:00:00.0"
    assert _clock(61.24) == "1:01.2"


class _FakePlayer:
    """A Player stand-in (no sound card): plays until ``end`` happens (a bool, or an exception to raise)."""

    end: bool | BaseException = True
    closed = 0

    def __init__(self, track: object, **_: object) -> None:
        self.track = track
        self.paused = False
        self.underflows = 0

    def __enter__(self) -> _FakePlayer:
        if isinstance(self.end, Exception):
            raise self.end  # the device cannot be opened
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def wait(self, timeout_s: float) -> bool:
        if isinstance(self.end, KeyboardInterrupt):
            raise self.end
        return True

    def close(self) -> object:
        from types import SimpleNamespace

        type(self).closed += 1
        device = SimpleNamespace(name="fake")
        return SimpleNamespace(
            duration_s=1.0, fs_hz=8000, clicks=3, underflows=0, finished=True, track=self.track, device=device
        )


@pytest.mark.parametrize(("end", "code"), [(True, 0), (KeyboardInterrupt(), 130)])
def test_playback_ends_with_one_summary(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    end: bool | BaseException,
    code: int,
) -> None:
    """Played to its end or stopped by Ctrl-C: what was played is reported, once."""
    from types import SimpleNamespace

    from cadence.audio import playback
    from cadence.cli._common import run_cli

    monkeypatch.setattr(_FakePlayer, "end", end)
    monkeypatch.setattr(_FakePlayer, "closed", 0)
    monkeypatch.setattr(playback, "Player", _FakePlayer)
    monkeypatch.setattr(
        playback,
        "output_device",
        lambda device: SimpleNamespace(index=0, name="fake", default_samplerate_hz=8000),
    )
    assert run_cli(cli, ["metronome", "172", "--duration", "1"]) == code
    out, err = capsys.readouterr()
    assert out == "played 0:01.0 on 'fake' at 8000 Hz: 3 clicks, 0 underflows\n"
    assert err == ("\ninterrupted\n" if code == 130 else "")  # click ends the ^C line first
    assert _FakePlayer.closed >= 1


def test_a_device_that_cannot_open_is_one_line_and_no_summary(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from types import SimpleNamespace

    from cadence.audio import playback
    from cadence.cli._common import run_cli
    from cadence.errors import AudioUnavailableError

    monkeypatch.setattr(_FakePlayer, "end", AudioUnavailableError("cannot play on 'fake'"))
    monkeypatch.setattr(playback, "Player", _FakePlayer)
    monkeypatch.setattr(
        playback,
        "output_device",
        lambda device: SimpleNamespace(index=0, name="fake", default_samplerate_hz=8000),
    )
    assert run_cli(cli, ["metronome", "172", "--duration", "1"]) == 3
    out, err = capsys.readouterr()
    assert out == "" and err == "cadence: error: cannot play on 'fake'\n"
