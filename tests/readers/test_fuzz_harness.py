"""A bounded run of bench/fuzz.py: a few hundred mutated real files through the loader, in limited workers.

The full-scale run (tens of thousands of cases) is ``python bench/fuzz.py``; this keeps a seeded sample in CI
so a reader that starts to crash, hang or print unnamed errors on damaged files fails here first.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "fuzz.py"


@pytest.fixture(scope="module")
def fuzz():
    spec = importlib.util.spec_from_file_location("cadence_bench_fuzz", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_mutations_are_deterministic_and_change_the_file(fuzz):
    import random

    seed = fuzz.Seed(Path("x.csv"), b"t,ax,ay,az\n" + b"".join(b"%d,0,0,9.8\n" % i for i in range(50)))
    a = [fuzz.mutate(random.Random(f"0:csv:{i}"), seed, [seed]) for i in range(40)]
    b = [fuzz.mutate(random.Random(f"0:csv:{i}"), seed, [seed]) for i in range(40)]
    assert a == b
    assert sum(data != seed.data for data, _ in a) >= 35


def test_a_seeded_sample_of_damaged_files_gives_only_clean_outcomes(fuzz, tmp_path):
    shared = (fuzz.SHARED / "data" / "fit").is_dir()
    tally = fuzz.run(
        {"fit": 150, "csv": 150, "other": 40},
        jobs=2,
        timeout_s=30,
        mem_mb=2048,
        base_seed=2026,
        shared=shared,
        keep=tmp_path,
    )
    counts = {kind: dict(c) for kind, c in tally.counts.items()}
    assert sum(counts["fit"].values()) == 150 and sum(counts["csv"].values()) == 150
    assert counts["fit"].get("warned", 0) > 0 and counts["fit"].get("ours", 0) > 0  # the mutations bite
    assert not tally.failures, fuzz.report(tally, 0)
