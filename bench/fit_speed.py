"""Time `cadence analyze` (read + analysis) on every running FIT file against fitdecode decoding alone.

Both run in the same process, alternating, best of N repeats per file, so machine noise hits both alike.
Prints per-file times and the total ratio (analyze / fitdecode-only; 1.00 = no overhead over decoding).

    python bench/fit_speed.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import time
import warnings

from _shared import shared_or_skip


def decode_only(path: str) -> int:
    import fitdecode

    n = 0
    try:
        with fitdecode.FitReader(
            path, check_crc=fitdecode.CrcCheck.DISABLED, error_handling=fitdecode.ErrorHandling.IGNORE
        ) as reader:
            for frame in reader:
                if isinstance(frame, fitdecode.FitDataMessage):
                    n += 1
    except fitdecode.FitError:
        pass  # broken files: time what fitdecode decodes before the break, as analyze does
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    fit_dir = shared_or_skip("data", "fit")
    from cadence.errors import CadenceError
    from cadence.pipeline import analyze_file

    with open(fit_dir / "SOURCES.csv", newline="") as fh:
        running = [r["file"] for r in csv.DictReader(fh) if "running" in r["sport"].split("+")]
    warnings.simplefilter("ignore")
    total_a = total_d = 0.0
    print(f"{'file':48s} {'records':>8s} {'decode s':>9s} {'analyze s':>10s} {'ratio':>6s}")
    for name in running:
        path = str(fit_dir / name)
        best_a = best_d = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            n_msgs = decode_only(path)
            best_d = min(best_d, time.perf_counter() - t0)
            t0 = time.perf_counter()
            try:
                results = analyze_file(path)
            except CadenceError:
                results = []
            best_a = min(best_a, time.perf_counter() - t0)
        total_a += best_a
        total_d += best_d
        n_rec = sum(r.trace.n for r in results)
        print(f"{name[:48]:48s} {n_rec:8d} {best_d:9.3f} {best_a:10.3f} {best_a / best_d:6.2f}  ({n_msgs} msgs)")
    print(f"\nTOTAL {len(running)} running files: fitdecode alone {total_d:.2f} s, cadence analyze {total_a:.2f} s, "
          f"ratio {total_a / total_d:.2f}")


if __name__ == "__main__":
    main()
