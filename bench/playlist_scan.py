"""Scan a folder of 10 000 tagged tracks with `cadence.music.library.scan_music_dir` against a plain mutagen loop.

The folder is generated: real tiny tone files (0.25 s) in MP3, FLAC, Ogg Vorbis, Opus, M4A and WAV, tagged
with BPM, title and artist by mutagen, copied from one tagged template per (format, tempo). The target from
issue 6 is a 10 000-track scan in under 30 s. The peer is the obvious hand loop, ``mutagen.File(path)`` on
every file (format sniffing) plus reading the same three tags; both read warm files (page cache), best of
two runs each, interleaved. With librosa installed it also times ``--estimate`` on untagged click tracks:
serially in a warm process, in the process pool (cold workers), and the cached rescan.

    python bench/playlist_scan.py [--n 10000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO / "tests")]

from cadence.music.library import audio_files, scan_music_dir  # noqa: E402
from music_files import FORMATS, tagged_track  # noqa: E402

TEMPOS = [86, 95, 120, 128, 150, 160, 165, 170, 171, 172, 173, 175, 178, 180, 300, 344, None]


def make_library(root: Path, n: int) -> None:
    templates = root / "_templates"
    templates.mkdir(parents=True)
    sources = []
    for fmt in FORMATS:
        for tempo in TEMPOS:
            name = f"t{tempo}_{fmt}"
            sources.append(tagged_track(templates, name, fmt, tempo_bpm=tempo, seconds=0.25, artist="Bench"))
    for i in range(n):
        src = sources[i % len(sources)]
        folder = root / f"artist{i // 500:03d}" / f"album{(i // 25) % 20:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, folder / f"{i:05d} track{src.suffix}")
    shutil.rmtree(templates)


def peer_scan(root: Path) -> int:
    """The plain loop: mutagen.File on every audio file, then the tempo, title and artist by format."""
    import mutagen

    n_tempo = 0
    for path in audio_files(root):
        try:
            audio = mutagen.File(path)
        except mutagen.MutagenError:
            continue
        if audio is None or audio.tags is None:
            continue
        tags = audio.tags
        tempo = None
        for key in ("TBPM", "tmpo", "bpm"):
            try:
                tempo = tags[key]
                break
            except (KeyError, ValueError):
                continue
        n_tempo += tempo is not None
        _ = audio.info.length
    return n_tempo


def bench_estimate_cache(n: int = 24) -> None:
    """Time --estimate on untagged 30 s click tracks: first run (decode + beat tracking) vs cached rescan."""
    import importlib.util

    if importlib.util.find_spec("librosa") is None:
        print("tempo estimation: skipped (pip install 'cadence[tempo]' for librosa)")
        return
    import soundfile as sf

    from cadence.music.library import TempoCache, estimate_untagged
    from music_files import click_track

    with tempfile.TemporaryDirectory(prefix="cadence-bench-est-") as tmp:
        music = Path(tmp, "music")
        music.mkdir()
        for i in range(n):
            sf.write(music / f"{i:02d}.flac", click_track(140 + 2 * i, 30.0), 22050)
        lib = scan_music_dir(music)
        estimate_untagged(lib, 172, cache=None, jobs=1)  # warm up this process once
        t0 = time.perf_counter()
        estimate_untagged(lib, 172, cache=None, jobs=1)
        serial = time.perf_counter() - t0
        times = []
        for _ in range(2):
            cache = TempoCache(Path(tmp, "cache"))
            t0 = time.perf_counter()
            found = estimate_untagged(lib, 172, cache=cache)  # a pool of all CPUs, each worker cold
            cache.save()
            times.append(time.perf_counter() - t0)
        assert not found.failed and len(found.library.untagged) == 0
        print(
            f"tempo estimation of {n} untagged 30 s tracks: serial (warm process) {serial:.2f} s, "
            f"process pool (cold workers) {times[0]:.2f} s ({serial / times[0]:.2f}x), "
            f"cached rescan {times[1]:.3f} s ({times[0] / times[1]:.0f}x faster)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="tracks to generate (default 10000)")
    parser.add_argument("--keep", type=Path, help="generate into (and keep) this folder")
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="cadence-bench-"))
    try:
        if not any(root.glob("artist*")):
            t0 = time.perf_counter()
            make_library(root, args.n)
            print(f"generated {args.n} tagged tracks in {time.perf_counter() - t0:.1f} s under {root}")
        n_files = len(audio_files(root))
        ours, peer = [], []
        for _ in range(2):
            t0 = time.perf_counter()
            lib = scan_music_dir(root)
            ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            n_peer = peer_scan(root)
            peer.append(time.perf_counter() - t0)
        n_tempo = len(lib.tracks) - len(lib.untagged)
        assert n_tempo == n_peer, (n_tempo, n_peer)
        best, best_peer = min(ours), min(peer)
        print(f"files: {n_files} ({n_tempo} with a tempo, {len(lib.unreadable)} unreadable)")
        print(f"cadence scan_music_dir:  {best:6.2f} s  ({n_files / best:,.0f} files/s)")
        print(f"peer mutagen.File loop:  {best_peer:6.2f} s  ({n_files / best_peer:,.0f} files/s)")
        print(f"ratio peer / cadence:    {best_peer / best:6.2f}x")
        per_10k = best * 10_000 / max(n_files, 1)
        verdict = "PASS" if per_10k < 30 else "FAIL"
        print(f"target: 10 000 tracks < 30 s -> {per_10k:.1f} s per 10 000: {verdict}")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    bench_estimate_cache()


if __name__ == "__main__":
    main()
