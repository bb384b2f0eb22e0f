"""How well `watch_avg_cadence_spm` reproduces each running file's own session average (should be <= 1 spm).

Also prints the running cadence next to it, to show how much walk breaks and stops dilute the watch's figure.

    python bench/fit_watch_average.py
"""

from __future__ import annotations

import math
import warnings

from _shared import shared_or_skip


def main() -> None:
    fit_dir = shared_or_skip("data", "fit")
    from cadence.errors import CadenceError
    from cadence.pipeline import analyze_file

    warnings.simplefilter("ignore")
    rows = []
    for path in sorted(fit_dir.glob("*.fit")):
        try:
            results = analyze_file(path)
        except CadenceError:
            continue
        for r in results:
            dev = r.trace.device.avg_cadence_spm
            if r.trace.sport != "running" or not math.isfinite(dev):
                continue
            s = r.summary
            rows.append((path.name, r.trace.device_name, dev, s.watch_avg_cadence_spm, s.running_cadence_spm))
    print(f"{'file':40s} {'device':22s} {'session':>8s} {'ours':>7s} {'diff':>6s} {'running':>8s}")
    n_ok = 0
    for name, device, dev, ours, run in rows:
        ok = abs(ours - dev) <= 1.0
        n_ok += ok
        print(f"{name[:40]:40s} {device[:22]:22s} {dev:8.1f} {ours:7.1f} {ours - dev:+6.1f} {run:8.1f} {'' if ok else '  > 1 spm'}")
    print(f"\n{n_ok} of {len(rows)} running sessions within 1 spm of the session message")


if __name__ == "__main__":
    main()
