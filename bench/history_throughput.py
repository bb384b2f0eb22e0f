"""Throughput of `cadence history` on ../shared/data/fit: cold cache, cached, against a plain serial loop.

Runs in one process, one after the other:

1. peer: a plain serial loop of ``analyze_file`` over every file (what a user script would do);
2. cold: ``collect_facts`` + ``build_history`` with an empty cache in a temporary folder (process pool over
   ``--jobs`` workers, default all CPUs; includes hashing and writing the cache);
3. cached: the same again (every file from the cache);
4. the command line, cached, as a user runs it (``python -m cadence history DIR --json``), process start
   included.

Prints files/s for each and the ratios cold/peer and cached/cold. The machine is shared and noisy: compare
the ratios, not the absolute times.

    python bench/history_throughput.py [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings

from _shared import REPO, shared_or_skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: all CPUs)")
    args = parser.parse_args()
    fit_dir = shared_or_skip("data", "fit")

    from cadence._cache import default_jobs
    from cadence.coach.history import build_history, collect_facts
    from cadence.errors import CadenceError
    from cadence.pipeline import analyze_file, find_activity_files

    warnings.simplefilter("ignore")
    files = list(find_activity_files([fit_dir]))
    n = len(files)
    jobs = args.jobs or default_jobs()
    print(f"{n} files in {fit_dir}, {jobs} worker process(es), {os.cpu_count()} CPUs on the machine")

    t0 = time.perf_counter()
    n_runs = 0
    for path in files:
        try:
            n_runs += sum(
                r.trace.sport == "running" and r.summary.running_time_s > 0 for r in analyze_file(path)
            )
        except CadenceError:
            pass
    peer_s = time.perf_counter() - t0

    with tempfile.TemporaryDirectory(prefix="cadence-bench-cache-") as cache:
        t0 = time.perf_counter()
        outcomes, analyzed_cold = collect_facts(files, cache_dir=cache, jobs=jobs)
        h_cold = build_history(outcomes, n_analyzed=analyzed_cold)
        cold_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        outcomes, analyzed_warm = collect_facts(files, cache_dir=cache, jobs=jobs)
        h_warm = build_history(outcomes, n_analyzed=analyzed_warm)
        warm_s = time.perf_counter() - t0

        env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "cadence", "history", str(fit_dir), "--json", "--cache-dir", cache],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        cli_s = time.perf_counter() - t0

    assert analyzed_warm == 0 and len(h_warm.runs) == len(h_cold.runs)
    print(f"running sessions: {n_runs} (history lists {len(h_cold.runs)} runs after removing duplicates)")
    print(f"{'':34s} {'seconds':>8s} {'files/s':>9s}")
    print(f"{'peer: serial analyze_file loop':34s} {peer_s:8.2f} {n / peer_s:9.1f}")
    print(f"{'history, cold cache':34s} {cold_s:8.2f} {n / cold_s:9.1f}   ({analyzed_cold} analyzed)")
    print(f"{'history, cached':34s} {warm_s:8.3f} {n / warm_s:9.0f}   ({analyzed_warm} analyzed)")
    print(f"{'cadence history --json (cached)':34s} {cli_s:8.2f} {n / cli_s:9.0f}   (exit {proc.returncode})")
    print(f"cold / peer speed-up: {peer_s / cold_s:.2f}x   cached / cold speed-up: {cold_s / warm_s:.0f}x")


if __name__ == "__main__":
    main()
