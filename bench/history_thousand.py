"""`cadence history` over 1,000 FIT files, cold cache, against fitdecode alone decoding the same files.

The 1,000 files are the running files of ../shared/data/fit (SOURCES.csv) copied round-robin into a temporary
folder under distinct names, each copy with its own 2-byte file CRC (not checked by either decoder) so that
every file has distinct bytes: no two share a cache entry. (``history`` would drop the copies' runs as "same
activity as" their twin when it builds the table, but it analyzes every file first, which is what is timed.)

- **fitdecode alone**: every frame of each distinct file decoded once, one process, times its number of copies
  (the copies' data are identical, so each copy costs what its original costs; decoding all 1,000 with
  fitdecode would take a quarter of an hour here);
- **history, cold**: ``collect_facts`` + ``build_history`` over the 1,000 files with an empty cache
  (``--jobs`` workers, default all CPUs), as ``cadence history DIR`` runs them, hashing and cache writes
  included; then the same again from the cache.

Target (issue 16): history cold <= 0.2x fitdecode alone.

    python bench/history_thousand.py [--n 1000] [--jobs N]
"""

from __future__ import annotations

import argparse
import csv
import shutil
import tempfile
import time
import warnings
from pathlib import Path

from _shared import shared_or_skip
from fit_speed import decode_only


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    fit_dir = shared_or_skip("data", "fit")
    from cadence._cache import default_jobs
    from cadence.coach.history import build_history, collect_facts

    with open(fit_dir / "SOURCES.csv", newline="") as fh:
        running = [r["file"] for r in csv.DictReader(fh) if "running" in r["sport"].split("+")]
    warnings.simplefilter("ignore")
    jobs = args.jobs or default_jobs()

    with tempfile.TemporaryDirectory(prefix="cadence-1000-") as tmp:
        folder = Path(tmp) / "runs"
        folder.mkdir()
        copies = {name: 0 for name in running}
        files = []
        for k in range(args.n):
            name = running[k % len(running)]
            data = bytearray((fit_dir / name).read_bytes())
            data[-2:] = (k % 65536).to_bytes(2, "little")  # the file CRC: distinct bytes, same data
            dest = folder / f"{k:04d}_{name}"
            dest.write_bytes(bytes(data))
            files.append(str(dest))
            copies[name] += 1
        mb = sum(Path(f).stat().st_size for f in files) / 1e6
        print(f"{len(files)} files ({mb:.0f} MB) from {len(running)} running files, {jobs} worker(s)")

        fitdecode_s = 0.0
        for name, n in copies.items():
            t0 = time.perf_counter()
            decode_only(str(fit_dir / name))
            fitdecode_s += (time.perf_counter() - t0) * n

        cache = Path(tmp) / "cache"
        t0 = time.perf_counter()
        outcomes, analyzed = collect_facts(files, cache_dir=cache, jobs=jobs)
        h = build_history(outcomes, n_analyzed=analyzed)
        cold_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        outcomes, analyzed_warm = collect_facts(files, cache_dir=cache, jobs=jobs)
        build_history(outcomes, n_analyzed=analyzed_warm)
        warm_s = time.perf_counter() - t0
        shutil.rmtree(cache)

    print(f"fitdecode alone (one process):  {fitdecode_s:8.1f} s")
    print(f"history, cold cache:            {cold_s:8.1f} s  ({analyzed} analyzed, {len(h.runs)} runs, "
          f"{len(h.skipped)} skipped as copies or not runs, {len(h.errors)} errors)")
    print(f"history, cached:                {warm_s:8.2f} s  ({analyzed_warm} analyzed)")
    print(f"history cold / fitdecode alone: {cold_s / fitdecode_s:.3f} (target <= 0.2)")


if __name__ == "__main__":
    main()
