"""Caches are validated, pruned and clearable; the history stops its workers at once on a signal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from cadence._cache import clear, prune, usage
from cadence.coach.history import collect_facts
from cadence.music.library import TempoCache
from conftest import REPO, run_cadence

FIT = str(REPO / "tests" / "data" / "fdec__garmin-fenix-5-walk.fit")


def _entry(cache: Path) -> Path:
    (found,) = list(cache.glob("history-v*/*/*.json"))
    return found


def _collect(cache: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return collect_facts([FIT], cache_dir=cache, jobs=1)


@pytest.mark.parametrize(
    "damage",
    [
        lambda s: s.update(running_cadence_spm=999.0),
        lambda s: s.update(cadence_values_spm=[170.0] * 60_000, cadence_time_s=[1.0] * 60_000),
        lambda s: s.update(cadence_values_spm=[170.0], cadence_time_s=[1e5]),  # more time than the run
        lambda s: s.update(session_index="0"),
        lambda s: s.update(speed=[1, 2, 3]),
        lambda s: s.pop("notes"),
    ],
    ids=["999-spm", "huge-list", "time-over-100-percent", "wrong-type", "wrong-speed", "missing-field"],
)
def test_a_damaged_or_planted_history_entry_is_dropped(tmp_path, damage):
    (first,), n = _collect(tmp_path)
    assert n == 1 and first.sessions
    entry = _entry(tmp_path)
    payload = json.loads(entry.read_text())
    for session in payload["sessions"]:
        damage(session)
    entry.write_text(json.dumps(payload))
    (again,), n_analyzed = _collect(tmp_path)
    assert n_analyzed == 1 and not again.from_cache  # read again from the file, not from the entry
    assert repr(again.sessions) == repr(first.sessions)
    (third,), n_third = _collect(tmp_path)  # and the entry was rewritten
    assert n_third == 0 and third.from_cache


def test_an_oversized_entry_is_not_read(tmp_path):
    _collect(tmp_path)
    entry = _entry(tmp_path)
    entry.write_text(" " * (5 * 1024 * 1024) + entry.read_text())
    _, n_analyzed = _collect(tmp_path)
    assert n_analyzed == 1


def test_prune_removes_the_oldest_beyond_the_cap_and_stale_versions(tmp_path):
    folder = tmp_path / "history-v1" / "ab"
    folder.mkdir(parents=True)
    for i in range(10):
        f = folder / f"{i}.json"
        f.write_bytes(b"x" * 1000)
        os.utime(f, (1000 + i, 1000 + i))
    (tmp_path / "history-v0" / "cd").mkdir(parents=True)
    (tmp_path / "history-v0" / "cd" / "old.json").write_text("{}")
    (tmp_path / "unrelated.txt").write_text("keep me")
    removed = prune(tmp_path, 4500, stale=("history-v0",))
    assert removed == 1 + 6
    assert sorted(p.name for p in folder.iterdir()) == ["6.json", "7.json", "8.json", "9.json"]
    assert not (tmp_path / "history-v0").exists() and (tmp_path / "unrelated.txt").exists()
    assert usage(tmp_path).n_bytes == 4000


def test_cache_clear_removes_only_cadences_entries(tmp_path):
    env_dir = tmp_path / "cache"
    _collect(env_dir)
    (env_dir / "tempo-estimates-v3.json").write_text("{}")
    (env_dir / "mine.txt").write_text("not cadence's")
    env = {"CADENCE_CACHE_DIR": str(env_dir)}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        info = run_cadence("cache", "info", "--json")
        assert info.returncode == 0 and json.loads(info.stdout)["files"] == 2
        done = run_cadence("cache", "clear")
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert done.returncode == 0 and "2 files" in done.stdout
    assert sorted(p.name for p in env_dir.iterdir()) == ["mine.txt"]
    assert clear(env_dir).n_files == 0


def test_tempo_cache_entries_are_checked(tmp_path):
    good = {
        "tempo_bpm": 170.0, "confidence": 0.9, "uncertain": False, "alternative_bpm": 85.0, "runner_up": 0.3,
        "stability": 0.95, "analysed_s": 60.0, "decoder": "soundfile", "method": "rnn",
    }
    (tmp_path / "tempo-estimates-v3.json").write_text(
        json.dumps(
            {
                "/a.mp3|1|2": good,
                "/b.mp3|1|2": {**good, "tempo_bpm": 9999},
                "/c.mp3|1|2": {**good, "confidence": "high"},
                "/d.mp3|1|2": {"problem": "undecodable"},
                "/e.mp3|1|2": [1, 2],
                "/f.mp3|1|2": {**good, "method": "oracle"},
                "/g.mp3|1|2": {"problem": "tempo estimation failed (x)", "method": "cyclic"},
                "/h.mp3|1|2": {"problem": "tempo estimation failed (x)", "method": "oracle"},
            }
        )
    )
    cache = TempoCache(tmp_path)
    assert cache.get("/a.mp3|1|2") == good
    assert cache.get("/d.mp3|1|2") == {"problem": "undecodable"}
    assert cache.get("/g.mp3|1|2") == {"problem": "tempo estimation failed (x)", "method": "cyclic"}
    assert all(cache.get(f"/{x}.mp3|1|2") is None for x in "bcefh")


def _stat(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ") Z "


def _children(pid: int) -> set[int]:
    kids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                kids.add(int(entry.name))
    return kids


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_history_stops_its_workers_at_once(tmp_path, shared_dir, sig):
    files = sorted((shared_dir / "data" / "fit").glob("*.fit"))
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "CADENCE_CACHE_DIR": str(tmp_path / "cache")}
    env["CADENCE_FIT_DECODER"] = "fitdecode"  # the slow decoder: the run must still be going at the signal
    proc = subprocess.Popen(
        [sys.executable, "-m", "cadence", "history", *map(str, files), "--jobs", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
    )
    deadline = time.monotonic() + 60
    while len(kids := _children(proc.pid)) < 2:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.1)
    time.sleep(1.0)
    kids = _children(proc.pid)
    t0 = time.monotonic()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    took = time.monotonic() - t0
    assert proc.returncode == (130 if sig == signal.SIGINT else 128 + signal.SIGTERM), err
    assert took < 10, f"took {took:.1f} s to stop"
    time.sleep(0.5)
    alive = [k for k in kids if Path(f"/proc/{k}").exists() and ") Z " not in _stat(k)]
    assert not alive, f"orphaned workers: {alive}"


def test_analyze_cache_entries_out_of_schema_are_refused():
    from cadence.report.batch import FileReport, SessionReport, _decode, _encode

    report = FileReport("/a.fit", (SessionReport(True, {"file": "/a.fit"}, "summary"),), ("w",), None)
    raw = json.loads(json.dumps(_encode(report)))
    assert _decode(raw, "/b.fit").file == "/b.fit"
    for damage in (
        lambda r: r["sessions"][0].update(is_step_sport="yes"),
        lambda r: r["sessions"][0].update(text=["not", "text"]),
        lambda r: r.update(warnings="w"),
        lambda r: r.update(sessions=[{}] * 2000),
    ):
        bad = json.loads(json.dumps(raw))
        damage(bad)
        with pytest.raises(ValueError):
            _decode(bad, "/b.fit")
