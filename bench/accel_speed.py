"""Speed and memory: a 24 h, 100 Hz accelerometer CSV (8.64 M rows) from disk to summary, vs np.loadtxt.

Usage: ``python bench/accel_speed.py [--hours 24] [--repeat 2] [--keep]``

The file is generated once into ``bench/out/`` (not committed) from :mod:`cadence.gait.synth`: a day that is
mostly still (sensor noise, small movements), with walking bouts and a 45-minute run, in a random sensor
orientation. Then, each in its own fresh subprocess (so imports and peak memory are counted honestly):

- peer: ``np.loadtxt(path, delimiter=",", skiprows=1)`` - only *reading* the file;
- cadence: ``analyze_file(path)`` and its JSON summary, exactly what ``cadence analyze --json`` does:
  reading, sampling checks, step detection, per-second cadence and the activity summary, end to end.

Wall time is the best of ``--repeat`` runs; peak memory is the child's max RSS (``os.wait4``). Bars (issue 3):
cadence <= 0.5 x loadtxt time and <= 2 GiB peak. It also checks the detected step count against the
generator's truth.
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
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
