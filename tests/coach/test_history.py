"""History: per-run rows against analyze_file, reference-speed rule, weeks and trend, cache, bad files."""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cadence.coach.band import TargetBand
from cadence.coach.history import (
    REFERENCE_MARGIN_MS,
    FileOutcome,
    SessionFacts,
    SpeedStats,
    build_history,
    collect_facts,
    history_to_dict,
    session_facts,
)
from cadence.coach.speed import cadence_at_speed
from cadence.datatypes import CadenceTrace
from cadence.errors import CadenceError, CadenceWarning, ParameterError
from cadence.gait.analysis import analyze_trace, time_in_band_s
from cadence.pipeline import ActivityResult, analyze_file, find_activity_files
from conftest import run_cadence

DATA = Path(__file__).parents[1] / "data"


def linear_run(
    intercept_spm: float = 150.0,
    slope_spm_per_ms: float = 10.0,
    speeds_ms: tuple[float, float] = (2.5, 3.5),
    minutes: float = 30.0,
    noise_spm: float = 2.0,
    seed: int = 0,
    start: datetime | None = None,
) -> ActivityResult:
    """A 1-Hz run whose cadence is a known line of speed (plus noise)."""
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, minutes * 60)
    speed = speeds_ms[0] + (speeds_ms[1] - speeds_ms[0]) * (0.5 + 0.5 * np.sin(2 * np.pi * t / 600))
    cadence = intercept_spm + slope_spm_per_ms * speed + rng.normal(0, noise_spm, t.size)
    trace = CadenceTrace(
        t_s=t,
        cadence_spm=cadence,
        speed_ms=speed,
        distance_m=np.cumsum(speed),
        timer_intervals_s=np.array([[0.0, t[-1] + 1]]),
        sport="running",
        source="synthetic.fit",
        start_time=start,
    )
    return ActivityResult(trace, analyze_trace(trace))


# --- cadence at the reference speed ------------------------------------------------------------------


@pytest.mark.parametrize("slope", [3.0, 6.0, 12.0, 15.0])
@pytest.mark.parametrize("ref", [2.6, 3.0, 3.4])
def test_reference_cadence_recovers_the_line(slope: float, ref: float) -> None:
    facts = session_facts(linear_run(intercept_spm=150, slope_spm_per_ms=slope))
    at = cadence_at_speed(facts.speed, ref)
    value, note = at.cadence_spm, at.note
    assert note == ""
    assert value == pytest.approx(150 + slope * ref, abs=0.5)


@pytest.mark.parametrize(("slope", "held"), [(0.0, 3.0), (-4.0, 3.0), (30.0, 15.0)])
def test_reference_slope_is_held_in_the_physiological_range(slope: float, held: float) -> None:
    """A slope a runner does not show is held at the nearer bound, through the run's mean."""
    facts = session_facts(linear_run(intercept_spm=170 - 3 * slope, slope_spm_per_ms=slope, noise_spm=0.5))
    at = cadence_at_speed(facts.speed, 3.4)
    mean_s, mean_c = facts.speed.speed_mean_ms, facts.speed.cadence_mean_spm
    assert at.used and at.slope_spm_per_ms == held
    assert at.fitted_slope_spm_per_ms == pytest.approx(slope, abs=0.3)
    assert at.cadence_spm == pytest.approx(mean_c + held * (3.4 - mean_s))


def test_reference_outside_the_runs_speeds_is_nan() -> None:
    facts = session_facts(linear_run(speeds_ms=(2.5, 3.0)))
    inside = cadence_at_speed(facts.speed, 3.0 + REFERENCE_MARGIN_MS * 0.5).cadence_spm
    assert math.isfinite(inside)  # a little extrapolation is allowed
    at = cadence_at_speed(facts.speed, 4.0)
    value, note = at.cadence_spm, at.note
    assert math.isnan(value) and "outside" in note
    at = cadence_at_speed(facts.speed, 1.8)
    value, note = at.cadence_spm, at.note
    assert math.isnan(value) and "outside" in note


def test_reference_with_too_little_running_is_nan() -> None:
    facts = session_facts(linear_run(minutes=2))
    at = cadence_at_speed(facts.speed, 3.0)
    value, note = at.cadence_spm, at.note
    assert math.isnan(value) and "too little" in note


def test_reference_with_a_noisy_short_fit_is_nan() -> None:
    # 5 minutes of very noisy cadence: the line at the edge of the range is too uncertain
    facts = session_facts(linear_run(minutes=5, noise_spm=25.0, speeds_ms=(2.8, 3.2)))
    at = cadence_at_speed(facts.speed, 3.45)
    value, note = at.cadence_spm, at.note
    assert math.isnan(value) and "uncertain" in note


def test_reference_without_speed_is_nan() -> None:
    run = linear_run()
    trace = run.trace.replace(speed_ms=np.full(run.trace.n, np.nan))
    facts = session_facts(ActivityResult(trace, analyze_trace(trace)))
    assert math.isnan(cadence_at_speed(facts.speed, 3.0).cadence_spm)


# --- facts ------------------------------------------------------------------------------------------


def test_facts_round_trip_through_json() -> None:
    facts = session_facts(linear_run(start=datetime(2026, 1, 5, 7, tzinfo=UTC)))
    back = SessionFacts.from_json(json.loads(json.dumps(facts.to_json())))
    assert back == facts


@pytest.mark.parametrize("band", [(160, 170), (168, 176), (171, 171), (100, 120)])
def test_time_in_band_from_facts_equals_the_summary(band: tuple[float, float]) -> None:
    run = linear_run(noise_spm=3)
    facts = session_facts(run)
    h = build_history([FileOutcome("a.fit", (facts,))], band=TargetBand(*band))
    _, inside, _ = time_in_band_s(run.summary, *band)
    # the facts round cadence to 0.01 spm: a reading within 0.005 spm of an edge may move across it
    assert h.runs[0].time_in_band_s == pytest.approx(inside, abs=2.0)
    assert h.runs[0].band_fraction == pytest.approx(inside / run.summary.running_time_s, abs=1e-3)


# --- weeks and trend --------------------------------------------------------------------------------


def facts_at(day: date, cadence_spm: float, running_time_s: float = 1800.0, name: str = "") -> SessionFacts:
    return SessionFacts(
        file=name or f"{day.isoformat()}-{cadence_spm}.fit",
        session_index=0,
        sport="running",
        is_step_sport=True,
        start_time=datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(hour=7).isoformat(),
        distance_m=5000.0,
        running_time_s=running_time_s,
        running_distance_m=5000.0,
        running_cadence_spm=cadence_spm,
        step_length_m=1.0,
        speed=SpeedStats(),
        cadence_values_spm=(cadence_spm,),
        cadence_time_s=(running_time_s,),
        utc_offset_s=0.0,
    )


@settings(max_examples=40, deadline=None)
@given(
    start=st.integers(150, 175),
    slope=st.floats(-2.0, 2.0),
    n_weeks=st.integers(2, 20),
    runs_per_week=st.integers(1, 4),
)
def test_weekly_trend_recovers_a_known_slope(
    start: int, slope: float, n_weeks: int, runs_per_week: int
) -> None:
    monday = date(2025, 12, 29)  # ISO 2026-W01 starts here: weeks cross a year boundary
    facts = [
        facts_at(monday + timedelta(weeks=w, days=2 * r), start + slope * w)
        for w in range(n_weeks)
        for r in range(runs_per_week)
    ]
    h = build_history([FileOutcome(f.file, (f,)) for f in facts])
    assert len(h.weeks) == n_weeks
    assert [w.runs for w in h.weeks] == [runs_per_week] * n_weeks
    assert h.weeks[0].label == "2026-W01"
    assert h.trend.running_cadence_spm_per_week == pytest.approx(slope, abs=1e-6)
    assert h.weeks[-1].running_cadence_spm == pytest.approx(start + slope * (n_weeks - 1))


def test_week_mean_is_weighted_by_running_time() -> None:
    monday = date(2026, 3, 2)
    facts = [facts_at(monday, 160.0, 3600.0), facts_at(monday + timedelta(days=3), 170.0, 1200.0)]
    h = build_history([FileOutcome(f.file, (f,)) for f in facts])
    (week,) = h.weeks
    assert week.running_cadence_spm == pytest.approx((160 * 3600 + 170 * 1200) / 4800)
    assert week.distance_m == 10000.0 and week.monday == monday
    assert math.isnan(h.trend.running_cadence_spm_per_week)  # one week: no trend


def test_sunday_and_monday_fall_in_different_iso_weeks() -> None:
    sunday = date(2026, 3, 8)
    facts = [facts_at(sunday, 160.0), facts_at(sunday + timedelta(days=1), 170.0)]
    h = build_history([FileOutcome(f.file, (f,)) for f in facts])
    assert [w.label for w in h.weeks] == ["2026-W10", "2026-W11"]


def test_duplicates_undated_walks_and_rides() -> None:
    day = date(2026, 3, 3)
    run = facts_at(day, 165.0, name="a.fit")
    copy = dataclasses.replace(run, file="b.fit")
    undated = dataclasses.replace(facts_at(day, 170.0, name="c.fit"), start_time=None)
    walk = dataclasses.replace(facts_at(day, 150.0, name="w.fit"), sport="walking", start_time=None)
    ride = dataclasses.replace(facts_at(day, 80.0, name="r.fit"), sport="cycling", is_step_sport=False)
    idle = dataclasses.replace(facts_at(day, math.nan, 0.0, name="i.fit"), start_time=None)
    outcomes = [FileOutcome(f.file, (f,)) for f in (run, copy, undated, walk, ride, idle)]
    h = build_history(outcomes)
    assert [r.file for r in h.runs] == ["a.fit", "c.fit"]  # dated first, undated last
    reasons = {s.file: s.reason for s in h.skipped}
    assert reasons["b.fit"] == "same activity as a.fit"
    assert (
        "not a run" in reasons["w.fit"]
        and "step sport" in reasons["r.fit"]
        and "no running" in reasons["i.fit"]
    )
    assert len(h.weeks) == 1 and h.weeks[0].runs == 1
    with_walks = build_history(outcomes, include_walks=True)
    assert "w.fit" in [r.file for r in with_walks.runs]


def test_bad_reference_speed() -> None:
    with pytest.raises(ParameterError, match="reference_speed_ms"):
        build_history([], reference_speed_ms=0.2)


# --- files, cache, pool -----------------------------------------------------------------------------


def dump(outcomes: list[FileOutcome]) -> list[str]:
    """Comparable form of the outcomes (nan == nan in JSON text)."""
    return [json.dumps([[s.to_json() for s in o.sessions], o.error, o.file]) for o in outcomes]


@pytest.fixture()
def run_folder(tmp_path: Path, sample_data: Path) -> Path:
    """A folder of runs in subfolders, plus bad files: junk, empty, truncated, a settings file."""
    folder = tmp_path / "runs"
    (folder / "2018").mkdir(parents=True)
    (folder / "2015" / "deep").mkdir(parents=True)
    shutil.copy(sample_data / "elev__portland.fit", folder / "2018" / "portland.fit")
    shutil.copy(sample_data / "fdec__activity-small-fenix2-run.fit", folder / "2015" / "deep" / "fenix2.FIT")
    shutil.copy(DATA / "fdec__garmin-fenix-5-bike.fit", folder / "bike.fit")
    (folder / "junk.fit").write_bytes(b"this is not a FIT file at all" * 10)
    (folder / "empty.fit").write_bytes(b"")
    shutil.copy(DATA / "fdec__Settings.fit", folder / "settings.fit")
    (folder / "notes.txt").write_text("not an activity")
    return folder


def test_cache_makes_the_second_run_skip_analysis(run_folder: Path, tmp_path: Path) -> None:
    files = list(find_activity_files([run_folder]))
    cache = tmp_path / "cache"
    first, n1 = collect_facts(files, cache_dir=cache, jobs=1)
    second, n2 = collect_facts(files, cache_dir=cache, jobs=1)
    assert n1 == len(files) == 6 and n2 == 0
    assert not any(o.from_cache for o in first) and all(o.from_cache for o in second)
    assert dump(first) == dump(second)  # bad files' errors are cached too
    # a changed file is analyzed again, the others not
    target = run_folder / "2018" / "portland.fit"
    target.write_bytes(target.read_bytes()[:-2000])
    _, n3 = collect_facts(files, cache_dir=cache, jobs=1)
    assert n3 == 1
    # a damaged cache entry is ignored and rewritten
    for entry in cache.rglob("*.json"):
        entry.write_text("{not json")
    third, n4 = collect_facts(files, cache_dir=cache, jobs=1)
    assert n4 == len(files)
    changed = files.index(str(target))
    assert [d for i, d in enumerate(dump(third)) if i != changed] == [
        d for i, d in enumerate(dump(first)) if i != changed
    ]


def test_no_cache_dir_writes_nothing(run_folder: Path, tmp_path: Path) -> None:
    files = list(find_activity_files([run_folder]))
    _, n1 = collect_facts(files, cache_dir=None, jobs=1)
    _, n2 = collect_facts(files, cache_dir=None, jobs=1)
    assert n1 == n2 == len(files)


def test_same_bytes_under_another_name_come_from_cache(run_folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    a = str(run_folder / "2018" / "portland.fit")
    b = str(tmp_path / "copy.fit")
    shutil.copy(a, b)
    collect_facts([a], cache_dir=cache, jobs=1)
    (out,), n = collect_facts([b], cache_dir=cache, jobs=1)
    assert n == 0 and out.from_cache and out.sessions[0].file == b


def test_pool_gives_the_same_as_serial(run_folder: Path) -> None:
    files = list(find_activity_files([run_folder]))
    serial, _ = collect_facts(files, jobs=1)
    pooled, _ = collect_facts(files, jobs=2)
    assert dump(serial) == dump(pooled)


def test_cli_lists_bad_files_and_keeps_going(run_folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    proc = run_cadence("history", str(run_folder), "--json", "--cache-dir", str(cache), "--target", "168-176")
    assert proc.returncode == 0  # some files failed, but runs were read
    assert "Traceback" not in proc.stderr
    payload = json.loads(proc.stdout)
    failed = {Path(e["file"]).name for e in payload["errors"]}
    assert failed == {"junk.fit", "empty.fit"}  # the settings file is not an activity: counted, not failed
    assert "skipped 2 files that are not activities: 1 settings, 1 unknown" in proc.stderr
    for name in failed:  # one line each on stderr, naming the file
        assert sum(name in line for line in proc.stderr.splitlines()) == 1
    assert sorted(Path(r["file"]).name for r in payload["runs"]) == ["fenix2.FIT", "portland.fit"]
    assert [s["sport"] for s in payload["skipped_sessions"]] == ["cycling"]
    assert payload["files"] == {
        "found": 6,
        "analyzed": 6,
        "from_cache": 0,
        "failed": 2,
        "not_activities": {"settings": 1, "unknown": 1},
    }
    assert all(0 <= r["band_fraction"] <= 1 for r in payload["runs"])
    again = run_cadence(
        "history", str(run_folder), "--json", "--cache-dir", str(cache), "--target", "168-176"
    )
    payload2 = json.loads(again.stdout)
    assert payload2["files"]["analyzed"] == 0 and payload2["files"]["from_cache"] == 6
    assert payload2["runs"] == payload["runs"]


def test_cli_exit_0_when_every_file_reads(tmp_path: Path, sample_data: Path) -> None:
    out_csv, out_png = tmp_path / "h.csv", tmp_path / "h.png"
    proc = run_cadence(
        "history", str(sample_data), "--no-cache", "--csv", str(out_csv), "--plot", str(out_png), "-j", "1"
    )
    assert proc.returncode == 0, proc.stderr
    header = proc.stdout.splitlines()[0].split()
    assert header[:4] == ["date", "km", "running", "cadence"]
    assert sum("elev__portland.fit" in line for line in proc.stdout.splitlines()) == 1
    rows = out_csv.read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("start_time,iso_week,file")
    assert len(rows) == 1 + 3  # portland, the fenix2 run and the triathlon's run leg
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    clobber = run_cadence("history", str(sample_data), "--no-cache", "--csv", str(out_csv))
    assert clobber.returncode == 1 and "--force" in clobber.stderr


def test_cli_respects_xdg_cache_home(
    tmp_path: Path, sample_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CADENCE_CACHE_DIR")  # set for every test by conftest: here the default is tested
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    proc = run_cadence("history", str(sample_data / "elev__portland.fit"), "--json")
    assert proc.returncode == 0, proc.stderr
    assert list((tmp_path / "xdg" / "cadence").rglob("*.json"))


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--target", "fast"], "target"),
        (["--target", "172", "--tolerance", "50"], "tolerance"),
        (["--reference-speed", "0"], "reference-speed"),
        (["--plot", "x.jpg"], ".png or .svg"),
        (["--jobs", "0"], "jobs"),
    ],
)
def test_cli_bad_options(sample_data: Path, args: list[str], needle: str) -> None:
    proc = run_cadence("history", str(sample_data), "--no-cache", *args)
    assert proc.returncode == 2
    assert needle in proc.stderr and "Traceback" not in proc.stderr


# --- the shared FIT folder --------------------------------------------------------------------------


@pytest.mark.shared
@pytest.mark.slow
def test_history_lists_every_running_activity(shared_dir: Path, tmp_path: Path) -> None:
    from cadence.errors import NotActivityError

    folder = shared_dir / "data" / "fit"
    proc = run_cadence("history", str(folder), "--json", "--cache-dir", str(tmp_path / "cache"), timeout=900)
    assert "Traceback" not in proc.stderr
    payload = json.loads(proc.stdout)
    listed = {(r["file"], r["session_index"]): r for r in payload["runs"]}
    duplicates = {
        (s["file"], s["session_index"]) for s in payload["skipped_sessions"] if "same" in s["reason"]
    }
    failed = {e["file"] for e in payload["errors"]}
    assert proc.returncode == (0 if payload["runs"] else 1)  # exit 0 when any activity was read
    assert payload["files"]["not_activities"]  # settings, workouts, monitoring: counted, not failed
    expected = 0
    for path in find_activity_files([folder]):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", CadenceWarning)  # truncated files: analyzed all the same
                results = analyze_file(path)
        except NotActivityError:  # settings, workouts, monitoring: counted, not failed
            assert path not in failed
            continue
        except CadenceError:
            assert path in failed
            continue
        assert path not in failed
        for r in results:
            if r.trace.sport == "running" and r.summary.running_time_s > 0:
                key = (path, r.trace.session_index)
                if key in duplicates:
                    continue
                expected += 1
                row = listed[key]
                assert row["running_cadence_spm"] == pytest.approx(r.summary.running_cadence_spm, abs=1e-3)
                assert row["running_time_s"] == pytest.approx(r.summary.running_time_s, abs=1e-3)
    assert len(listed) == expected >= 15
    assert payload["files"]["analyzed"] == payload["files"]["found"]


def test_progress_bar_only_on_a_terminal(tmp_path: Path, sample_data: Path) -> None:
    """A bar on stderr when stderr is a terminal (a pseudo-terminal here); none in a pipe."""
    import os
    import pty
    import subprocess
    import sys

    from conftest import REPO

    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    cmd = [sys.executable, "-m", "cadence", "history", str(sample_data), "--cache-dir", str(tmp_path / "c")]
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=follower, env=env, timeout=300, check=False)
        os.close(follower)
        chunks = []
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:  # EIO: the terminal is closed and drained
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(leader)
    assert proc.returncode == 0
    assert b"analyzing" in b"".join(chunks)
    piped = run_cadence("history", str(sample_data), "--cache-dir", str(tmp_path / "c"))
    assert piped.returncode == 0 and "analyzing" not in piped.stderr and piped.stderr == ""


@pytest.mark.parametrize("n_weeks", [0, 1, 3, 12])
def test_history_chart(tmp_path: Path, n_weeks: int) -> None:
    from matplotlib.image import imread

    from cadence.report.charts import history_figure, save_figure

    monday = date(2026, 1, 5)
    facts = [facts_at(monday + timedelta(weeks=w, days=w % 3), 160 + w) for w in range(n_weeks)]
    if n_weeks == 12:  # a gap and an undated run
        facts = (
            facts[:5]
            + facts[10:]
            + [dataclasses.replace(facts_at(monday, 150.0, name="u.fit"), start_time=None)]
        )
    h = build_history([FileOutcome(f.file, (f,)) for f in facts], band=TargetBand(168, 176))
    fig = history_figure(h)
    out = tmp_path / "trend.png"
    save_figure(fig, out)
    img = imread(str(out))[..., :3]
    assert img.shape[1] > img.shape[0] > 400
    assert np.mean(np.any(np.abs(img - img[0, 0]) > 0.02, axis=-1)) > 0.02
    labels = [t.get_text() for t in fig.legends[0].get_texts()] if fig.legends else []
    if n_weeks >= 3:
        (trend,) = [lbl for lbl in labels if lbl.startswith("trend")]
        assert f"{h.trend.running_cadence_spm_per_week:+.2f}" in trend
        assert h.trend.running_cadence_spm_per_week == pytest.approx(1.0, abs=0.2)


# --- local time -----------------------------------------------------------------------------------------


def test_weeks_follow_the_files_own_clock() -> None:
    """A Sunday-evening run in the Americas is Monday in UTC; its week is the runner's Sunday week."""
    sunday_evening_utc = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)  # Sun 8 Mar 20:00 at UTC-5
    tuesday_morning_utc = datetime(2020, 1, 6, 22, 33, tzinfo=UTC)  # Tue 7 Jan 11:33 at UTC+13
    base = facts_at(date(2026, 3, 2), 165.0)
    americas = dataclasses.replace(
        base, file="a.fit", start_time=sunday_evening_utc.isoformat(), utc_offset_s=-5 * 3600.0
    )
    nz = dataclasses.replace(
        base, file="nz.fit", start_time=tuesday_morning_utc.isoformat(), utc_offset_s=13 * 3600.0
    )
    h = build_history([FileOutcome(f.file, (f,)) for f in (americas, nz)])
    by_file = {r.file: r for r in h.runs}
    assert by_file["a.fit"].start_time is not None and by_file["a.fit"].start_time.weekday() == 6
    assert by_file["a.fit"].iso_week == (2026, 10)  # UTC would say 2026-W11
    assert f"{by_file['nz.fit'].start_time:%a %H:%M}" == "Tue 11:33"
    d = {r["file"]: r for r in history_to_dict(h)["runs"]}
    assert d["a.fit"]["start_time"] == "2026-03-09T01:00:00+00:00"  # the JSON keeps UTC...
    assert d["a.fit"]["local_start_time"] == "2026-03-08T20:00:00-05:00"  # ... and the local clock
    assert d["a.fit"]["utc_offset_s"] == -18000 and d["a.fit"]["utc_offset_source"] == "file"


def test_tz_dates_runs_without_an_offset() -> None:
    from cadence._timefmt import parse_tz

    base = facts_at(date(2026, 3, 2), 165.0)
    gpx = dataclasses.replace(base, start_time="2026-03-09T01:00:00+00:00", utc_offset_s=None)
    h = build_history([FileOutcome("g.gpx", (gpx,))], tz=parse_tz("America/New_York"))
    (run,) = h.runs
    assert run.iso_week == (2026, 10) and run.utc_offset_source == "--tz"
    h_utc = build_history([FileOutcome("g.gpx", (gpx,))], tz=parse_tz("UTC"))
    assert h_utc.runs[0].iso_week == (2026, 11)
