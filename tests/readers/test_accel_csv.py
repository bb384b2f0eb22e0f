"""Tests for the accelerometer CSV reader: formats, units, sampling, and every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cadence.errors import CadenceWarning, InputFormatError, ParameterError
from cadence.gait.synth import GaitSegment, Placement, synth_gait
from cadence.pipeline import analyze_accel_csv
from cadence.readers._accel import G_MS2, Units
from cadence.readers.accel_csv import read_accel_csv


@pytest.fixture(scope="module")
def walk():
    """20 s of walking at 110 spm, sensor at the waist, 100 Hz."""
    return synth_gait([GaitSegment(20, "walk", 110)], Placement.WAIST, fs_hz=100.0, seed=3)


def write(
    path: Path, header: str, rows: np.ndarray, sep: str = ",", decimal: str = ".", fmt: str = "%.6f"
) -> Path:
    lines = [header]
    for r in rows:
        cells = [fmt % v for v in r]
        if decimal != ".":
            cells = [c.replace(".", decimal) for c in cells]
        lines.append(sep.join(cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def table(g, scale: float = 1.0, t_scale: float = 1.0, t0: float = 0.0) -> np.ndarray:
    return np.column_stack([t0 + g.t_s * t_scale, g.acc_ms2 * scale])


def test_plain_ms2(tmp_path, walk):
    rec = read_accel_csv(write(tmp_path / "a.csv", "t,ax,ay,az", table(walk)))
    assert rec.format == "plain"
    assert rec.units_in_file == "m/s^2"
    assert rec.fs_hz == pytest.approx(100.0)
    assert rec.acc_ms2.shape == (len(walk.t_s), 3)
    np.testing.assert_allclose(rec.acc_ms2, walk.acc_ms2, atol=1e-5)
    assert not rec.resampled and rec.gaps == () and rec.gravity_included


def test_plain_in_g_detected_from_gravity(tmp_path, walk):
    rec = read_accel_csv(write(tmp_path / "g.csv", "time,x,y,z", table(walk, 1 / G_MS2), fmt="%.7f"))
    assert rec.units_in_file == "g"
    np.testing.assert_allclose(rec.acc_ms2, walk.acc_ms2, atol=1e-4)


def test_units_override(tmp_path, walk):
    path = write(tmp_path / "g.csv", "t,ax,ay,az", table(walk, 1 / G_MS2), fmt="%.7f")
    with pytest.warns(CadenceWarning, match="units look wrong; the data look like g"):
        rec = read_accel_csv(path, units="m/s^2")
    assert rec.units_in_file == "m/s^2"
    assert np.median(np.linalg.norm(rec.acc_ms2, axis=1)) == pytest.approx(1.0, abs=0.1)
    with pytest.raises(ParameterError, match="units"):
        read_accel_csv(path, units="furlongs")


def test_phyphox_comma(tmp_path, walk):
    header = '"Time (s)","Acceleration x (m/s^2)","Acceleration y (m/s^2)","Acceleration z (m/s^2)"'
    rec = read_accel_csv(write(tmp_path / "p.csv", header, table(walk)))
    assert rec.format == "phyphox"
    np.testing.assert_allclose(rec.acc_ms2, walk.acc_ms2, atol=1e-5)


@pytest.mark.parametrize("sep", [";", "\t"])
def test_phyphox_decimal_comma(tmp_path, walk, sep):
    header = sep.join(
        ['"Time (s)"', '"Acceleration x (m/s^2)"', '"Acceleration y (m/s^2)"', '"Acceleration z (m/s^2)"']
    )
    rec = read_accel_csv(write(tmp_path / "p.csv", header, table(walk), sep=sep, decimal=","))
    assert rec.fs_hz == pytest.approx(100.0)
    np.testing.assert_allclose(rec.acc_ms2, walk.acc_ms2, atol=1e-5)


def test_phyphox_linear_acceleration_is_gravity_free(tmp_path):
    g = synth_gait([GaitSegment(30, "walk", 112)], Placement.WAIST, seed=4, rotate=False)
    lin = g.acc_ms2 - np.median(g.acc_ms2, axis=0)
    header = ",".join(f'"Linear Acceleration {a} (m/s^2)"' for a in "xyz")
    header = '"Time (s)",' + header
    path = write(tmp_path / "lin.csv", header, np.column_stack([g.t_s, lin]))
    rec = read_accel_csv(path)
    assert rec.format == "phyphox"
    assert not rec.gravity_included
    res = analyze_accel_csv(path)
    assert res.steps.median_cadence_spm == pytest.approx(112, abs=4)


def test_sensor_logger_ns_and_axis_order(tmp_path, walk):
    t_ns = (1.7e9 + walk.t_s) * 1e9
    rows = np.column_stack([t_ns, walk.t_s, walk.acc_ms2[:, 2], walk.acc_ms2[:, 1], walk.acc_ms2[:, 0]])
    path = tmp_path / "Accelerometer.csv"
    lines = ["time,seconds_elapsed,z,y,x"] + [
        f"{int(r[0])},{r[1]:.6f},{r[2]:.6f},{r[3]:.6f},{r[4]:.6f}" for r in rows
    ]
    path.write_text("\n".join(lines) + "\n")
    rec = read_accel_csv(path)
    assert rec.format == "sensor_logger"
    np.testing.assert_allclose(rec.acc_ms2[:, 0], walk.acc_ms2[:, 0], atol=1e-5)
    np.testing.assert_allclose(rec.acc_ms2[:, 2], walk.acc_ms2[:, 2], atol=1e-5)
    assert rec.fs_hz == pytest.approx(100.0, rel=1e-3)


def test_physics_toolbox_ms_and_g(tmp_path, walk):
    rows = np.column_stack(
        [walk.t_s * 1000.0, walk.acc_ms2 / G_MS2, np.linalg.norm(walk.acc_ms2, axis=1) / G_MS2]
    )
    rec = read_accel_csv(write(tmp_path / "ptb.csv", "time,gFx,gFy,gFz,TgF", rows, fmt="%.7f"))
    assert rec.format == "physics_toolbox"
    assert rec.units_in_file == "g"
    assert rec.fs_hz == pytest.approx(100.0, rel=1e-3)
    np.testing.assert_allclose(rec.acc_ms2, walk.acc_ms2, atol=1e-4)


def test_iso_timestamps(tmp_path, walk):
    base = np.datetime64("2025-05-01T07:30:00.000")
    stamps = base + (walk.t_s * 1000).round().astype("timedelta64[ms]")
    lines = ["time,ax,ay,az"] + [
        f"{str(s)},{a[0]:.6f},{a[1]:.6f},{a[2]:.6f}" for s, a in zip(stamps, walk.acc_ms2, strict=True)
    ]
    path = tmp_path / "iso.csv"
    path.write_text("\n".join(lines) + "\n")
    rec = read_accel_csv(path)
    assert rec.fs_hz == pytest.approx(100.0, rel=1e-3)
    assert rec.start_unix_s == pytest.approx(base.astype("datetime64[ms]").astype(float) / 1000.0)


def test_irregular_sampling_resampled_and_gaps_reported(tmp_path, walk):
    rng = np.random.default_rng(0)
    keep = np.sort(rng.choice(len(walk.t_s), size=len(walk.t_s) * 2 // 3, replace=False))
    keep = keep[(walk.t_s[keep] < 8.0) | (walk.t_s[keep] > 9.5)]  # a 1.5 s hole
    rec = read_accel_csv(write(tmp_path / "irr.csv", "t,ax,ay,az", table(walk)[keep]))
    assert rec.resampled
    assert np.allclose(np.diff(rec.t_s), 1.0 / rec.fs_hz)
    assert len(rec.gaps) == 1
    start, dur = rec.gaps[0]
    assert 7.8 < start < 8.1 and 1.4 < dur < 1.8


def test_explicit_columns_and_no_time_column(tmp_path, walk):
    path = write(tmp_path / "odd.csv", "when,foo,bar,baz", table(walk))
    with pytest.raises(InputFormatError, match="--columns"):
        read_accel_csv(path)
    rec = read_accel_csv(path, columns=("when", "foo", "bar", "baz"))
    np.testing.assert_allclose(rec.acc_ms2, walk.acc_ms2, atol=1e-5)
    nt = write(tmp_path / "nt.csv", "ax,ay,az", walk.acc_ms2)
    with pytest.raises(InputFormatError, match="no time column"):
        read_accel_csv(nt)
    assert read_accel_csv(nt, fs_hz=100.0).fs_hz == 100.0


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "empty file"),
        (b"\n\n  \n", "empty file"),
        (b"t,ax,ay,az\n", "no data rows"),
        (b"t,ax,ay,az\n0.0,0.1,9.8,0.2\n", "only one data row"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV"),
        (b"just some words\nand more words\n", "not a CSV"),
        (
            b"t,ax,ay,az\n0,0,9.8,0\n0.01,0,9.8,0\n0.02,abc,9.8,0\n0.03,0,9.8,0\n",
            r"non-numeric value 'abc'.*line 4",
        ),
        # a step back of a second is time travel (a swapped pair of rows is sorted instead)
        (
            b"t,ax,ay,az\n0,0,9.8,0\n0.01,0,9.8,0\n0.02,0,9.8,0\n-1,0,9.8,0\n0.03,0,9.8,0\n",
            "time goes backwards",
        ),
        (b"t,ax,ay,az\n0,nan,nan,nan\n0.01,NaN,,NaN\n", "no usable data rows"),
        (b"t,ax,ay,az\n0,4,0,0\n0.01,4,0,0\n0.02,4,0,0\n", "cannot tell the units"),
        (b"t,ax,ay,az\n0,0,9.8,0\n0.01,0,9.8,0\n0.02,0,9.8e9,0\n0.03,0,9.8,0\n", "implausible acceleration"),
    ],
)
def test_bad_input_gives_one_clear_error(tmp_path, content, match):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(InputFormatError, match=match) as info:
        read_accel_csv(path)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputFormatError, match="no such file"):
        read_accel_csv(tmp_path / "nope.csv")
    with pytest.raises(InputFormatError, match="directory"):
        read_accel_csv(tmp_path)


def test_nan_rows_are_dropped_and_counted(tmp_path, walk):
    rows = table(walk).copy()
    rows[[10, 500, 501], 2] = np.nan
    rec = read_accel_csv(write(tmp_path / "nan.csv", "t,ax,ay,az", rows))
    assert rec.n_dropped == 3
    assert np.isfinite(rec.acc_ms2).all()
    assert len(rec.t_s) == len(walk.t_s)  # resampled back onto the full grid


def test_constant_signal_reads_and_has_no_steps(tmp_path):
    rows = np.column_stack([np.arange(3000) / 50.0, np.zeros(3000), np.full(3000, G_MS2), np.zeros(3000)])
    path = write(tmp_path / "const.csv", "t,ax,ay,az", rows)
    res = analyze_accel_csv(path)
    assert res.steps.n_steps == 0
    assert np.isnan(res.summary()["cadence_median_spm"])


def test_time_unit_override(tmp_path, walk):
    path = write(tmp_path / "ms.csv", "t,ax,ay,az", table(walk, t_scale=1000.0))
    assert read_accel_csv(path).fs_hz == pytest.approx(100.0)
    assert read_accel_csv(path, time_unit="s").fs_hz == pytest.approx(0.1)
    with pytest.raises(ParameterError, match="time_unit"):
        read_accel_csv(path, time_unit="fortnights")


@settings(max_examples=15, deadline=None)
@given(fs=st.floats(min_value=20, max_value=500), n=st.integers(min_value=2, max_value=400))
def test_round_trip_any_rate(tmp_path_factory, fs, n):
    t = np.arange(n) / fs
    acc = np.column_stack([np.sin(t), np.full(n, G_MS2), np.cos(t)])
    path = write(
        tmp_path_factory.mktemp("rt") / "rt.csv", "t,ax,ay,az", np.column_stack([t, acc]), fmt="%.9f"
    )
    rec = read_accel_csv(path)
    assert rec.fs_hz == pytest.approx(fs, rel=1e-4)
    assert len(rec.t_s) == n
    np.testing.assert_allclose(rec.acc_ms2, acc, atol=1e-6)


def test_units_override_takes_effect(tmp_path, walk):
    path = write(tmp_path / "a.csv", "t,ax,ay,az", table(walk))
    auto = read_accel_csv(path)
    with pytest.warns(CadenceWarning, match="gravity measures 9.8 g"):
        forced = read_accel_csv(path, units=Units.G)  # wrong on purpose: the user's word wins over detection
    assert auto.units_in_file == "m/s^2" and forced.units_in_file == "g"
    np.testing.assert_allclose(forced.acc_ms2, auto.acc_ms2 * G_MS2, rtol=1e-9)


def test_error_rows_count_the_dropped_rows_too(tmp_path: Path) -> None:
    # 49 rows with a NaN are dropped, then time jumps back at data row 500 of the file
    t = np.arange(600) * 0.01
    t[499:] -= 4.0
    ax = np.zeros(600)
    ax[:49] = np.nan
    rows = "\n".join(f"{ti:.3f},{a},0,9.8" for ti, a in zip(t, ax, strict=True))
    path = tmp_path / "jump.csv"
    path.write_text("t,ax,ay,az\n" + rows + "\n")
    with pytest.raises(InputFormatError, match=r"time goes backwards.*\(data row 500\)"):
        read_accel_csv(path)


def test_too_slow_recording_names_the_file(tmp_path: Path) -> None:
    t = np.arange(200) / 5.0  # 5 Hz: below what step detection needs
    path = tmp_path / "slow.csv"
    path.write_text("t,ax,ay,az\n" + "\n".join(f"{ti:.2f},0,0,9.8" for ti in t) + "\n")
    with pytest.raises(InputFormatError, match=r"slow\.csv: sampled at 5 Hz; step detection needs at least"):
        analyze_accel_csv(path)
