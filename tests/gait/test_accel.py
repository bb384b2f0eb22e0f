"""Accelerometer CSV through the library entry points and the ``cadence analyze`` command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cadence.errors import ParameterError
from cadence.gait.accel import accel_trace
from cadence.gait.synth import GaitSegment, Placement, synth_gait
from cadence.pipeline import analyze_accel_csv, analyze_file
from cadence.readers.accel_csv import AccelReadOptions
from conftest import run_cadence


def write_csv(path: Path, g, header: str = "t,ax,ay,az", scale: float = 1.0) -> Path:
    rows = np.column_stack([g.t_s, g.acc_ms2 * scale])
    np.savetxt(path, rows, delimiter=",", header=header, comments="", fmt="%.6f")
    return path


@pytest.fixture(scope="module")
def run_csv(tmp_path_factory):
    """A walk-run-walk in an armband at 100 Hz, and its truth."""
    segs = [
        GaitSegment(10, "still"),
        GaitSegment(20, "walk", 110),
        GaitSegment(90, "run", 168, 176),
        GaitSegment(20, "walk", 112),
    ]
    g = synth_gait(segs, Placement.ARMBAND, fs_hz=100.0, seed=21)
    return write_csv(tmp_path_factory.mktemp("acc") / "run.csv", g), g


def test_analyze_accel_csv_and_trace(run_csv):
    path, g = run_csv
    a = analyze_accel_csv(path)
    assert a.steps.n_steps == pytest.approx(len(g.step_times_s), rel=0.03)
    assert a.summary()["cadence_basis"] == "running"
    assert a.summary()["cadence_median_spm"] == pytest.approx(172, abs=4)
    tr = accel_trace(a)
    assert tr.sport == "running" and tr.sub_sport == "accelerometer" and tr.is_step_sport
    assert len(tr.t_s) == len(a.cadence_spm)
    assert np.all(np.isfinite(tr.cadence_spm))  # not stepping = 0 spm (stopped), never "no reading"


def test_analyze_file_gives_the_fit_summary_plus_steps(run_csv):
    path, g = run_csv
    (res,) = analyze_file(path)
    assert res.steps is not None
    assert res.summary.running_time_s == pytest.approx(90, abs=8)
    assert res.summary.walking_time_s == pytest.approx(40, abs=8)
    assert res.summary.running_cadence_spm == pytest.approx(172, abs=3)


def test_read_options_validate():
    with pytest.raises(ParameterError, match="units"):
        AccelReadOptions(units="stone")
    with pytest.raises(ParameterError, match="columns"):
        AccelReadOptions(columns=("t", "x"))  # type: ignore[arg-type]


def test_cli_json_and_steps_file(run_csv, tmp_path):
    path, g = run_csv
    out = tmp_path / "steps.csv"
    proc = run_cadence("analyze", "--json", str(path), "--steps", str(out))
    assert proc.returncode == 0, proc.stderr
    (act,) = json.loads(proc.stdout)["activities"]
    assert act["n_steps"] == pytest.approx(len(g.step_times_s), rel=0.03)
    assert act["sub_sport"] == "accelerometer"
    assert act["running_cadence_spm"] == pytest.approx(172, abs=3)
    assert 0 < act["step_confidence"] <= 1
    for key in ("running_time_s", "walking_time_s", "cadence_median_spm", "time_in_bins", "notes"):
        assert key in act
    assert out.read_text().splitlines()[0] == "step_time_s"
    steps = np.loadtxt(out, ndmin=1, skiprows=1)
    assert len(steps) == act["n_steps"]
    assert np.all(np.diff(steps) > 0)
    # no clobber without --force: one line, exit 1
    again = run_cadence("analyze", str(path), "--steps", str(out))
    assert again.returncode == 1
    assert "exists" in again.stderr and "Traceback" not in again.stderr


def test_cli_text_summary(run_csv):
    proc = run_cadence("analyze", str(run_csv[0]))
    assert proc.returncode == 0, proc.stderr
    assert "steps" in proc.stdout and "detected from the accelerometer" in proc.stdout
    assert "running cadence" in proc.stdout


def test_cli_units_and_columns_overrides(tmp_path):
    g = synth_gait([GaitSegment(40, "run", 170)], Placement.WAIST, seed=22)
    path = write_csv(tmp_path / "odd.csv", g, header="when,foo,bar,baz", scale=1 / 9.80665)
    assert run_cadence("analyze", str(path)).returncode == 1
    proc = run_cadence("analyze", "--json", str(path), "--columns", "when,foo,bar,baz", "--units", "g")
    assert proc.returncode == 0, proc.stderr
    (act,) = json.loads(proc.stdout)["activities"]
    assert act["running_cadence_spm"] == pytest.approx(170, abs=3)
    bad = run_cadence("analyze", str(path), "--columns", "a,b")
    assert bad.returncode == 2


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "empty file"),
        (b"t,ax,ay,az\n", "no data rows"),
        (b"t,ax,ay,az\n0,0,9.8,0\n", "only one data row"),
        (b"t,ax,ay,az\n0,0,9.8,0\n0.01,x,9.8,0\n", "non-numeric"),
        (b"t,ax,ay,az\n0,0,9.8,0\n-1,0,9.8,0\n", "backwards"),
        (b"\x00\x01\x02binary", "not a CSV"),
    ],
)
def test_cli_bad_csv_is_one_line(tmp_path, content, needle):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    proc = run_cadence("analyze", str(path))
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "bad.csv" in lines[0] and needle in lines[0]
    assert "Traceback" not in proc.stderr


def test_cli_steps_needs_one_accelerometer_file(run_csv, tmp_path):
    proc = run_cadence("analyze", str(run_csv[0]), str(run_csv[0]), "--steps", str(tmp_path / "s.csv"))
    assert proc.returncode == 2
    assert "exactly one accelerometer" in proc.stderr


def test_cli_fit_and_csv_together(run_csv, sample_data):
    proc = run_cadence("analyze", "--json", str(sample_data / "elev__portland.fit"), str(run_csv[0]))
    assert proc.returncode == 0, proc.stderr
    acts = json.loads(proc.stdout)["activities"]
    assert [a["n_steps"] is None for a in acts] == [True, False]


def test_real_back_pocket_excerpt_is_not_halved():
    """30 s of a real back-pocket walk (tests/data, CC BY 4.0): one dominant cycle per stride."""
    data = Path(__file__).parents[1] / "data"
    a = analyze_accel_csv(data / "oxford_backpocket_excerpt.csv")
    truth = np.loadtxt(data / "oxford_backpocket_excerpt.csv.events.csv", skiprows=1)
    assert a.steps.n_steps == pytest.approx(len(truth), rel=0.1)
    true_spm = 60 * (len(truth) - 1) / (truth[-1] - truth[0])
    assert a.steps.median_cadence_spm == pytest.approx(true_spm, abs=4)  # 115, not 58


def test_result_carries_the_signal_for_charts(run_csv, tmp_path):
    path, _ = run_csv
    (res,) = analyze_file(path)
    t, mag = res.signal
    assert len(t) == len(mag) > 1000
    assert 20 <= 1 / np.median(np.diff(t)) <= 50  # block-averaged to about 25 Hz
    assert np.median(mag) == pytest.approx(9.81, rel=0.3)
    png = tmp_path / "run.png"
    proc = run_cadence("analyze", str(path), "--plot", str(png))
    assert proc.returncode == 0, proc.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
