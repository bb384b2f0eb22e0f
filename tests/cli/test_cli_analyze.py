"""``cadence analyze`` as a user runs it: summaries, JSON schema, series CSV and one-line errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cadence.cli import cli
from conftest import run_cadence

DATA = Path(__file__).parents[1] / "data"
REQUIRED = {
    "file",
    "sport",
    "duration_s",
    "running_time_s",
    "running_cadence_spm",
    "watch_avg_cadence_spm",
    "cadence_p10_spm",
    "cadence_median_spm",
    "cadence_p90_spm",
    "cadence_vs_speed",
}


def test_text_summary_on_sample_data(sample_data: Path) -> None:
    proc = run_cadence("analyze", str(sample_data))
    assert proc.returncode == 0, proc.stderr
    assert "elev__portland.fit" in proc.stdout
    assert "running cadence" in proc.stdout and "watch average" in proc.stdout
    # the triathlon's non-running legs are named as skipped
    assert "skipped 4 non-running session(s)" in proc.stdout


def test_json_schema(sample_data: Path) -> None:
    result = CliRunner().invoke(cli, ["analyze", "--json", str(sample_data / "elev__portland.fit")])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["schema_version"] == 1
    (act,) = payload["activities"]
    assert REQUIRED <= set(act)
    assert set(act["cadence_vs_speed"]) >= {"slope_spm_per_ms", "intercept_spm", "r2"}
    assert act["watch_avg_cadence_spm"] == pytest.approx(164.8, abs=1.0)
    assert 171 <= act["running_cadence_spm"] <= 176
    assert act["running_time_s"] < act["duration_s"]


def test_triathlon_reports_its_run_leg(sample_data: Path) -> None:
    result = CliRunner().invoke(
        cli, ["analyze", "--json", str(sample_data / "mukti__triathlon_summary_last.fit")]
    )
    payload = json.loads(result.output)
    assert [a["sport"] for a in payload["activities"]] == ["running"]
    assert [s["sport"] for s in payload["skipped_sessions"]] == [
        "swimming",
        "transition",
        "cycling",
        "transition",
    ]
    run = payload["activities"][0]
    assert run["session_index"] == 4
    assert run["splits"][0]["km"] == 1 and run["splits"][0]["time_s"] > 200


def test_cycling_is_rpm_with_all_sessions() -> None:
    result = CliRunner().invoke(
        cli, ["analyze", "--json", "--all-sessions", str(DATA / "fdec__garmin-fenix-5-bike.fit")]
    )
    (act,) = json.loads(result.output)["activities"]
    assert act["sport"] == "cycling" and act["is_step_sport"] is False
    assert act["running_cadence_spm"] is None


def test_series_csv_and_no_clobber(tmp_path: Path, sample_data: Path) -> None:
    out = tmp_path / "series.csv"
    fit = str(sample_data / "fdec__activity-small-fenix2-run.fit")
    proc = run_cadence("analyze", fit, "--series", str(out))
    assert proc.returncode == 0, proc.stderr
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) > 2000
    assert set(rows[0]) == {"file", "session_index", "t_s", "cadence_spm", "speed_ms", "running"}
    assert {r["running"] for r in rows} == {"0", "1"}
    before = out.read_bytes()
    proc = run_cadence("analyze", fit, "--series", str(out))
    assert proc.returncode != 0
    assert "exists already" in proc.stderr and "--force" in proc.stderr
    assert out.read_bytes() == before
    proc = run_cadence("analyze", fit, "--series", str(out), "--force")
    assert proc.returncode == 0


@pytest.mark.parametrize(
    ("name", "needle"),
    [("fdec__Settings.fit", "settings file"), ("fdec__WorkoutRepeatSteps.fit", "workout file")],
)
def test_bad_files_give_one_line(name: str, needle: str) -> None:
    proc = run_cadence("analyze", str(DATA / name))
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and needle in lines[0]
    assert "Traceback" not in proc.stderr


def test_not_fit_and_empty_and_missing(tmp_path: Path) -> None:
    junk = tmp_path / "junk.fit"
    junk.write_bytes(b"\x00\x01garbage" * 100)
    empty = tmp_path / "empty.fit"
    empty.write_bytes(b"")
    proc = run_cadence("analyze", str(junk), str(empty), str(tmp_path / "nope.fit"))
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 3
    assert (
        "junk.fit" in lines[0]
        and "empty.fit: empty file" in lines[1]
        and "nope.fit: no such file" in lines[2]
    )
    assert "Traceback" not in proc.stderr


def test_truncated_file_recovers_with_warning(tmp_path: Path, sample_data: Path) -> None:
    data = (sample_data / "elev__portland.fit").read_bytes()
    cut = tmp_path / "cut.fit"
    cut.write_bytes(data[: len(data) * 2 // 3])
    proc = run_cadence("analyze", "--json", str(cut))
    assert proc.returncode == 0
    assert "warning" in proc.stderr and "truncated" in proc.stderr and "cut.fit" in proc.stderr
    (act,) = json.loads(proc.stdout)["activities"]
    assert act["running_cadence_spm"] > 160


def test_good_and_bad_files_together(sample_data: Path) -> None:
    proc = run_cadence(
        "analyze", "--json", str(sample_data / "elev__portland.fit"), str(DATA / "fdec__Settings.fit")
    )
    assert proc.returncode == 0  # one activity was read: the bad file is listed, the command succeeds
    payload = json.loads(proc.stdout)
    assert len(payload["activities"]) == 1 and len(payload["errors"]) == 1


def test_folder_picks_accelerometer_csv_but_not_other_csv(tmp_path: Path, sample_data: Path) -> None:
    import shutil

    for name in ("phone_backpocket_walk.csv", "phone_backpocket_walk.steps.txt", "SOURCES.csv"):
        shutil.copy(sample_data / name, tmp_path / name)
    (tmp_path / "tracks.csv").write_text("Track Name,Artist Name(s),Tempo\nSong,Band,172\n")
    result = CliRunner().invoke(cli, ["analyze", "--json", str(tmp_path)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert [Path(a["file"]).name for a in payload["activities"]] == ["phone_backpocket_walk.csv"]
    # the other CSVs and the step list are counted, in one line
    assert payload["skipped_files"] == {"unknown": 3}
    assert "skipped 3 files that are not activities: 3 unknown" in result.stderr
    (act,) = payload["activities"]
    truth = len((sample_data / "phone_backpocket_walk.steps.txt").read_text().split()) - 1  # minus header
    assert abs(act["n_steps"] - truth) / truth < 0.10
    assert payload["errors"] == []


def test_series_quotes_a_path_with_a_comma(tmp_path: Path, sample_data: Path) -> None:
    import shutil

    fit = tmp_path / "morning, easy.fit"
    shutil.copy(sample_data / "fdec__activity-small-fenix2-run.fit", fit)
    out = tmp_path / "series.csv"
    result = CliRunner().invoke(cli, ["analyze", str(fit), "--series", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["file"] for r in rows} == {str(fit)}
    assert all(r["running"] in ("0", "1") for r in rows)


def test_existing_output_is_refused_before_the_analysis(tmp_path: Path) -> None:
    out = tmp_path / "series.csv"
    out.write_text("mine\n")
    # a missing input would be reported by the analysis: the refusal comes first, and nothing is read
    proc = run_cadence("analyze", str(tmp_path / "missing.fit"), "--series", str(out))
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"cadence: error: {out}: exists already; use --force to overwrite it"
    ]
    assert out.read_text() == "mine\n"
