"""Step-count and cadence accuracy on the labelled walks in ../shared/data/steps, side by side with a peer.

Usage: ``python bench/steps_accuracy.py [--no-peer] [--csv bench/out/steps_accuracy.csv]``,
``python bench/steps_accuracy.py --synthetic`` or ``python bench/steps_accuracy.py --linear``

For every recording: the file is read with cadence's own reader (irregular Android sampling resampled to a
uniform grid), cadence's detector runs on it, and the peer runs on *the same arrays*: mobgap's published
initial-contact detector ``IcdShinImproved`` on the acceleration norm (mobilise-d/mobgap, Micó-Amigo et al.
2023), the one mobgap step detector that works in any sensor orientation (its gait-sequence detectors need a
lower-back body frame, so the peer runs on the whole recording; in mobgap_lab only steps inside the reference
bouts are scored anyway). The peer's cadence is computed from its step times with the same per-second
method as ours.

Scoring:
- oxford_stepcounter: every step in the file (the walks fill the recording); step-count error =
  (detected - truth) / truth; cadence error = |median of the per-second cadence over the labelled span -
  truth cadence_spm from truth.csv|. Ground truth comes from pressure pads; ``pad2x`` counts truth intervals
  under 0.3 s (pad double triggers, which inflate the truth count and its cadence).
- mobgap_lab: only inside the reference walking bouts of wb_reference.csv (steps outside them are not
  annotated), each bout widened by half a step on both sides; cadence error is the bout-duration-weighted
  |median per-second cadence in the bout - reference bout cadence|.

Bars (issue 3): median |step error| <= 3 %, no file worse than 10 %, median cadence error <= 2 spm.
Skips cleanly (exit 0) when ../shared is not there.

``--synthetic`` (needs no ../shared): the 20 generated runs of tests/gait/test_steps.py (5 placements x 4
cadences 150-200 spm, each with a cadence ramp, a walk break, a harder stretch and standing; the case list and
scoring are imported from the test, the segments mirror its ``running_scores`` fixture), printing the numbers
the test only asserts: median and worst |step error| and the median of the per-case cadence errors.

``--linear``: the 17 oxford_stepcounter walks turned into linear acceleration (gravity removed with a 1 s
moving mean per axis, as a phone's "linear acceleration" does), run through the gravity-free (principal-axis)
path, next to the magnitude path on the originals; prints median and worst |step error| for both.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
SHARED = Path(os.environ.get("CADENCE_SHARED", REPO.parent / "shared"))
DATA = SHARED / "data" / "steps"

from cadence.gait.accel import analyze_recording  # noqa: E402
from cadence.gait.steps import StepOptions, _per_second  # noqa: E402
from cadence.readers.accel_csv import read_accel_csv  # noqa: E402


def peer_steps(acc_ms2: np.ndarray, fs_hz: float) -> np.ndarray:
    """mobgap IcdShinImproved(axis="norm") step times (s) on the same samples."""
    import pandas as pd
    from mobgap.initial_contacts import IcdShinImproved

    data = pd.DataFrame(
        np.column_stack([acc_ms2, np.zeros_like(acc_ms2)]),
        columns=["acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ic = IcdShinImproved(axis="norm").detect(data, sampling_rate_hz=fs_hz).ic_list_
    return np.sort(ic["ic"].to_numpy() / fs_hz)


def score(steps_t, sec_t, sec_cad, name, truth_row, events, bouts):
    """(truth steps, detected steps, error %, cadence error spm) for one file."""
    if bouts:
        n_true = n_det = 0
        cerr, weights = [], []
        for s, e, n, cad in bouts:
            half = 0.5 * (e - s) / (n - 1)
            n_true += n
            n_det += int(np.sum((steps_t >= s - half) & (steps_t <= e + half)))
            c = sec_cad[(sec_t >= s) & (sec_t <= e)]
            c = c[np.isfinite(c)]
            if len(c):
                cerr.append(np.median(c) - cad)
                weights.append(e - s)
        cad_err = abs(float(np.average(cerr, weights=weights))) if cerr else float("nan")
    else:
        n_true, n_det = len(events), len(steps_t)
        c = sec_cad[(sec_t >= events[0]) & (sec_t <= events[-1])]
        c = c[np.isfinite(c)]
        cad_err = abs(float(np.median(c)) - float(truth_row["cadence_spm"])) if len(c) else float("nan")
    return n_true, n_det, 100.0 * (n_det - n_true) / n_true, cad_err


def _test_module():
    """tests/gait/test_steps.py as a module (its case list and scoring), loaded by path."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_test_steps", REPO / "tests" / "gait" / "test_steps.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def synthetic() -> int:
    """The generated running cases of tests/gait/test_steps.py: the numbers behind the test's bars."""
    from cadence.gait.steps import estimate_steps
    from cadence.gait.synth import synth_gait

    mod = _test_module()
    errs, cerrs = [], []
    print(f"{'placement':9s} {'spm':>4s} {'truth':>5s} {'steps':>5s} {'err%':>6s} {'cad_err':>7s}")
    for i, (place, cad) in enumerate(mod.RUN_CASES):
        g = synth_gait(mod.run_segments(cad), place, fs_hz=100.0, seed=100 + i)  # the test's own runs
        res = estimate_steps(g.acc_ms2, g.fs_hz)
        e, c = mod.score(g, res)
        errs.append(abs(e))
        cerrs.append(c)
        print(f"{place.value:9s} {cad:4d} {len(g.step_times_s):5d} {res.n_steps:5d} {e:6.2f} {c:7.2f}")
    med, worst, cmed = np.median(errs), max(errs), np.median(cerrs)
    ok = med <= 3 and worst <= 10 and cmed <= 2
    print(
        f"{len(errs)} generated runs: median |step err| {med:.2f} %   worst {worst:.2f} %   "
        f"median cadence err {cmed:.2f} spm   -> {'PASS' if ok else 'FAIL'} (bars 3 % / 10 % / 2 spm)"
    )
    return 0


def linear() -> int:
    """Oxford walks with gravity removed by a 1 s moving mean: the gravity-free path vs the magnitude path."""
    from scipy.ndimage import uniform_filter1d

    from cadence.gait.steps import estimate_steps

    folder = DATA / "oxford_stepcounter"
    with open(folder / "truth.csv", newline="") as fh:
        names = sorted(r["file"] for r in csv.DictReader(fh))
    print(f"{'file':44s} {'truth':>5s} | {'orig':>5s} {'err%':>6s} | {'linear':>6s} {'err%':>6s}")
    e_orig, e_lin = [], []
    for name in names:
        events = np.loadtxt(str(folder / name) + ".events.csv", skiprows=1, ndmin=1)
        rec = read_accel_csv(folder / name)
        size = max(1, int(round(rec.fs_hz)))  # 1 s
        lin = rec.acc_ms2 - uniform_filter1d(rec.acc_ms2, size=size, axis=0, mode="nearest")
        n_orig = estimate_steps(rec.acc_ms2, rec.fs_hz, gravity_included=rec.gravity_included).n_steps
        n_lin = estimate_steps(lin, rec.fs_hz, gravity_included=False).n_steps
        n = len(events)
        e_orig.append(100.0 * (n_orig - n) / n)
        e_lin.append(100.0 * (n_lin - n) / n)
        print(f"{name[:44]:44s} {n:5d} | {n_orig:5d} {e_orig[-1]:6.1f} | {n_lin:6d} {e_lin[-1]:6.1f}")
    for label, e in (("original (magnitude path)", e_orig), ("linear (principal-axis path)", e_lin)):
        a = np.abs(e)
        print(f"{label:29s} {len(a)} walks: median |step err| {np.median(a):.2f} %   worst {a.max():.2f} %")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-peer", action="store_true", help="skip the mobgap peer")
    ap.add_argument("--csv", help="also write the table to this CSV file")
    ap.add_argument("--synthetic", action="store_true", help="only the generated running cases of the tests")
    ap.add_argument("--linear", action="store_true", help="only the Oxford walks with gravity removed")
    args = ap.parse_args()
    if args.synthetic:
        return synthetic()
    if not DATA.is_dir():
        print(f"skipped: {DATA} not found (set CADENCE_SHARED)")
        return 0
    if args.linear:
        return linear()
    peer_ok = not args.no_peer
    if peer_ok:
        try:
            import mobgap  # noqa: F401
        except ImportError:
            print("peer skipped: mobgap is not installed (pip install mobgap)")
            peer_ok = False

    wb: dict[str, list[tuple[float, float, int, float]]] = {}
    with open(DATA / "mobgap_lab" / "wb_reference.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            wb.setdefault(r["file"], []).append(
                (
                    float(r["start_s"]),
                    float(r["end_s"]),
                    int(r["n_initial_contacts"]),
                    float(r["cadence_spm"]),
                )
            )
    rows = []
    opt = StepOptions()
    t_ours = t_peer = 0.0
    for folder in ("oxford_stepcounter", "mobgap_lab"):
        with open(DATA / folder / "truth.csv", newline="") as fh:
            truth = {r["file"]: r for r in csv.DictReader(fh)}
        for name in sorted(truth):
            path = DATA / folder / name
            events = np.loadtxt(str(path) + ".events.csv", skiprows=1, ndmin=1)
            rec = read_accel_csv(path)
            t0 = time.perf_counter()
            res = analyze_recording(rec, opt).steps
            t_ours += time.perf_counter() - t0
            ours = score(res.step_times_s, res.t_s, res.cadence_spm, name, truth[name], events, wb.get(name))
            peer = (np.nan,) * 4
            if peer_ok:
                t0 = time.perf_counter()
                ps = peer_steps(rec.acc_ms2, rec.fs_hz) + rec.t_s[0]
                t_peer += time.perf_counter() - t0
                per = _per_second(ps, float(rec.t_s[0]), float(rec.t_s[-1]), opt)
                peer = score(ps, per["t_s"], per["cadence_spm"], name, truth[name], events, wb.get(name))
            pad2x = int(np.sum(np.diff(events) < 0.3))
            rows.append((folder, name, truth[name]["placement"], pad2x, *ours, *peer[1:]))

    hdr = (
        f"{'file':44s} {'placement':17s} {'pad2x':>5s} {'truth':>5s} | {'ours':>5s} {'err%':>6s} "
        f"{'cad_err':>7s} | {'peer':>5s} {'err%':>6s} {'cad_err':>7s}"
    )
    print(hdr)
    print("-" * len(hdr))
    for _folder, name, place, pad2x, nt, nd, err, cerr, pnd, perr, pcerr in rows:
        print(
            f"{name[:44]:44s} {place[:17]:17s} {pad2x:5d} {nt:5d} | {nd:5d} {err:6.1f} {cerr:7.1f} | "
            f"{pnd:5.0f} {perr:6.1f} {pcerr:7.1f}"
        )
    arr = np.array([[r[6], r[7], r[9], r[10]] for r in rows], dtype=float)
    print("-" * len(hdr))

    def summary(label, err, cerr):
        med, worst, cmed = np.median(np.abs(err)), np.max(np.abs(err)), np.nanmedian(cerr)
        ok = med <= 3 and worst <= 10 and cmed <= 2
        print(
            f"{label:8s} median |step err| {med:5.2f} %   worst {worst:6.2f} %   median cadence err "
            f"{cmed:5.2f} spm   -> {'PASS' if ok else 'FAIL'} (bars 3 % / 10 % / 2 spm)"
        )

    summary("cadence", arr[:, 0], arr[:, 1])
    if peer_ok:
        summary("mobgap", arr[:, 2], arr[:, 3])
        print(
            f"detector time: cadence {t_ours:.2f} s, mobgap {t_peer:.2f} s "
            f"({t_peer / max(t_ours, 1e-9):.1f}x) on {len(rows)} files"
        )
    if args.csv:
        Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
        with open(args.csv, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(
                [
                    "folder",
                    "file",
                    "placement",
                    "truth_intervals_under_0.3s",
                    "truth_steps",
                    "steps",
                    "step_err_pct",
                    "cadence_err_spm",
                    "peer_steps",
                    "peer_step_err_pct",
                    "peer_cadence_err_spm",
                ]
            )
            w.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
