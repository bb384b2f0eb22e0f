"""Phone-ready click tracks: size, encoding speed and click timing of WAV, FLAC, MP3, Ogg Opus and Ogg Vorbis.

    python bench/lossy_export.py [--minutes 30] [--bpm 172] [--program "5m@silent, 5x(3m@172, 2m@silent)"]

Writes the same click track in every format (block-wise, as `cadence metronome -o` does), decodes each file
with libsndfile and, when installed, ffmpeg (as phones do: honouring the encoder delay the file declares) and
ffmpeg with ``-flags2 +skip_manual`` (a player that ignores it), finds every click blindly and prints the
offset of each from its exact sample: min and max over all clicks.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from cadence.audio.clicks import click_track  # noqa: E402
from cadence.audio.export import write_click_track  # noqa: E402

FS_HZ = 48000


def find_clicks(samples: np.ndarray, wave: np.ndarray, fs_hz: int) -> np.ndarray:
    env = np.abs(samples)
    loud = np.flatnonzero(env > 0.25 * env.max())
    starts = loud[np.concatenate([[True], np.diff(loud) > int(0.05 * fs_hz)])]
    out = []
    for s in starts.tolist():
        lo = max(0, s - 64)
        corr = np.correlate(samples[lo : s + 64 + len(wave)], wave, mode="valid")
        out.append(lo + int(np.argmax(corr)))
    return np.asarray(out)


def offsets(samples: np.ndarray, ideal: np.ndarray, wave: np.ndarray, fs_hz: int) -> str:
    found = find_clicks(samples, wave, fs_hz)
    if len(found) != len(ideal):
        return f"{len(found)} clicks found of {len(ideal)}"
    d = found - ideal
    return f"{d.min():+d}..{d.max():+d}"


def ffmpeg(path: Path, fs_hz: int, *flags: str) -> np.ndarray:
    cmd = [
        "ffmpeg",
        "-v",
        "error",
        *flags,
        "-i",
        str(path),
        "-f",
        "f32le",
        "-ac",
        "1",
        "-ar",
        str(fs_hz),
        "-",
    ]
    return np.frombuffer(subprocess.run(cmd, capture_output=True, check=True).stdout, dtype="<f4")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--bpm", type=float, default=172.0)
    ap.add_argument("--program", help="a program instead of a constant --bpm")
    args = ap.parse_args()
    import soundfile

    program = args.program or args.bpm
    duration_s = None if args.program else args.minutes * 60
    have_ffmpeg = shutil.which("ffmpeg") is not None
    print(
        f"{program}, {len(click_track(program, FS_HZ, duration_s=duration_s).onsets(0, 10**12)[0])} clicks, "
        f"mono, libsndfile {soundfile.__libsndfile_version__}; offsets of the clicks from their exact samples"
    )
    print(
        f"{'format':<7}{'Hz':>6}{'MB':>8}{'x WAV':>8}{'encode s':>10}  {'libsndfile':>12}  {'ffmpeg':>12}  "
        f"{'no trim':>12}"
    )
    wav_size = None
    runs = [
        (".wav", 48000),
        (".flac", 48000),
        (".mp3", 48000),
        (".mp3", 24000),
        (".opus", 48000),
        (".ogg", 48000),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for suffix, fs_hz in runs:
            track = click_track(program, fs_hz, duration_s=duration_s)
            ideal, _ = track.onsets(0, track.n_samples)
            wave = track._waves[0]
            path = Path(tmp) / f"track{fs_hz}{suffix}"
            t0 = time.perf_counter()
            write_click_track(track, path)
            elapsed = time.perf_counter() - t0
            size = path.stat().st_size
            wav_size = wav_size or size  # the 48 kHz WAV
            data, _ = soundfile.read(path, dtype="float32")
            sf_off = offsets(data, ideal, wave, fs_hz) + (
                "" if len(data) == track.n_samples else " (length!)"
            )
            ff_off = raw_off = "-"
            if have_ffmpeg:
                ff_off = offsets(ffmpeg(path, fs_hz), ideal, wave, fs_hz)
                raw_off = offsets(ffmpeg(path, fs_hz, "-flags2", "+skip_manual"), ideal, wave, fs_hz)
            row = f"{suffix[1:]:<7}{fs_hz:>6}{size / 1e6:8.2f}{size / wav_size:8.3f}{elapsed:10.1f}"
            print(f"{row}  {sf_off:>12}  {ff_off:>12}  {raw_off:>12}")


if __name__ == "__main__":
    main()
