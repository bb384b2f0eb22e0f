"""Draw docs/img/accel_window.png: one analysis window of a real back-pocket walk, step by step.

Usage: ``python bench/accel_figure.py`` (needs ../shared; matplotlib is a dependency of cadence).
Dev-only: a docs figure, not a benchmark.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
SHARED = Path(os.environ.get("CADENCE_SHARED", REPO.parent / "shared"))
FILE = SHARED / "data" / "steps" / "oxford_stepcounter" / "opt_Samsung_Carmelo_Hard_BackPocket_2.csv"
OUT = REPO / "docs" / "img" / "accel_window.png"

from cadence.gait import steps as S  # noqa: E402
from cadence.readers.accel_csv import read_accel_csv  # noqa: E402


def main() -> int:
    if not FILE.exists():
        print(f"skipped: {FILE} not found (set CADENCE_SHARED)")
        return 0
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rec = read_accel_csv(FILE)
    res = S.estimate_steps(rec.acc_ms2, rec.fs_hz)
    truth = np.loadtxt(str(FILE) + ".events.csv", skiprows=1)
    mag = np.linalg.norm(rec.acc_ms2, axis=1)
    x_raw, fs = S._decimate(mag, rec.fs_hz, S._INTERNAL_HZ)
    x = S._bandpass(x_raw, fs, 0.6, 6.0)
    t0, win_s = 60.0, 6.0
    a, b = int(t0 * fs), int((t0 + win_s) * fs)
    max_lag = int(2 * 60 / S.StepOptions().min_spm * fs * 1.1) + 2
    r = S._window_acf(x, b - a, np.array([a]), max_lag)[0]
    lags = np.arange(len(r)) / fs
    w = int(np.argmin(np.abs(res.window_t_s - (t0 + win_s / 2))))
    step_s = 60.0 / res.window_cadence_spm[w]
    fc = 1.0 / step_s
    y = S._bandpass(x[a - int(3 * fs) : b + int(3 * fs)], fs, fc / S._BAND_RATIO, fc * S._BAND_RATIO)
    y = y[int(3 * fs) : int(3 * fs) + (b - a)]
    t = t0 + np.arange(b - a) / fs
    det = res.step_times_s[(res.step_times_s >= t0) & (res.step_times_s < t0 + win_s)]
    tru = truth[(truth >= t0) & (truth < t0 + win_s)]

    fig, ax = plt.subplots(3, 1, figsize=(9, 8.2), constrained_layout=True)
    ax[0].plot(t, x_raw[a:b] / 9.80665, color="0.3", lw=1)
    for v in tru:
        ax[0].axvline(v, color="tab:green", lw=1, ls="--")
    ax[0].plot(
        det, np.interp(det, t, x_raw[a:b] / 9.80665), "v", color="tab:red", ms=9, label="detected steps"
    )
    ax[0].plot([], [], color="tab:green", ls="--", label="true steps (pressure pads)")
    ax[0].set(ylabel="|acceleration| (g)", title="1. Phone in the back pocket: one big bump per stride")
    ax[0].legend(loc="upper right", fontsize=8)

    ax[1].plot(lags, r, color="tab:blue")
    stride = 2 * step_s
    ax[1].axvline(stride, color="tab:purple", lw=1.5, label=f"stride {stride:.2f} s (strongest repeat)")
    ax[1].axvline(
        step_s, color="tab:red", lw=1.5, label=f"half of it: step {step_s:.2f} s -> {60 / step_s:.0f} spm"
    )
    ax[1].axvspan(60 / 220, 60 / 65, color="0.9", zorder=0, label="step periods 65-220 spm")
    ax[1].set(xlabel="lag (s)", ylabel="autocorrelation", title="2. Autocorrelation of the 6 s window: the"
              " half-lag peak says the dominant cycle is a stride")  # fmt: skip
    ax[1].legend(loc="lower right", fontsize=8)

    ax[2].plot(t, y, color="tab:orange")
    ax[2].plot(det, np.interp(det, t, y), "v", color="tab:red", ms=9)
    for v in tru:
        ax[2].axvline(v, color="tab:green", lw=1, ls="--")
    ax[2].set(xlabel="time (s)", ylabel="band-passed (m/s^2)",
              title=f"3. Narrow band-pass around {fc:.2f} Hz: one peak per step")  # fmt: skip
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, dpi=90)
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
