"""What a runner and a physio read: local time, running dynamics, laps and pace, units, time in band."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cadence.cli import cli

PORTLAND = "elev__portland.fit"
FENIX2 = "fdec__activity-small-fenix2-run.fit"


@pytest.fixture(scope="module")
def portland_text(sample_data: Path) -> str:
    result = CliRunner().invoke(cli, ["analyze", str(sample_data / PORTLAND), "--units", "metric"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def portland_json(sample_data: Path) -> dict:
    result = CliRunner().invoke(cli, ["analyze", "--json", str(sample_data / PORTLAND)])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["activities"][0]


def test_local_time_in_text_and_json(portland_text: str, portland_json: dict) -> None:
    assert "Sun 18 Feb 2018 09:29 UTC-08:00" in portland_text  # Portland, Oregon, in winter
    assert portland_json["start_time"] == "2018-02-18T17:29:41+00:00"
    assert portland_json["local_start_time"] == "2018-02-18T09:29:41-08:00"
    assert portland_json["utc_offset_s"] == -28800 and portland_json["utc_offset_source"] == "file"


def test_text_fits_80_columns(portland_text: str) -> None:
    long = [line for line in portland_text.splitlines()[1:] if len(line) > 80]  # the file name may be long
    assert long == []


def test_dynamics_and_laps_in_text(portland_text: str, portland_json: dict) -> None:
    assert "step length         0.89 m  (measured by the watch)" in portland_text
    assert "ground contact time" in portland_text and "(Stryd)" in portland_text
    header = next(line for line in portland_text.splitlines() if line.lstrip().startswith("lap "))
    assert "/km" in header and "GCT ms" in header and "VO cm" in header
    laps = portland_json["laps"]
    assert len(laps) == 17
    # the JSON's first lap is the text's first row: time, pace and cadence
    first = next(line for line in portland_text.splitlines() if line.startswith("    1 "))
    from cadence._timefmt import format_duration

    cells = first.split()
    assert cells[1] == format_duration(laps[0]["time_s"]) and cells[3] == format_duration(
        laps[0]["pace_s_per_km"]
    )
    assert cells[4] == f"{laps[0]['running_cadence_spm']:.0f}"
    assert laps[0]["distance_m"] == pytest.approx(1000, abs=5)  # a 1 km auto-lap
    assert laps[0]["pace_s_per_km"] == pytest.approx(laps[0]["time_s"] * 1000 / laps[0]["distance_m"])
    assert sum(lap["time_s"] for lap in laps) == pytest.approx(portland_json["timer_time_s"], abs=2)
    assert set(portland_json["running_dynamics"]) >= {"stance_time_ms", "vertical_oscillation_mm"}
    assert portland_json["running_dynamics_source"]["power_w"] == "Stryd"
    assert portland_json["step_length_source"] == "watch"


def test_auto_laps_of_a_km_replace_the_split_table(portland_text: str, sample_data: Path) -> None:
    assert "pace/km" not in portland_text  # portland's laps are the watch's 1 km auto-laps
    out = CliRunner().invoke(cli, ["analyze", str(sample_data / FENIX2), "--units", "metric"]).output
    header = next(line for line in out.splitlines() if "pace/km" in line)
    assert "time" not in header  # one of time and pace: they are equal for whole km
    assert "step length         1.19 m  (from speed and cadence)" in out


def test_imperial_units(sample_data: Path) -> None:
    out = CliRunner().invoke(cli, ["analyze", str(sample_data / FENIX2), "--units", "imperial"]).output
    assert "distance 5.60 mi" in out and "pace/mi" in out
    rows = [line.split() for line in out.splitlines() if line[:5].strip().isdigit() and "spm" in line]
    assert len(rows) == 6  # 9.0 km = 5.6 miles: 5 whole miles and the rest
    out_us = CliRunner().invoke(cli, ["analyze", str(sample_data / FENIX2)], env={"LC_ALL": "en_US.UTF-8"})
    assert "distance 5.60 mi" in out_us.output


def test_analyze_target_without_plot_reports_time_in_band(sample_data: Path) -> None:
    args = ["analyze", str(sample_data / PORTLAND), "--target", "172"]
    out = CliRunner().invoke(cli, args).output
    line = next(line for line in out.splitlines() if "target 169-175 spm" in line)
    d = json.loads(CliRunner().invoke(cli, [*args, "--json"]).output)["activities"][0]["target"]
    total = d["below_s"] + d["in_band_s"] + d["above_s"]
    assert total == pytest.approx(5477, abs=2)  # the running time
    assert f"({100 * d['in_band_s'] / total:.0f} %)" in line


def test_check_shows_pace_per_lap(sample_data: Path) -> None:
    out = CliRunner().invoke(
        cli, ["check", str(sample_data / PORTLAND), "--target", "172", "--units", "metric"]
    )
    assert out.exit_code == 0, out.output
    rows = [line.split() for line in out.output.splitlines() if line[:5].strip().isdigit()]
    assert rows[0][:2] == ["1", "0:00"] and rows[0][2].count(":") == 1  # lap 1 starts at 0:00, its pace
    assert "ground contact time" in out.output
    d = json.loads(
        CliRunner().invoke(cli, ["check", str(sample_data / PORTLAND), "--target", "172", "--json"]).output
    )
    lap = d["runs"][0]["laps"][0]
    assert 300 < lap["pace_s_per_km"] < 420 and "stance_time_ms" in lap["running_dynamics"]


def test_history_pace_since_until_and_dynamics(sample_data: Path, tmp_path: Path) -> None:
    base = ["history", str(sample_data), "--no-cache", "-j", "1", "--units", "metric"]
    at_pace = json.loads(CliRunner().invoke(cli, [*base, "--reference-pace", "5:33/km", "--json"]).output)
    at_speed = json.loads(
        CliRunner().invoke(cli, [*base, "--reference-speed", f"{1000 / 333:.6f}", "--json"]).output
    )
    assert at_pace["reference_speed_ms"] == pytest.approx(at_speed["reference_speed_ms"])
    assert [r["cadence_at_reference_spm"] for r in at_pace["runs"]] == [
        r["cadence_at_reference_spm"] for r in at_speed["runs"]
    ]
    by_file = {Path(r["file"]).name: r for r in at_pace["runs"]}
    assert "stance_time_ms" in by_file[PORTLAND]["running_dynamics"]
    assert by_file[PORTLAND]["local_start_time"].startswith("2018-02-18T09:29")
    assert "ground_contact" not in at_pace["trend"]  # keys are the documented ones
    only_2018 = json.loads(
        CliRunner().invoke(cli, [*base, "--since", "2018-01-01", "--until", "2018-12-31", "--json"]).output
    )
    assert [Path(r["file"]).name for r in only_2018["runs"]] == [PORTLAND]
    text = CliRunner().invoke(cli, [*base]).output
    assert "GCT ms" in text.splitlines()[0] and "@5:33/km" in text.splitlines()[0]
    bad = CliRunner().invoke(cli, [*base, "--since", "2019-01-01", "--until", "2018-01-01"])
    assert bad.exit_code == 2
    assert CliRunner().invoke(cli, [*base, "--reference-pace", "5:33"]).exit_code == 2  # needs a unit


def test_tz_option(sample_data: Path) -> None:
    bad = CliRunner().invoke(cli, ["analyze", str(sample_data / PORTLAND), "--tz", "Mars/Olympus"])
    assert bad.exit_code == 2 and "--tz" in bad.output
    # a FIT file carries its own offset: --tz does not move it
    out = CliRunner().invoke(cli, ["analyze", str(sample_data / PORTLAND), "--tz", "Asia/Tokyo"]).output
    assert "09:29 UTC-08:00" in out


def test_band_colours_only_on_a_colour_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from cadence.cli import _common

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setattr(_common, "is_tty", lambda stream=None: True)
    assert _common.paint("in band 62 %", "in") == "\x1b[32min band 62 %\x1b[0m"
    assert _common.paint("above", "above").startswith("\x1b[31m")
    monkeypatch.setenv("NO_COLOR", "1")
    assert _common.paint("in band 62 %", "in") == "in band 62 %"
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setattr(_common, "is_tty", lambda stream=None: False)
    assert _common.paint("below", "below") == "below"


def test_options_named_as_typed() -> None:
    from conftest import run_cadence

    proc = run_cadence("plan", "160", "--sessions-per-week", "9")
    assert proc.returncode == 2 or proc.returncode == 1
    assert "--sessions-per-week 9" in proc.stderr and "sessions_per_week" not in proc.stderr


def test_target_on_a_folder_pools_the_cached_run_moments(
    sample_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder goes through the history cache (parallel, cached): the same line as the files analyzed."""
    from conftest import run_cadence

    files = [str(sample_data / n) for n in (PORTLAND, FENIX2, "mukti__triathlon_summary_last.fit")]
    by_files = json.loads(CliRunner().invoke(cli, ["target", *files, "--pace", "5:30/km", "--json"]).output)
    monkeypatch.setenv("CADENCE_CACHE_DIR", str(tmp_path / "cache"))
    proc = run_cadence("target", str(sample_data), "--pace", "5:30/km", "--json")
    again = run_cadence("target", str(sample_data), "--pace", "5:30/km", "--json")
    assert proc.returncode == 0, proc.stderr
    assert list((tmp_path / "cache").rglob("*.json"))  # the facts were cached
    for d in (json.loads(proc.stdout), json.loads(again.stdout)):
        speed, ref = d["speed"], by_files["speed"]
        assert speed["cadence_at_speed_spm"] == pytest.approx(ref["cadence_at_speed_spm"], abs=1e-3)
        assert speed["se_spm"] == pytest.approx(ref["se_spm"], abs=1e-3)
        assert d["baseline_spm"] == pytest.approx(by_files["baseline_spm"], abs=1e-3)
        watch = by_files["runs"]["watch_avg_cadence_spm"]
        assert d["runs"]["watch_avg_cadence_spm"] == pytest.approx(watch, abs=1e-3)
