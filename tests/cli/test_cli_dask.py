"""``--scheduler tcp://HOST:PORT``: history and analyze on a Dask distributed cluster give the local JSON.

The cluster is a ``distributed.LocalCluster`` on the loopback address (a scheduler and worker processes
started by the test); the command runs as a user runs it, in a subprocess.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import REPO, SAMPLE_DATA, run_cadence

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None, processes=True
    ) as cluster:
        yield cluster.scheduler_address


def _same_json_both_ways(folder: Path, scheduler: str, cache: Path) -> None:
    for command in ("analyze", "history"):
        local = run_cadence(command, str(folder), "--json", "--no-cache", timeout=600)
        remote = run_cadence(
            command, str(folder), "--json", "--cache-dir", str(cache), "--scheduler", scheduler, timeout=600
        )
        assert remote.returncode == local.returncode, remote.stderr
        assert json.loads(remote.stdout) == json.loads(local.stdout), command
    # the cache is written here, from what the workers sent back: a second run needs no cluster
    cached = run_cadence("history", str(folder), "--json", "--cache-dir", str(cache), timeout=600)
    doc = json.loads(cached.stdout)
    assert doc["files"]["analyzed"] == 0 and doc["files"]["from_cache"] == doc["files"]["found"]


def test_same_json_as_local(scheduler: str, tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    for f in [
        SAMPLE_DATA / "fdec__activity-small-fenix2-run.fit",
        REPO / "tests" / "data" / "fdec__garmin-fenix-5-walk.fit",
        REPO / "tests" / "data" / "fdec__activity-unexpected-eof.fit",  # a warning naming the file
        REPO / "tests" / "data" / "fdec__Settings.fit",  # an error naming the file
    ]:
        shutil.copy(f, folder / f.name)
    _same_json_both_ways(folder, scheduler, tmp_path / "cache")


@pytest.mark.shared
@pytest.mark.slow
def test_same_json_as_local_on_the_shared_fit_files(scheduler: str, shared_dir: Path, tmp_path: Path) -> None:
    _same_json_both_ways(shared_dir / "data" / "fit", scheduler, tmp_path / "cache")


def test_unreachable_scheduler_is_one_line(tmp_path: Path) -> None:
    run = run_cadence(
        "history", str(SAMPLE_DATA), "--no-cache", "--scheduler", "tcp://127.0.0.1:9", timeout=120
    )
    assert run.returncode == 2
    assert "cannot connect" in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
