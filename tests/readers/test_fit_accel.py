"""Accelerometer samples inside FIT files: accelerometer_data (+ calibration) and Connect IQ accel_X/Y/Z."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cadence.errors import InputFormatError
from cadence.gait.synth import GaitSegment, Placement, synth_gait
from cadence.pipeline import analyze_file
from cadence.readers.fit_accel import has_accel_data, read_fit_accel
from conftest import run_cadence
from fitwriter import FitWriter

T0 = 1_000_000_000  # FIT seconds (2021-09-08)
G = 9.80665


@pytest.fixture(scope="module")
def wrist_run():
    """Two minutes of running at 172 spm, wrist, 25 Hz (a typical watch accelerometer rate)."""
    return synth_gait([GaitSegment(120, "run", 172)], Placement.WRIST, fs_hz=25.0, seed=31)


def _head(w: FitWriter) -> None:
    w.message(0, 0, [(0, 0x00, 4), (1, 0x84, 1), (4, 0x86, T0)])  # file_id: activity, garmin


def _session(w: FitWriter, seconds: int) -> None:
    w.message(4, 18, [(253, 0x86, T0 + seconds), (2, 0x86, T0), (5, 0x00, 1), (7, 0x86, seconds * 1000),
                      (8, 0x86, seconds * 1000)])  # fmt: skip


def raw_fit(path: Path, g, *, calibrated: bool = False, with_records: bool = False) -> Path:
    w = FitWriter()
    _head(w)
    if not calibrated:  # counts = 32768 + 1000 * g (level shift 32768, factor 1 / divisor 1000, identity)
        eye = [65535, 0, 0, 0, 65535, 0, 0, 0, 65535]
        w.message(3, 167, [(253, 0x86, T0), (0, 0x00, 0), (1, 0x86, 1), (2, 0x86, 1000), (3, 0x86, 32768),
                           (4, 0x85, [0, 0, 0]), (5, 0x85, eye)])  # fmt: skip
    n_s = len(g.t_s) // 25
    for s in range(n_s):
        blk = g.acc_ms2[s * 25 : (s + 1) * 25] / G
        offsets = [40 * k for k in range(25)]
        if calibrated:
            axes = [(5 + k, 0x88, blk[:, k].tolist()) for k in range(3)]
        else:
            counts = np.round(blk * 1000 + 32768).astype(int)
            axes = [(2 + k, 0x84, counts[:, k].tolist()) for k in range(3)]
        w.message(1, 165, [(253, 0x86, T0 + s), (0, 0x84, 0), (1, 0x84, offsets), *axes])
        if with_records:
            w.message(2, 20, [(253, 0x86, T0 + s), (4, 0x02, 80), (53, 0x02, 0)])  # watch: 160 spm
    _session(w, n_s)
    return w.save(path)


def connectiq_fit(path: Path, g) -> Path:
    w = FitWriter()
    _head(w)
    w.message(5, 207, [(3, 0x02, 0), (1, 0x0D, [0] * 16)])  # developer_data_id
    for k, a in enumerate("XYZ"):
        w.message(
            6, 206, [(0, 0x02, 0), (1, 0x02, k), (2, 0x02, 0x83), (3, 0x07, f"accel_{a}"), (8, 0x07, "mG")]
        )
    mg = np.round(g.acc_ms2 / G * 1000).astype(int)
    n_s = len(g.t_s) // 25
    for s in range(n_s):
        blk = mg[s * 25 : (s + 1) * 25]
        dev = [(k, 0, 0x83, blk[:, k].tolist()) for k in range(3)]
        w.message(2, 20, [(253, 0x86, T0 + s), (4, 0x02, 86), (53, 0x02, 0)], dev_fields=dev)
    _session(w, n_s)
    return w.save(path)


@pytest.mark.parametrize("calibrated", [False, True])
def test_accelerometer_data_messages(tmp_path, wrist_run, calibrated):
    path = raw_fit(tmp_path / "a.fit", wrist_run, calibrated=calibrated)
    assert has_accel_data(path)
    rec = read_fit_accel(path)
    assert rec is not None and rec.format == "fit"
    assert rec.fs_hz == pytest.approx(25.0)
    np.testing.assert_allclose(rec.acc_ms2, wrist_run.acc_ms2[: len(rec.acc_ms2)], atol=0.01)
    assert rec.start_unix_s == pytest.approx(T0 + 631065600)


def test_connectiq_developer_fields_in_milli_g(tmp_path, wrist_run):
    rec = read_fit_accel(connectiq_fit(tmp_path / "ciq.fit", wrist_run))
    assert rec is not None and rec.format == "fit_connectiq" and rec.units_in_file == "milli-g"
    np.testing.assert_allclose(rec.acc_ms2, wrist_run.acc_ms2[: len(rec.acc_ms2)], atol=0.01)


def test_fit_without_accelerometer(sample_data):
    path = sample_data / "fdec__activity-small-fenix2-run.fit"
    assert read_fit_accel(path) is None
    results = analyze_file(path)
    assert all(r.steps is None for r in results)


def test_watch_and_accelerometer_side_by_side(tmp_path, wrist_run):
    path = raw_fit(tmp_path / "both.fit", wrist_run, with_records=True)
    watch, accel = analyze_file(path)
    assert watch.steps is None and watch.summary.running_cadence_spm == pytest.approx(160, abs=0.5)
    assert accel.steps is not None
    assert accel.steps.n_steps == pytest.approx(len(wrist_run.step_times_s), rel=0.03)
    assert accel.summary.running_cadence_spm == pytest.approx(172, abs=2)
    proc = run_cadence("analyze", "--json", str(path))
    assert proc.returncode == 0, proc.stderr
    acts = json.loads(proc.stdout)["activities"]
    assert [a["n_steps"] is None for a in acts] == [True, False]
    assert acts[1]["sub_sport"] == "accelerometer"


def test_implausible_units_are_an_error(tmp_path, wrist_run):
    w = FitWriter()
    _head(w)
    for s in range(10):  # counts around 5000 with no calibration message: neither g, milli-g nor m/s^2
        w.message(1, 165, [(253, 0x86, T0 + s), (1, 0x84, [40 * k for k in range(25)]),
                           *[(2 + k, 0x84, [5000] * 25) for k in range(3)]])  # fmt: skip
    with pytest.raises(InputFormatError, match="not g, milli-g or m/s"):
        read_fit_accel(w.save(tmp_path / "odd.fit"))


@pytest.mark.parametrize("calibrated", [False, True])
def test_fast_decoder_reads_accelerometer_messages_as_fitdecode_does(
    tmp_path, wrist_run, calibrated, monkeypatch
):
    """The accelerometer messages come from the fast decoder; the same Recording as with fitdecode."""
    from cadence.readers import fit_fast

    path = raw_fit(tmp_path / "raw.fit", wrist_run, calibrated=calibrated, with_records=True)
    fast = fit_fast.decode_fit(path, fit_fast.ACCEL_MESSAGES)
    assert {m.name for m in fast.messages} == (
        {"accelerometer_data"} if calibrated else {"accelerometer_data", "three_d_sensor_calibration"}
    )
    via_fast = read_fit_accel(path)
    monkeypatch.setenv("CADENCE_FIT_DECODER", "fitdecode")
    via_fitdecode = read_fit_accel(path)
    assert via_fast is not None and via_fitdecode is not None
    np.testing.assert_array_equal(via_fast.t_s, via_fitdecode.t_s)
    np.testing.assert_array_equal(via_fast.acc_ms2, via_fitdecode.acc_ms2)
    assert (via_fast.fs_hz, via_fast.n_rows, via_fast.units_in_file) == (
        via_fitdecode.fs_hz,
        via_fitdecode.n_rows,
        via_fitdecode.units_in_file,
    )
