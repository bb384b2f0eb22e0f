"""``cadence analyze FOLDER``: many files in parallel, cached by content like ``history``, same output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from cadence.report.batch import ANALYZE_CACHE_VERSION
from conftest import REPO, SAMPLE_DATA, run_cadence

FILES = [
    SAMPLE_DATA / "fdec__activity-small-fenix2-run.fit",
    SAMPLE_DATA / "mukti__triathlon_summary_last.fit",
    REPO / "tests" / "data" / "fdec__garmin-fenix-5-walk.fit",
    REPO / "tests" / "data" / "fdec__garmin-fenix-5-bike.fit",
    REPO / "tests" / "data" / "fdec__Settings.fit",  # not an activity: an error line, exit 1
]


def _folder(tmp_path: Path) -> Path:
    runs = tmp_path / "runs"
    runs.mkdir()
    for f in FILES:
        shutil.copy(f, runs / f.name)
    return runs


def test_parallel_cached_and_serial_give_the_same_json(tmp_path: Path) -> None:
    runs = _folder(tmp_path)
    cache = tmp_path / "cache"
    serial = run_cadence("analyze", str(runs), "--json", "--jobs", "1", "--no-cache")
    parallel = run_cadence("analyze", str(runs), "--json", "--jobs", "2", "--cache-dir", str(cache))
    cached = run_cadence("analyze", str(runs), "--json", "--jobs", "2", "--cache-dir", str(cache))
    # --series takes the one-by-one path that keeps every record in memory: the reference output
    one_by_one = run_cadence("analyze", str(runs), "--json", "--series", str(tmp_path / "s.csv"))
    assert serial.returncode == parallel.returncode == cached.returncode == one_by_one.returncode == 1
    assert json.loads(serial.stdout) == json.loads(parallel.stdout) == json.loads(cached.stdout)
    assert json.loads(one_by_one.stdout) == json.loads(serial.stdout)
    doc = json.loads(serial.stdout)
    assert len(doc["activities"]) >= 3
    assert [e["file"] for e in doc["errors"]] == [str(runs / "fdec__Settings.fit")]
    assert {s["sport"] for s in doc["skipped_sessions"]} >= {"cycling"}
    entries = list((cache / f"analyze-v{ANALYZE_CACHE_VERSION}").rglob("*.json"))
    assert len(entries) == len(FILES)  # the settings file's error is cached too (it is not our bug)
    assert "error:" in cached.stderr and "fdec__Settings.fit" in cached.stderr


def test_text_output_in_file_order_and_renamed_copies(tmp_path: Path) -> None:
    runs = _folder(tmp_path)
    cache = tmp_path / "cache"
    first = run_cadence("analyze", str(runs), "--cache-dir", str(cache))
    copy = runs / "zz_same_bytes.fit"
    shutil.copy(runs / "fdec__garmin-fenix-5-walk.fit", copy)
    again = run_cadence("analyze", str(runs), "--json", "--cache-dir", str(cache))
    names = [Path(a["file"]).name for a in json.loads(again.stdout)["activities"]]
    assert names == sorted(names)  # file order, whatever order the workers finished in
    assert "zz_same_bytes.fit" in names  # read from the cache entry of its twin, under its own name
    first_text = first.stdout
    assert first_text.index("fdec__activity-small-fenix2-run") < first_text.index("mukti__triathlon")
