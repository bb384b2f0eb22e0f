"""The content-keyed parallel runner shared by ``history`` and ``analyze`` (cadence._cache.run_cached)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from cadence._cache import CachedJob, run_cached


def _count_bytes(path: str) -> dict[str, Any]:
    """The work: a file's size and a marker of where it ran (module level: it is pickled to workers)."""
    return {"file": path, "size": os.path.getsize(path), "pid": os.getpid()}


def _job(salt: str = "v1") -> CachedJob[dict[str, Any]]:
    return CachedJob(
        work=_count_bytes,
        namespace="test-v1",
        salt=salt,
        encode=lambda out: out,
        decode=lambda raw, path: {**raw, "file": path, "cached": True},
        rename=lambda out, old, new: {**out, "file": new},
        cacheable=lambda out: True,
        crashed=lambda path, exc: {"file": path, "error": str(exc)},
    )


def _files(tmp_path: Path, sizes: list[int]) -> list[str]:
    out = []
    for i, n in enumerate(sizes):
        p = tmp_path / f"f{i}.bin"
        p.write_bytes(bytes([i]) * n)
        out.append(str(p))
    return out


@pytest.mark.parametrize("jobs", [1, 2])
def test_results_in_file_order_then_from_the_cache(tmp_path: Path, jobs: int) -> None:
    files = _files(tmp_path, [10, 3000, 200, 50])
    ticks: list[tuple[int, int]] = []
    out, cached = run_cached(
        _job(), files, cache_dir=tmp_path / "c", jobs=jobs, progress=lambda d, t: ticks.append((d, t))
    )
    assert [o["file"] for o in out] == files and [o["size"] for o in out] == [10, 3000, 200, 50]
    assert cached == [False] * 4
    # progress is weighted by bytes: it ends at the total, never goes back
    assert ticks[-1] == (3260, 3260) and [d for d, _ in ticks] == sorted(d for d, _ in ticks)
    if jobs == 2:
        assert os.getpid() not in {o["pid"] for o in out}  # ran in worker processes
    again, cached = run_cached(_job(), files, cache_dir=tmp_path / "c", jobs=jobs)
    assert cached == [True] * 4 and all(o.get("cached") for o in again)
    other_salt, cached = run_cached(_job("v2"), files, cache_dir=tmp_path / "c", jobs=jobs)
    assert cached == [False] * 4  # another salt (options, version) is another key


def test_progress_counts_only_the_files_left(tmp_path: Path) -> None:
    files = _files(tmp_path, [100, 1000])
    run_cached(_job(), files[:1], cache_dir=tmp_path / "c", jobs=1)
    ticks: list[tuple[int, int]] = []
    _, cached = run_cached(
        _job(), files, cache_dir=tmp_path / "c", jobs=1, progress=lambda d, t: ticks.append((d, t))
    )
    assert cached == [True, False] and ticks == [(1000, 1000)]


def test_no_cache_dir_reads_and_writes_nothing(tmp_path: Path) -> None:
    files = _files(tmp_path, [5])
    run_cached(_job(), files, cache_dir=None, jobs=1)
    assert not (tmp_path / "c").exists()
    with pytest.raises(ValueError, match="jobs=0"):
        run_cached(_job(), files, cache_dir=None, jobs=0)
