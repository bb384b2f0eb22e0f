"""``cadence target``, ``plan`` and ``check`` as a user runs them: JSON, calendar, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import icalendar
import pytest
from click.testing import CliRunner

from cadence.cli import cli
from conftest import SAMPLE_DATA, run_cadence

PORTLAND = "elev__portland.fit"
P = str(SAMPLE_DATA / PORTLAND)
F = str(SAMPLE_DATA / "fdec__activity-small-fenix2-run.fit")


def _json(args: list[str]) -> dict:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_target_160_json_gives_168_and_176() -> None:
    proc = run_cadence("target", "160", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert (out["baseline_spm"], out["low_spm"], out["high_spm"]) == (160, 168, 176)
    assert (out["low_pct"], out["high_pct"]) == (5, 10)
    assert "half up" in out["rounding"] and out["warnings"] == []


def test_target_text() -> None:
    proc = run_cadence("target", "160")
    assert proc.returncode == 0 and "168-176 spm" in proc.stdout


def test_target_increase_option() -> None:
    out = _json(["target", "160", "--increase", "5-7.5", "--json"])
    assert (out["low_spm"], out["high_spm"]) == (168, 172)


def test_target_from_a_run_uses_the_running_cadence(sample_data: Path) -> None:
    out = _json(["target", str(sample_data / PORTLAND), "--json"])
    runs = out["runs"]
    assert 171 <= out["baseline_spm"] <= 176  # the running cadence (about 173), ...
    assert runs["watch_avg_cadence_spm"] == pytest.approx(164.8, abs=1.0)  # ... not the watch's 164.8
    assert out["baseline_spm"] == runs["running_cadence_spm"]
    assert out["low_spm"] >= round(171 * 1.05)  # 164.8 would have given 173
    assert out["baseline_source"] == "runs"


def test_target_over_several_runs_is_time_weighted(sample_data: Path) -> None:
    one = [
        _json(["analyze", "--json", str(sample_data / f)])["activities"][0]
        for f in (PORTLAND, "fdec__activity-small-fenix2-run.fit")
    ]
    out = _json(
        [
            "target",
            *(str(sample_data / f) for f in (PORTLAND, "fdec__activity-small-fenix2-run.fit")),
            "--json",
        ]
    )
    t = [a["running_time_s"] for a in one]
    c = [a["running_cadence_spm"] for a in one]
    expected = (t[0] * c[0] + t[1] * c[1]) / (t[0] + t[1])
    assert out["baseline_spm"] == pytest.approx(expected, abs=0.01)
    assert out["runs"]["n_runs"] == 2


def test_target_at_a_speed_uses_the_fit(sample_data: Path) -> None:
    run = str(sample_data / "fdec__activity-small-fenix2-run.fit")
    fit = _json(["analyze", "--json", run])["activities"][0]["cadence_vs_speed"]
    out = _json(["target", run, "--speed", "12km/h", "--json"])
    sp = out["speed"]
    assert sp["used"] and out["baseline_source"] == "speed_fit"
    assert sp["speed_ms"] == pytest.approx(12 / 3.6, abs=1e-3)
    assert out["baseline_spm"] == pytest.approx(
        fit["intercept_spm"] + fit["slope_spm_per_ms"] * 12 / 3.6, abs=0.01
    )
    same = _json(["target", run, "--pace", "5:00/km", "--json"])
    assert same["baseline_spm"] == out["baseline_spm"]


def test_target_at_a_pace_uses_the_history_rule(sample_data: Path) -> None:
    """portland is a steady run (r2 0.14): its cadence at 5:30/km is still sure (the history rule)."""
    out = _json(["target", str(sample_data / PORTLAND), "--pace", "5:30/km", "--json"])
    assert out["speed"]["used"] is True and out["speed"]["se_spm"] < 2.0
    assert out["speed"]["fit"]["r2"] < 0.2
    ref = 1000 / 330
    hist = _json(
        ["history", str(sample_data / PORTLAND), "--no-cache", "--reference-speed", f"{ref:.6f}", "--json"]
    )
    assert out["speed"]["cadence_at_speed_spm"] == pytest.approx(
        hist["runs"][0]["cadence_at_reference_spm"], abs=0.01
    )


def test_target_outside_the_speeds_run_falls_back_and_says_why(sample_data: Path) -> None:
    out = _json(["target", str(sample_data / PORTLAND), "--pace", "4:00/km", "--json"])  # faster than run
    assert out["speed"]["used"] is False and "outside the speeds" in out["speed"]["reason"]
    assert out["baseline_spm"] == out["runs"]["running_cadence_spm"]
    assert "weak_speed_fit" in {w["code"] for w in out["warnings"]}
    proc = run_cadence("target", str(sample_data / PORTLAND), "--pace", "4:00/km")
    assert "line not used" in proc.stdout


def test_target_speed_range_agrees_with_the_note(sample_data: Path) -> None:
    """The 5th-95th speeds in the JSON are the ones the 'outside the speeds run' note names (+-0.3 m/s)."""
    runs = [str(sample_data / f) for f in (PORTLAND, "fdec__activity-small-fenix2-run.fit")]
    proc = run_cadence("target", str(sample_data), "--pace", "2:30/km", "--json")  # the history cache's pool
    assert proc.returncode == 0, proc.stderr
    folder = json.loads(proc.stdout)["speed"]
    for sp in (_json(["target", *runs, "--pace", "2:30/km", "--json"])["speed"], folder):
        lo, hi = sp["fit"]["speed_p05_ms"] - 0.3, sp["fit"]["speed_p95_ms"] + 0.3
        assert sp["reason"] == f"outside the speeds run ({lo:.2f}-{hi:.2f} m/s)"


def test_plan_160_ics(tmp_path: Path) -> None:
    ics = tmp_path / "plan.ics"
    proc = run_cadence("plan", "160", "--start-date", "2026-01-05", "--ics", str(ics), "--json")
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    cal = icalendar.Calendar.from_ical(ics.read_bytes())
    events = cal.walk("VEVENT")
    assert len(events) == len(plan["sessions"]) > 0
    assert [str(e.decoded("DTSTART")) for e in events] == [s["date"] for s in plan["sessions"]]
    assert plan["final_target_spm"] == 172 and plan["sessions"][0]["target_spm"] == 164
    # no overwrite without --force, and a one-line error
    again = run_cadence("plan", "160", "--ics", str(ics))
    assert again.returncode != 0 and again.stderr.count("\n") == 1 and "--force" in again.stderr
    assert run_cadence("plan", "160", "--ics", str(ics), "--force").returncode == 0


def test_plan_table_and_from_a_run(sample_data: Path) -> None:
    proc = run_cadence("plan", "160")
    assert proc.returncode == 0 and "164" in proc.stdout and "5m@silent, 25m@164" in proc.stdout
    out = _json(["plan", str(sample_data / PORTLAND), "--increase", "5", "--json"])
    assert 171 <= out["baseline_spm"] <= 176 and out["baseline_source"] == "runs"
    assert len(out["steps"]) == 2


def test_plan_at_a_speed(sample_data: Path) -> None:
    run = str(sample_data / "fdec__activity-small-fenix2-run.fit")
    target = _json(["target", run, "--pace", "5:00/km", "--increase", "7.5", "--json"])
    plan = _json(["plan", run, "--pace", "5:00/km", "--json"])
    assert plan["baseline_source"] == "speed_fit" and plan["speed"]["used"]
    assert plan["baseline_spm"] == target["baseline_spm"]
    assert plan["final_target_spm"] == target["low_spm"] == target["high_spm"]
    weak = _json(["plan", str(sample_data / PORTLAND), "--pace", "4:00/km", "--json"])
    assert weak["baseline_source"] == "runs" and "weak_speed_fit" in {w["code"] for w in weak["warnings"]}


def test_check_on_a_real_run(sample_data: Path) -> None:
    out = _json(["check", str(sample_data / PORTLAND), "--target", "172", "--json"])
    (run,) = out["runs"]
    assert (out["low_spm"], out["high_spm"]) == (169, 175)
    assert run["below_pct"] + run["in_band_pct"] + run["above_pct"] == pytest.approx(100, abs=0.01)
    assert 0 < run["in_band_pct"] < 100
    assert len(run["laps"]) == 17
    band = _json(["check", str(sample_data / PORTLAND), "--target", "168-176", "--json"])
    assert band["runs"][0]["in_band_pct"] > run["in_band_pct"]  # a wider band holds more of the run


def test_check_silent_segments(sample_data: Path) -> None:
    path = str(sample_data / PORTLAND)
    out = _json(["check", path, "--program", "5m@silent, 5x(3m@172, 2m@silent)", "--json"])
    run = out["runs"][0]
    assert (out["low_spm"], out["high_spm"]) == (169, 175)  # the target comes from the program
    assert [s["label"] for s in run["silent_segments"]][:2] == ["8:00-10:00", "13:00-15:00"]
    assert all(s["held"] in (True, False, None) for s in run["silent_segments"])
    explicit = _json(["check", path, "--target", "172", "--silent", "13m-15m", "--json"])
    assert (
        explicit["runs"][0]["silent_segments"][0]["in_band_pct"] == run["silent_segments"][1]["in_band_pct"]
    )
    text = run_cadence("check", path, "--target", "172", "--silent", "13m-15m,18m-20m")
    assert "held in" in text.stdout


def test_check_a_plan_session(tmp_path: Path) -> None:
    plan_json = tmp_path / "plan.json"
    proc = run_cadence("plan", "160", "--tolerance", "4", "--json")
    plan_json.write_text(proc.stdout, encoding="utf-8")
    session = json.loads(proc.stdout)["sessions"][2]
    out = _json(["check", P, "--plan", str(plan_json), "--session", "3", "--json"])
    assert (out["low_spm"], out["high_spm"]) == (session["target_spm"] - 4, session["target_spm"] + 4)
    same = _json(
        [
            "check",
            P,
            "--target",
            str(session["target_spm"]),
            "--tolerance",
            "4",
            "--program",
            session["program"],
            "--json",
        ]
    )
    assert out["runs"][0]["silent_segments"] == same["runs"][0]["silent_segments"]
    bad = run_cadence("check", P, "--plan", str(plan_json), "--session", "99")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "sessions 1-13" in bad.stderr
    not_a_plan = run_cadence("check", P, "--plan", str(SAMPLE_DATA / "SOURCES.csv"), "--session", "1")
    assert not_a_plan.returncode == 1 and not_a_plan.stderr.count("\n") == 1


@pytest.mark.shared
def test_check_time_in_band_on_shared_runs(shared_dir: Path) -> None:
    files = sorted((shared_dir / "data" / "fit").glob("wkz__*.fit"))[:4]
    assert files
    for f in files:
        proc = run_cadence("check", str(f), "--target", "165", "--tolerance", "5", "--json")
        if proc.returncode == 1 and "no running" in proc.stderr:
            continue
        assert proc.returncode == 0, proc.stderr
        for run in json.loads(proc.stdout)["runs"]:
            assert run["below_pct"] + run["in_band_pct"] + run["above_pct"] == pytest.approx(100, abs=0.01)


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["target", "160", "--increase", "abc"], 2, "--increase"),
        (["target", "160", "--increase", "5-50"], 2, "too large"),
        (["target", "160", "--speed", "12"], 2, "needs a unit"),
        (["target", "160", "--speed", "12km/h"], 2, "need runs"),
        (["target", "20"], 2, "not a running step rate"),
        (["target", "no_such_run.fit"], 1, "no such file"),
        (["plan", "160", "--increase", "5-10"], 2, "one number"),
        (["plan", "160", "--start-date", "2026-13-01"], 2, "--start-date"),
        (["plan", "160", "--sessions-per-week", "9"], 2, "--sessions-per-week 9"),
        (["plan", "160", "--time", "25:00"], 2, "--time"),
        (["check", P], 2, "--target"),
        (["check", P, "--target", "fast"], 2, "--target"),
        (["check", P, "--target", "172", "--silent", "10m"], 2, "--silent"),
        (["check", P, "--target", "172", "--program", "5m@"], 2, "--program"),
        (
            [
                "check",
                F,
                "--target",
                "172",
                "--tolerance",
                "-3",
            ],
            2,
            "tolerance",
        ),
    ],
)
def test_bad_input_is_one_line(args: list[str], code: int, needle: str) -> None:
    proc = run_cadence(*args)
    assert proc.returncode == code, proc.stderr
    assert proc.stderr.count("\n") == 1 and needle in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


@pytest.mark.parametrize("command", ["target", "plan", "check"])
def test_help_keeps_the_examples_on_their_own_lines(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "\\b" not in result.output
    assert any(line.strip().startswith(f"cadence {command} ") for line in result.output.splitlines())


def test_the_same_run_named_twice_counts_once(sample_data) -> None:  # noqa: ANN001
    import json

    from conftest import run_cadence

    one = json.loads(run_cadence("target", str(sample_data / "elev__portland.fit"), "--json").stdout)
    twice = run_cadence(
        "target", str(sample_data / "elev__portland.fit"), str(sample_data / "elev__portland.fit"), "--json"
    )
    assert json.loads(twice.stdout) == one
