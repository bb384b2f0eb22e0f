"""Foreign text is printed clean (escapes, controls), M3U8 lines hold, every CLI number is bounded."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from cadence.cli._common import terminal_text
from cadence.errors import CadenceWarning
from cadence.music.library import Track, write_m3u
from conftest import REPO, run_cadence

FIT = str(REPO / "tests" / "data" / "fdec__garmin-fenix-5-walk.fit")
EVIL = ["\x1b]0;PWNED\x07", "\x1b[2J", "\x1bP1;2q\x1b\\", "\x0b", "\x85", "\u2028", "\u202e", "\x07"]


@pytest.mark.parametrize("bad", EVIL)
def test_terminal_text_strips_escapes_and_controls(bad):
    out = terminal_text(f"title {bad}end\tok\n")
    assert out.startswith("title ") and out.endswith("end\tok\n")
    assert all(c.isprintable() or c in "\t\n" for c in out)
    assert "\x1b" not in out and "PWNED" not in out


def test_a_file_name_with_an_osc_sequence_does_not_reach_the_terminal(tmp_path):
    evil = tmp_path / "run\x1b]0;PWNED\x07.csv"
    evil.write_text("t,ax,ay,az\n")
    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run(
        [sys.executable, "-m", "cadence", "analyze", str(evil)],
        stdout=slave,
        stderr=slave,
        env=env,
        timeout=120,
    )
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert done.returncode == 1
    assert b"\x1b" not in out and b"\x07" not in out and b"no data rows" in out


def test_m3u_lines_hold_whatever_the_names(tmp_path):
    good = tmp_path / "good.mp3"
    bad = tmp_path / "bad\u2028name.mp3"
    tracks = [
        Track("Song \x1b]0;x\x07\x0bA\x85B", path=good),
        Track("Other", path=bad),
    ]
    dest = tmp_path / "list.m3u8"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        n = write_m3u(dest, tracks)
    assert n == 1
    text = dest.read_text(encoding="utf-8")
    assert text.splitlines() == text.split("\n")[:-1]  # no line break but \n
    assert "#EXTINF:-1,Song ]0;x A B" in text and "good.mp3" in text and "bad" not in text
    (w,) = [w for w in caught if issubclass(w.category, CadenceWarning)]
    assert str(dest) in str(w.message) and "\\u2028" in str(w.message)


@pytest.mark.parametrize(
    "args",
    [
        ("plan", FIT, "--start-date", "9999-12-30"),
        ("analyze", FIT, "--run-threshold", "1e308"),
        ("analyze", FIT, "--run-threshold", "nan"),
        ("analyze", FIT, "--run-threshold", "500"),
        ("metronome", "inf", "-o", "x.wav", "--duration", "1:00"),
    ],
)
def test_absurd_parameters_are_usage_errors(args, tmp_path):
    done = run_cadence(*args)
    assert done.returncode == 2, done.stderr
    assert len([ln for ln in done.stderr.splitlines() if ln.strip()]) == 1 and "Traceback" not in done.stderr
    assert not Path("x.wav").exists()


def test_seconds_read_as_nanoseconds_are_refused_at_the_cli(tmp_path):
    csv = tmp_path / "s.csv"
    csv.write_text("t,ax,ay,az\n" + "".join(f"{i / 50:.3f},0,0,9.8\n" for i in range(3000)))
    done = run_cadence("analyze", str(csv), "--time-unit", "ns")
    assert done.returncode == 1 and "implausible sampling rate" in done.stderr and str(csv) in done.stderr
