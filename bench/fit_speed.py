"""FIT decoding speed: fitdecode alone vs the fast decoder vs `cadence analyze`, side by side in one run.

On every running FIT file of ../shared/data/fit (SOURCES.csv), in one process, alternating, best of N repeats
per file so machine noise hits all three alike:

- **fitdecode**: ``fitdecode.FitReader`` over the file, every frame decoded (what the analysis paid before);
- **fast**: ``cadence.readers.fit_fast.decode_fit`` (records vectorized, the few other messages one by one);
- **analyze**: ``cadence.pipeline.analyze_file``, reading and the whole analysis.

Before timing, each file's traces are checked identical both ways (fast path vs fitdecode path). Then the
2 h run (elev__portland.fit, 1 h 53 min) through the command line as a user runs it, ``cadence analyze FILE
--json`` in a fresh process, before (``CADENCE_FIT_DECODER=fitdecode``) and after.

Targets (issue 16): fast >= 10x faster than fitdecode; analyze <= 0.15x fitdecode alone.

    python bench/fit_speed.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import time
import warnings

import numpy as np
from _shared import REPO, shared_or_skip


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


def same_traces(path: str) -> bool:
    from cadence.errors import InputFormatError
    from cadence.readers import fit

    def state(collect: object) -> object:
        try:
            raw, broke = collect(path)  # type: ignore[operator]
            traces = fit._traces_from_raw(path, raw, broke)
        except InputFormatError as exc:
            return str(exc)
        return [
            [np.asarray(getattr(t, k)).tolist() for k in ("t_s", "cadence_spm", "speed_ms", "distance_m")]
            + [repr(t.device), t.sport, t.notes]
            for t in traces
        ]

    return repr(state(fit._collect)) == repr(state(fit._collect_fitdecode))


def best(fn: object, repeat: int) -> float:
    out = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        out = min(out, time.perf_counter() - t0)
    return out


def cli_seconds(path: str, env_extra: dict[str, str], repeat: int) -> tuple[float, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"), **env_extra)
    times, out = [], ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "cadence", "analyze", path, "--json", "--no-cache"],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        times.append(time.perf_counter() - t0)
        out = proc.stdout
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    fit_dir = shared_or_skip("data", "fit")
    from cadence.errors import CadenceError
    from cadence.pipeline import analyze_file
    from cadence.readers.fit_fast import FallbackNeeded, decode_fit

    with open(fit_dir / "SOURCES.csv", newline="") as fh:
        running = [r["file"] for r in csv.DictReader(fh) if "running" in r["sport"].split("+")]
    warnings.simplefilter("ignore")

    def analyze(path: str) -> None:
        try:
            analyze_file(path)
        except CadenceError:
            pass

    def fast(path: str) -> None:
        try:
            decode_fit(path)
        except FallbackNeeded:
            decode_only(path)  # what read_fit then does

    total = {"fitdecode": 0.0, "fast": 0.0, "analyze": 0.0}
    mismatches = []
    fell_back = []
    print(f"{'file':46s} {'MB':>5s} {'fitdecode s':>11s} {'fast s':>8s} {'analyze s':>9s} {'x faster':>8s}")
    for name in running:
        path = str(fit_dir / name)
        if not same_traces(path):
            mismatches.append(name)
        try:
            decode_fit(path)
        except FallbackNeeded as exc:
            fell_back.append(f"{name} ({exc})")
        analyze(path)  # warm imports and caches once
        t_d = best(lambda p=path: decode_only(p), args.repeat)
        t_f = best(lambda p=path: fast(p), args.repeat)
        t_a = best(lambda p=path: analyze(p), args.repeat)
        total["fitdecode"] += t_d
        total["fast"] += t_f
        total["analyze"] += t_a
        size = os.path.getsize(path) / 1e6
        print(f"{name[:46]:46s} {size:5.2f} {t_d:11.3f} {t_f:8.4f} {t_a:9.4f} {t_d / t_f:8.1f}")
    d, f, a = total["fitdecode"], total["fast"], total["analyze"]
    print(f"\nTOTAL {len(running)} running files: fitdecode alone {d:.2f} s, fast decoder {f:.3f} s, "
          f"cadence analyze {a:.3f} s")
    print(f"fast decoder: {d / f:.1f}x faster than fitdecode (target >= 10x)")
    print(f"cadence analyze / fitdecode alone: {a / d:.3f} (target <= 0.15)")
    print(f"traces identical both ways: {len(running) - len(mismatches)}/{len(running)}"
          + (f" (differ: {', '.join(mismatches)})" if mismatches else ""))
    print(f"left to fitdecode by the fast path: {len(fell_back)}" + "".join(f"\n  {x}" for x in fell_back))

    two_hours = str(fit_dir / "elev__portland.fit")
    before, out_before = cli_seconds(two_hours, {"CADENCE_FIT_DECODER": "fitdecode"}, args.repeat)
    after, out_after = cli_seconds(two_hours, {}, args.repeat)
    print(f"\n`cadence analyze elev__portland.fit --json` (1 h 53 min, new process, best of {args.repeat}):")
    print(f"before {before:.2f} s, after {after:.2f} s ({before / after:.1f}x); "
          f"same JSON: {out_before == out_after}")


if __name__ == "__main__":
    main()
