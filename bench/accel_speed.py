"""Speed and memory: a 24 h, 100 Hz accelerometer CSV (8.64 M rows) from disk to summary, vs np.loadtxt.

Usage: ``python bench/accel_speed.py [--hours 24] [--repeat 2]``, ``python bench/accel_speed.py --parse-only
[--parse-hours 2]`` or ``python bench/accel_speed.py --detect-only [--detect-hours 6]``

The file is generated once into ``bench/out/`` (not committed) from :mod:`cadence.gait.synth`: a day that is
mostly still (sensor noise, small movements), with walking bouts and a 45-minute run, in a random sensor
orientation. Then, each in its own fresh subprocess (so imports and peak memory are counted honestly):

- peer: ``np.loadtxt(path, delimiter=",", skiprows=1)`` - only *reading* the file;
- cadence: ``analyze_file(path)`` and its JSON summary, exactly what ``cadence analyze --json`` does:
  reading, sampling checks, step detection, per-second cadence and the activity summary, end to end.

Wall time is the best of ``--repeat`` runs; peak memory is the child's max RSS (``os.wait4``). Bars (issue 3):
cadence <= 0.5 x loadtxt time and <= 2 GiB peak. It also checks the detected step count against the
generator's truth.

``--parse-only``: parsing alone, in this process, on a generated 2 h file (720 k rows, same generator):
``np.loadtxt``, ``polars.read_csv(...).to_numpy()`` and cadence's ``read_accel_csv`` (polars with a fixed
schema plus the format sniffing, unit and sampling checks), one warm-up each, then ``--repeat`` interleaved
rounds; prints the median wall and CPU time of each and the ratios to ``np.loadtxt``.

``--detect-only``: detection alone: ``estimate_steps`` on ``--detect-hours`` of *continuous* generated running
and walking (armband, 100 Hz, cadence ramps; no standing), median CPU time of ``--repeat`` runs, and the step
count against the generator's truth.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
sys.path.insert(0, str(REPO / "src"))


def make_day(path: Path, hours: float) -> np.ndarray:
    """Write the day's CSV (t,ax,ay,az; m/s^2) hour by hour; return the true step times."""
    import polars as pl

    from cadence.gait.synth import GaitSegment, Placement, synth_gait

    rng = np.random.default_rng(2024)
    steps = []
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        n_hours = int(np.ceil(hours))
        for h in range(n_hours):
            dur = min(3600.0, hours * 3600 - h * 3600)
            if h == 7:  # the morning run: 45 min with a warm-up walk and a cadence build-up
                segs = [
                    GaitSegment(600, "still"),
                    GaitSegment(300, "walk", 110),
                    GaitSegment(1500, "run", 162, 172),
                    GaitSegment(1200, "run", 172, 182, intensity=1.2),
                ]
                place = Placement.ARMBAND
            elif h in (9, 12, 13, 17, 18):  # walking bouts between long sitting
                segs = [
                    GaitSegment(1200, "still"),
                    GaitSegment(600, "walk", 105, 115),
                    GaitSegment(1500, "still"),
                    GaitSegment(300, "walk", 112),
                ]
                place = Placement.POCKET
            else:
                segs = [GaitSegment(3600, "still")]
                place = Placement.POCKET
            total = sum(s.duration_s for s in segs)
            segs = [
                GaitSegment(
                    s.duration_s * dur / total, s.activity, s.cadence_spm, s.cadence_end_spm, s.intensity
                )
                for s in segs
            ]
            g = synth_gait(segs, place, fs_hz=100.0, seed=int(rng.integers(1 << 30)), noise_ms2=0.05)
            t = g.t_s + h * 3600.0
            steps.append(g.step_times_s + h * 3600.0)
            df = pl.DataFrame({"t": t, "ax": g.acc_ms2[:, 0], "ay": g.acc_ms2[:, 1], "az": g.acc_ms2[:, 2]})
            df.write_csv(fh, include_header=(h == 0), float_precision=5)
    tmp.replace(path)
    truth = np.concatenate(steps)
    np.save(path.with_suffix(".steps.npy"), truth)
    return truth


def run_child(code: str, arg: str) -> tuple[float, float, str, float]:
    """Run ``python -c code arg`` in a fresh process; return (wall s, peak RSS MiB, stdout, CPU s)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, arg], stdout=subprocess.PIPE, env=env, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"child failed ({proc.returncode}): {code}")
    return wall, usage.ru_maxrss / 1024.0, out, usage.ru_utime + usage.ru_stime


LOADTXT = "import sys, numpy as np; a = np.loadtxt(sys.argv[1], delimiter=',', skiprows=1); print(a.shape[0])"
CADENCE = (
    "import sys, json; from cadence.pipeline import analyze_file; from cadence.report.document import result_to_dict; "
    "d = result_to_dict(analyze_file(sys.argv[1])[0]); "
    "keys = ('n_steps', 'running_time_s', 'walking_time_s', 'cadence_median_spm'); "
    "print(json.dumps({k: d[k] for k in keys}))"
)


def _timed(fn) -> tuple[float, float]:
    """(wall s, CPU s of this process, all threads) of one call."""
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def parse_only(hours: float, repeat: int) -> int:
    """np.loadtxt vs polars.read_csv vs read_accel_csv on the same generated CSV, interleaved."""
    import polars as pl

    from cadence.readers.accel_csv import read_accel_csv

    path = OUT / f"accel_day_{hours:g}h_100hz.csv"
    if not (path.exists() and path.with_suffix(".steps.npy").exists()):
        make_day(path, hours)
    sp = str(path)
    parsers = {
        "np.loadtxt": lambda: np.loadtxt(sp, delimiter=",", skiprows=1),
        "polars read_csv": lambda: pl.read_csv(sp).to_numpy(),
        "read_accel_csv": lambda: read_accel_csv(sp),
    }
    n = {k: len(f()) if k != "read_accel_csv" else len(f().t_s) for k, f in parsers.items()}  # warm-up
    print(f"file: {path.name} ({path.stat().st_size / 2**20:.0f} MiB, {n['np.loadtxt']:,} rows); {n}")
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in parsers}
    for _ in range(repeat):
        for k, f in parsers.items():
            times[k].append(_timed(f))
    med = {
        k: (float(np.median([w for w, _ in v])), float(np.median([c for _, c in v])))
        for k, v in times.items()
    }
    w0, c0 = med["np.loadtxt"]
    for k, (w, c) in med.items():
        print(
            f"{k:16s} wall {w:5.2f} s  CPU {c:5.2f} s (median of {repeat})   "
            f"loadtxt / this: wall {w0 / w:4.1f}x  CPU {c0 / c:4.1f}x"
        )
    return 0


def detect_only(hours: float, repeat: int) -> int:
    """estimate_steps alone on continuous generated running and walking."""
    from cadence.gait.steps import estimate_steps
    from cadence.gait.synth import GaitSegment, Placement, synth_gait

    hour = [
        GaitSegment(1200, "run", 165, 175),
        GaitSegment(600, "walk", 110),
        GaitSegment(1200, "run", 175, 185, intensity=1.2),
        GaitSegment(600, "walk", 105, 115),
    ]
    t0 = time.perf_counter()
    g = synth_gait(hour * int(np.ceil(hours)), Placement.ARMBAND, fs_hz=100.0, seed=6, noise_ms2=0.05)
    keep = int(round(hours * 3600 * 100))
    acc, truth = g.acc_ms2[:keep], g.step_times_s[g.step_times_s < hours * 3600]
    print(
        f"generated {hours:g} h ({len(acc):,} samples, {len(truth):,} true steps) "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    runs = []
    for _ in range(repeat):
        res = None

        def run():
            nonlocal res
            res = estimate_steps(acc, 100.0)

        runs.append(_timed(run))
    cpu = float(np.median([c for _, c in runs]))
    wall = float(np.median([w for w, _ in runs]))
    err = 100.0 * (res.n_steps - len(truth)) / len(truth)
    print(
        f"estimate_steps: CPU {cpu:.2f} s, wall {wall:.2f} s (median of {repeat}; "
        f"{hours * 3600 / cpu:,.0f}x real time); steps {res.n_steps:,} of {len(truth):,} ({err:+.3f} %)"
    )
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument(
        "--repeat", type=int, default=None, help="runs per measurement (default 2; 5 with --*-only)"
    )
    ap.add_argument(
        "--parse-only", action="store_true", help="time CSV parsing alone (loadtxt, polars, cadence)"
    )
    ap.add_argument("--parse-hours", type=float, default=2.0)
    ap.add_argument("--detect-only", action="store_true", help="time step detection alone")
    ap.add_argument("--detect-hours", type=float, default=6.0)
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.parse_only or args.detect_only:
        rep = args.repeat or 5
        if args.parse_only:
            parse_only(args.parse_hours, rep)
        if args.detect_only:
            detect_only(args.detect_hours, rep)
        return 0
    args.repeat = args.repeat or 2
    path = OUT / f"accel_day_{args.hours:g}h_100hz.csv"
    truth_path = path.with_suffix(".steps.npy")
    if not (path.exists() and truth_path.exists()):
        t0 = time.perf_counter()
        truth = make_day(path, args.hours)
        print(
            f"generated {path.name} ({path.stat().st_size / 2**20:.0f} MiB) "
            f"in {time.perf_counter() - t0:.1f} s"
        )
    else:
        truth = np.load(truth_path)
    n_rows = int(round(args.hours * 3600 * 100))
    print(f"file: {path} ({path.stat().st_size / 2**20:.0f} MiB, {n_rows:,} rows, {len(truth):,} true steps)")

    import json

    # interleave the runs (peer, cadence, peer, cadence, ...) so that both see the same machine load
    runs: dict[str, list[tuple[float, float, str, float]]] = {"peer": [], "ours": []}
    for _ in range(args.repeat):
        runs["peer"].append(run_child(LOADTXT, str(path)))
        runs["ours"].append(run_child(CADENCE, str(path)))
    for key, name in (("peer", "np.loadtxt (read only)"), ("ours", "cadence (read -> summary)")):
        rs = runs[key]
        print(
            f"{name:26s} wall {min(r[0] for r in rs):6.2f} s (runs: {', '.join(f'{r[0]:.2f}' for r in rs)})"
            f"   CPU {min(r[3] for r in rs):5.2f} s   peak RSS {max(r[1] for r in rs):5.0f} MiB"
        )
    w_peer = min(r[0] for r in runs["peer"])
    w_ours = min(r[0] for r in runs["ours"])
    c_peer = min(r[3] for r in runs["peer"])
    c_ours = min(r[3] for r in runs["ours"])
    rss_ours = max(r[1] for r in runs["ours"])
    pair = sorted(o[0] / p[0] for p, o in zip(runs["peer"], runs["ours"], strict=True))
    out = runs["ours"][-1][2]
    summary = json.loads(out.strip().splitlines()[-1])
    ratio = w_ours / w_peer
    err = 100.0 * (summary["n_steps"] - len(truth)) / max(len(truth), 1)
    print(
        f"ratio cadence / loadtxt = {ratio:.2f} best/best, {pair[len(pair) // 2]:.2f} median of "
        f"interleaved pairs (bar <= 0.50): {'PASS' if ratio <= 0.5 else 'FAIL'}"
    )
    print(
        f"CPU-time ratio {c_ours / c_peer:.2f} (polars parses on all cores: wall time gains more when idle)"
    )
    print(f"peak memory {rss_ours:.0f} MiB (bar <= 2048 MiB): {'PASS' if rss_ours <= 2048 else 'FAIL'}")
    print(
        f"steps {summary['n_steps']:,} vs true {len(truth):,} ({err:+.2f} %); "
        f"running {summary['running_time_s']:.0f} s, "
        f"walking {summary['walking_time_s']:.0f} s, median cadence {summary['cadence_median_spm']:.1f} spm"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
