"""Live step detection through the phyphox stand-in, in real time, side by side with the offline analysis.

Usage: ``python bench/live_replay.py [--all] [--speed N] [--jobs N] [--csv bench/out/live_replay.csv]``

Every recording is served by the test suite's phyphox stand-in (tests/live/standins.py: real HTTP on
127.0.0.1, single-threaded, no keep-alive, samples released at the pace they were recorded, 8 significant
digits) from its *raw* samples (irregular Android sampling as recorded), and ``cadence live``'s own pieces
poll it (``PhyphoxSource``, 0.1 s between requests) and analyse it (``LiveSession``: the streaming detector,
the smoothed cadence, the cue). Side by side, for the same file:

- **reference**: the ground-truth steps (pressure pads for oxford_stepcounter; the bundled walk's own
  labels; the known steps of generated runs);
- **offline**: ``cadence analyze``'s detector on the whole file (``estimate_steps`` after the reader).

Columns: steps live / offline / reference, live vs reference and vs offline (%), the report delay of each
step in stream time (``detected_at_s - t_s``: what the detector needs) and in wall-clock time (from the
moment the stand-in released the sample that holds the step to the moment the step was reported: adds the
polling and HTTP), the live median cadence (median of the per-second live cadence) against the offline one
(median of the offline per-second cadence), and the steps the settling stage withdrew.

A generated treadmill run whose cadence crosses the band (160 -> 172 -> 160 spm, band 168-176) checks the
cue: its on/off times from the live session against the same cue rule applied to the offline cadence.

Bars (issue 14): steps within 3 % of the reference, median report delay <= 0.5 s, live median cadence within
2 spm of the offline analysis. The shared recordings are skipped when ../shared is not there.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "tests" / "live"))
SHARED = Path(os.environ.get("CADENCE_SHARED", REPO.parent / "shared"))

from standins import PhyphoxStandIn  # noqa: E402

from cadence.coach.band import TargetBand  # noqa: E402
from cadence.gait.steps import estimate_steps  # noqa: E402
from cadence.gait.synth import GaitSegment, synth_gait  # noqa: E402
from cadence.live.session import CueMachine, LiveSession, band_state  # noqa: E402
from cadence.live.sources import PhyphoxSource  # noqa: E402
from cadence.readers.accel_csv import read_accel_csv  # noqa: E402

OXFORD_DEFAULT = (
    "opt_Pixel_Jamie_Hard_BackPocket_1.csv",
    "opt_Samsung_Dario_Hard_FrontPocket_1.csv",
    "opt_Pixel_Jamie_Hard_SwingingArm_1.csv",
    "opt_Samsung_Carmelo_Hard_NeckPouch_1.csv",
)


@dataclass
class Job:
    name: str
    kind: str
    t_raw: np.ndarray
    acc_raw: np.ndarray
    offline_steps: np.ndarray
    offline_cadence: np.ndarray  # per second
    truth_n: int | None
    band: TargetBand


def _raw(path: Path) -> tuple[np.ndarray, np.ndarray]:
    a = np.loadtxt(path, delimiter=",", skiprows=1)
    return a[:, 0], a[:, 1:4]


def jobs(include_all: bool) -> list[Job]:
    out: list[Job] = []

    def add_file(path: Path, truth_n: int | None, kind: str) -> None:
        t, acc = _raw(path)
        rec = read_accel_csv(path)
        off = estimate_steps(rec.acc_ms2, rec.fs_hz)
        band = TargetBand.parse(f"{round(off.median_cadence_spm)}")
        out.append(Job(path.name, kind, t, acc, off.step_times_s, off.cadence_spm, truth_n, band))

    walk = REPO / "sample_data" / "phone_backpocket_walk.csv"
    truth = np.loadtxt(REPO / "sample_data" / "phone_backpocket_walk.steps.txt", skiprows=1, ndmin=1)
    add_file(walk, len(truth), "walk (bundled)")
    ox = SHARED / "data" / "steps" / "oxford_stepcounter"
    if ox.is_dir():
        with open(ox / "truth.csv", newline="") as fh:
            truth_rows = {r["file"]: int(r["steps"]) for r in csv.DictReader(fh)}
        names = sorted(truth_rows) if include_all else OXFORD_DEFAULT
        for name in names:
            add_file(ox / name, truth_rows[name], "walk (oxford)")
    for cad, place, seed in ((166.0, "pocket", 1), (176.0, "waist", 2)):
        g = synth_gait([GaitSegment(150, "run", cad, cad + 4)], place, seed=seed)
        off = estimate_steps(g.acc_ms2, g.fs_hz)
        out.append(
            Job(
                f"generated treadmill {cad:g}->{cad + 4:g} spm ({place})",
                "treadmill (generated)",
                g.t_s,
                g.acc_ms2,
                off.step_times_s,
                off.cadence_spm,
                len(g.step_times_s),
                TargetBand.parse(f"{cad + 2:g}"),
            )
        )
    return out


def crossing_job() -> Job:
    g = synth_gait(
        [GaitSegment(50, "run", 160), GaitSegment(60, "run", 172), GaitSegment(40, "run", 160)],
        "pocket",
        seed=7,
    )
    off = estimate_steps(g.acc_ms2, g.fs_hz)
    return Job(
        "generated crossing run 160/172/160 spm",
        "cue",
        g.t_s,
        g.acc_ms2,
        off.step_times_s,
        off.cadence_spm,
        len(g.step_times_s),
        TargetBand(168, 176),
    )


@dataclass
class Result:
    job: Job
    n_live: int
    stream_delay: np.ndarray
    wall_delay: np.ndarray
    live_median_spm: float
    retracted: int
    cue_live: list[tuple[float, bool]]
    cue_offline: list[tuple[float, bool]]
    n_requests: int


def transitions(rows: list[tuple[float, bool]]) -> list[tuple[float, bool]]:
    out = []
    prev = False
    for t, c in rows:
        if c != prev:
            out.append((t, c))
            prev = c
    return out


def run_job(job: Job, speed: float) -> Result:
    with PhyphoxStandIn(job.t_raw, job.acc_raw, speed=speed) as phone:
        src = PhyphoxSource(phone.url, poll_s=0.1)
        session = LiveSession(job.band)
        wall_at: list[tuple[float, float]] = []  # (session latest_s, wall time)
        t_end = float(job.t_raw[-1] - job.t_raw[0])
        idle = 0
        while True:
            chunks = src.read()
            now = time.monotonic()
            for ch in chunks:
                session.add(ch, arrival_s=now)
            session.tick()
            wall_at.append((session.elapsed_s, now))
            if session.elapsed_s >= t_end - 1e-6:
                break
            idle = idle + 1 if not chunks else 0
            if idle > 100:
                raise RuntimeError(f"{job.name}: the stand-in stopped sending")
        start_wall = phone.start_wall
        n_req = len(phone.requests)
    session.finish()
    st, det = session.step_times_s, session.detected_at_s
    lat = np.array([w[0] for w in wall_at])
    wall = np.array([w[1] for w in wall_at])
    # the wall time at which the stream first reached the report time (the report happened in that read)
    i = np.clip(np.searchsorted(lat, det - 1e-9, side="left"), 0, len(wall) - 1)
    released = start_wall + st / speed
    wall_delay = (wall[i] - released) * speed
    cad = np.array([r.cadence_spm for r in session.rows])
    ok = np.isfinite(cad)
    # the cue rule on the offline per-second cadence, as the reference for the live cue
    ref = CueMachine()
    cue_off = [
        (float(k + 1), ref.step(float(k + 1), band_state(c, job.band)))
        for k, c in enumerate(job.offline_cadence)
    ]
    return Result(
        job,
        len(st),
        det - st,
        wall_delay,
        float(np.median(cad[ok])) if ok.any() else float("nan"),
        session.detector.n_retracted if session.detector else 0,
        [(r.t_s, r.cue) for r in session.rows],
        cue_off,
        n_req,
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--all", action="store_true", help="every oxford_stepcounter recording, not four")
    ap.add_argument("--speed", type=float, default=1.0, help="replay speed (1 = real time, the default)")
    ap.add_argument("--jobs", type=int, default=8, help="replays run at the same time (each its own server)")
    ap.add_argument("--csv", type=Path, help="also write the table here")
    args = ap.parse_args()

    todo = jobs(args.all) + [crossing_job()]
    longest = max(float(j.t_raw[-1] - j.t_raw[0]) for j in todo) / args.speed
    print(
        f"{len(todo)} replays through the phyphox stand-in at {args.speed:g}x "
        f"({args.jobs} at a time, the longest {longest:.0f} s) ...",
        flush=True,
    )
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda j: run_job(j, args.speed), todo))
    took = time.monotonic() - t0

    head = (
        f"{'recording':<44} {'live':>5} {'offl':>5} {'ref':>5} {'vs ref':>7} {'vs offl':>7} "
        f"{'delay med':>9} {'p90':>5} {'wall med':>8} {'p90':>5} {'spm live':>8} {'offl':>6} {'retr':>4}"
    )
    print(head)
    rows = []
    for r in results:
        j = r.job
        n_off = len(j.offline_steps)
        vs_ref = 100.0 * (r.n_live - j.truth_n) / j.truth_n if j.truth_n else float("nan")
        vs_off = 100.0 * (r.n_live - n_off) / n_off if n_off else float("nan")
        off_cad = j.offline_cadence[np.isfinite(j.offline_cadence)]
        off_med = float(np.median(off_cad)) if off_cad.size else float("nan")
        row = {
            "recording": j.name,
            "kind": j.kind,
            "live_steps": r.n_live,
            "offline_steps": n_off,
            "reference_steps": j.truth_n,
            "live_vs_reference_pct": vs_ref,
            "live_vs_offline_pct": vs_off,
            "stream_delay_median_s": float(np.median(r.stream_delay)),
            "stream_delay_p90_s": float(np.percentile(r.stream_delay, 90)),
            "wall_delay_median_s": float(np.median(r.wall_delay)),
            "wall_delay_p90_s": float(np.percentile(r.wall_delay, 90)),
            "live_median_spm": r.live_median_spm,
            "offline_median_spm": off_med,
            "retracted": r.retracted,
        }
        rows.append(row)
        print(
            f"{j.name[:44]:<44} {r.n_live:>5} {n_off:>5} {j.truth_n or '-':>5} {vs_ref:+6.1f}% {vs_off:+6.1f}% "
            f"{row['stream_delay_median_s']:>8.2f}s {row['stream_delay_p90_s']:>4.2f}s "
            f"{row['wall_delay_median_s']:>7.2f}s {row['wall_delay_p90_s']:>4.2f}s "
            f"{r.live_median_spm:>8.1f} {off_med:>6.1f} {r.retracted:>4}"
        )
    walks = [x for x in rows if x["kind"] != "cue"]
    ref_err = [abs(x["live_vs_reference_pct"]) for x in walks if x["reference_steps"]]
    print()
    print(
        f"steps vs reference: median |error| {np.median(ref_err):.1f} %, worst {max(ref_err):.1f} % (bar 3 %)"
    )
    print(
        f"steps vs offline:   median |error| {np.median([abs(x['live_vs_offline_pct']) for x in walks]):.2f} %, "
        f"worst {max(abs(x['live_vs_offline_pct']) for x in walks):.2f} % (bar 1 %)"
    )
    print(
        f"report delay (stream): median of medians {np.median([x['stream_delay_median_s'] for x in walks]):.2f} s,"
        f" worst p90 {max(x['stream_delay_p90_s'] for x in walks):.2f} s (bars 0.5 s / 1 s)"
    )
    print(
        f"report delay (wall, polling included): median of medians "
        f"{np.median([x['wall_delay_median_s'] for x in walks]):.2f} s, "
        f"worst p90 {max(x['wall_delay_p90_s'] for x in walks):.2f} s"
    )
    dc = [abs(x["live_median_spm"] - x["offline_median_spm"]) for x in walks]
    print(f"live median cadence vs offline: worst |difference| {max(dc):.2f} spm (bar 2 spm)")
    cue = results[-1]
    print()
    print(f"cue on the crossing run (band {cue.job.band.label}):")

    def fmt(tr: list[tuple[float, bool]]) -> str:
        return ", ".join(("on" if c else "off") + f" at {t:.0f} s" for t, c in tr)

    print(f"  live    {fmt(transitions(cue.cue_live))}")
    print(f"  offline {fmt(transitions(cue.cue_offline))}")
    agree = np.mean([a[1] == b[1] for a, b in zip(cue.cue_live, cue.cue_offline, strict=False)])
    print(f"  the live cue agrees with the offline rule in {100 * agree:.1f} % of the seconds")
    print(f"\n{took:.0f} s wall clock; {sum(r.n_requests for r in results)} HTTP requests served")
    if args.csv:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        with open(args.csv, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
