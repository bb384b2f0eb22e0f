"""Output failures as a user meets them: a full disk, a device, a FIFO, symlinks, permissions, signals.

Each ends in exit 1 (or 130 / 128 + signal) with one line on stderr, and leaves nothing behind: no partial
file, no hidden temporary file.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import REPO, run_cadence

FIT = str(REPO / "tests" / "data" / "fdec__garmin-fenix-5-walk.fit")


def _error_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ln.strip()]


@pytest.fixture
def full_disk():
    """A 256 kB tmpfs (root only; skipped where mounting is not allowed)."""
    folder = tempfile.mkdtemp(prefix="cadence-full-")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", folder], capture_output=True)
    if done.returncode != 0:
        os.rmdir(folder)
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield Path(folder)
    finally:
        subprocess.run(["umount", folder], check=False)
        os.rmdir(folder)


@pytest.mark.parametrize("suffix", [".wav", ".flac"])
def test_a_full_disk_during_an_export_is_one_line_and_leaves_nothing(full_disk, suffix):
    out = full_disk / f"long{suffix}"
    done = run_cadence("metronome", "170", "-o", str(out), "--duration", "10:00")
    assert done.returncode == 1, done.stderr
    lines = _error_lines(done.stderr)
    assert len(lines) == 1 and str(out) in lines[0] and "No space left on device" in lines[0]
    assert "Traceback" not in done.stderr and "cffi" not in done.stderr
    assert list(full_disk.iterdir()) == []


def test_a_full_disk_for_a_text_output_is_one_line(full_disk):
    try:  # fill the disk to the last byte
        with open(full_disk / "filler", "wb") as fh:
            while True:
                fh.write(b"\0" * 4096)
                fh.flush()
    except OSError:
        pass
    series = full_disk / "series.csv"
    done = run_cadence("analyze", FIT, "--series", str(series))
    assert done.returncode == 1, done.stderr
    lines = _error_lines(done.stderr)
    assert len(lines) == 1 and "No space left on device" in lines[0] and str(series) in lines[0]
    assert sorted(p.name for p in full_disk.iterdir()) == ["filler"]


@pytest.mark.parametrize("device", ["/dev/full", "/dev/stdout", "/dev/null"])
def test_force_does_not_replace_a_device(device):
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    done = run_cadence("analyze", FIT, "--series", device, "--force")
    assert done.returncode == 1 and "regular files only" in done.stderr
    assert len(_error_lines(done.stderr)) == 1
    if device != "/dev/stdout":  # (the test's own stdout is pytest's capture file)
        assert stat.S_ISCHR(os.stat(device).st_mode)  # still a device


def test_a_fifo_is_refused_as_output_and_as_input(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    done = run_cadence("analyze", FIT, "--series", str(fifo), "--force", timeout=60)
    assert done.returncode == 1 and "named pipe" in done.stderr and len(_error_lines(done.stderr)) == 1
    done = run_cadence("analyze", str(fifo), timeout=60)
    assert done.returncode == 1 and "named pipe" in done.stderr and len(_error_lines(done.stderr)) == 1
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_symlinks_are_written_through_or_refused(tmp_path):
    target = tmp_path / "real.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    done = run_cadence("analyze", FIT, "--series", str(link))
    assert done.returncode == 1 and "exists already" in done.stderr
    done = run_cadence("analyze", FIT, "--series", str(link), "--force")
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and target.read_text().startswith("file,session_index,t_s,")  # through the link
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "missing" / "x.csv")
    done = run_cadence("analyze", FIT, "--series", str(dangling))
    assert done.returncode == 1 and "exists already" in done.stderr
    done = run_cadence("analyze", FIT, "--series", str(dangling), "--force")
    assert done.returncode == 1 and "symlink to a missing file" in done.stderr
    assert dangling.is_symlink() and not (tmp_path / "missing").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling.csv", "link.csv", "real.csv"]


def test_new_files_follow_the_umask_and_force_keeps_the_mode(tmp_path):
    out = tmp_path / "s.csv"
    old = os.umask(0o077)
    try:
        done = run_cadence("analyze", FIT, "--series", str(out))
    finally:
        os.umask(old)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    out.chmod(0o640)
    done = run_cadence("analyze", FIT, "--series", str(out), "--force")
    assert done.returncode == 0 and stat.S_IMODE(out.stat().st_mode) == 0o640


@pytest.mark.parametrize(
    ("suffix", "sig", "code"),
    [
        (".flac", signal.SIGINT, 130),
        (".wav", signal.SIGINT, 130),
        (".flac", signal.SIGTERM, 128 + signal.SIGTERM),
        (".wav", signal.SIGHUP, 128 + signal.SIGHUP),
    ],
)
def test_a_signal_mid_export_stops_it_and_removes_the_temporary_file(tmp_path, suffix, sig, code):
    out = tmp_path / f"day{suffix}"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cadence", "metronome", "170", "-o", str(out), "--duration", "20:00:00"],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
    )
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(f".{out.name}.") for p in tmp_path.iterdir()):  # the export started
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert len(_error_lines(err)) == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
