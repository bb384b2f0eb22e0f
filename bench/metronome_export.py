"""Export speed and memory of a one-hour click track: block-wise (cadence) vs rendering the whole array first.

    python bench/metronome_export.py [--minutes 60] [--rate 48000]

Both write the same FLAC file (checked); each runs in its own subprocess so peak RSS is its own. Also prints
how far a naive metronome that adds a rounded period would drift over the same session.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def run_one(kind: str, minutes: float, rate: int, path: str) -> dict:
    sys.path.insert(0, str(SRC))
    import numpy as np
    import soundfile

    from cadence.audio.clicks import click_track
    from cadence.audio.export import write_click_track

    track = click_track(171, rate, duration_s=minutes * 60)
    t0 = time.perf_counter()
    if kind == "block":
        write_click_track(track, path, force=True)
    else:  # the peer: synthesise everything into one array, then write it in one call
        whole = np.zeros(track.n_samples, dtype=np.float32)
        onsets, accent = track.onsets(0, track.n_samples)
        wave = track.render(0, track.max_click_len)[: track.max_click_len]  # the first click, as rendered
        for onset in onsets.tolist():
            seg = whole[onset : onset + len(wave)]
            seg += wave[: len(seg)]
        soundfile.write(path, whole, rate, format="FLAC", subtype="PCM_16")
    elapsed = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before reading the file back
    digest = hashlib.sha256()
    for block in soundfile.blocks(path, blocksize=1 << 20, dtype="int16"):
        digest.update(block.tobytes())
    return {"kind": kind, "seconds": elapsed, "rss_mb": rss_mb, "sha256": digest.hexdigest()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--rate", type=int, default=48000)
    ap.add_argument("--one", choices=["block", "whole"])
    ap.add_argument("--path")
    a = ap.parse_args()
    if a.one:
        print(json.dumps(run_one(a.one, a.minutes, a.rate, a.path)))
        return
    audio_s = a.minutes * 60
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("block", "whole"):
            out = subprocess.run(
                [sys.executable, __file__, "--one", kind, "--minutes", str(a.minutes), "--rate", str(a.rate),
                 "--path", str(Path(tmp) / f"{kind}.flac")],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            results[kind] = json.loads(out.stdout)
    b, w = results["block"], results["whole"]
    print(f"{a.minutes:g} min at 171 BPM, {a.rate} Hz, FLAC 16-bit")
    for r in (b, w):
        print(
            f"  {r['kind']:>5}: {r['seconds']:6.2f} s ({audio_s / r['seconds']:6.0f}x real time), "
            f"peak RSS {r['rss_mb']:6.0f} MB"
        )
    print(f"  same samples: {b['sha256'] == w['sha256']}")
    print(
        f"  block / whole: time x{b['seconds'] / w['seconds']:.2f}, peak RSS x{b['rss_mb'] / w['rss_mb']:.2f}"
    )
    # a naive metronome adds a period rounded to whole samples: where is its last click after the session?
    n = int(audio_s * 171 / 60)
    exact = (n - 1) * 60 * a.rate / 171
    naive = (n - 1) * round(60 * a.rate / 171)
    print(f"  naive rounded-period metronome after {n} clicks: {naive - exact:+.0f} samples "
          f"({(naive - exact) / a.rate * 1000:+.1f} ms) off; cadence: 0")  # fmt: skip


if __name__ == "__main__":
    main()
