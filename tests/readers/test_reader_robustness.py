"""Bad files meet the readers: a FIT file that runs past its header, several values in one field, CSV files
that are only a byte-order mark, junk lines, rows out of order, absurd rates; and the loader's own checks."""

from __future__ import annotations

import os
import re
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

from cadence.errors import CadenceWarning, InputFormatError
from cadence.gait.synth import GaitSegment, Placement, synth_gait
from cadence.pipeline import analyze_file, load_traces
from cadence.readers.accel_csv import read_accel_csv
from cadence.readers.fit import read_fit
from cadence.readers.fit_accel import has_accel_data
from fitwriter import FitWriter

DATA = Path(__file__).resolve().parents[1] / "data"
WALK_FIT = DATA / "fdec__garmin-fenix-5-walk.fit"
T0 = 1_000_000_000


def _records(path: Path) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sum(t.t_s.size for t in read_fit(path))


# ------------------------------------------------------------------------------------------------ FIT
@pytest.mark.parametrize(
    "mutation",
    ["size_one_short", "size_far_short", "appended_file", "repeated_chunk"],
)
def test_fit_content_longer_than_its_header_keeps_what_was_read(tmp_path, mutation):
    data = WALK_FIT.read_bytes()
    size = int.from_bytes(data[4:8], "little")
    if mutation == "size_one_short":
        bad = data[:4] + (size - 1).to_bytes(4, "little") + data[8:]
    elif mutation == "size_far_short":
        bad = data[:4] + (size - 700).to_bytes(4, "little") + data[8:]
    elif mutation == "appended_file":
        bad = data + data[:2000]
    else:
        bad = data[:3000] + data[2000:3000] + data[3000:]
    path = tmp_path / "bad.fit"
    path.write_bytes(bad)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        traces = read_fit(path)
    assert traces and sum(t.t_s.size for t in traces) > 0
    if mutation != "appended_file":  # an appended partial copy may decode as a chained file or break
        msgs = [str(w.message) for w in caught if issubclass(w.category, CadenceWarning)]
        assert msgs and all(str(path) in m for m in msgs)
    assert sum(t.t_s.size for t in traces) <= _records(WALK_FIT) * 2


def test_a_record_field_with_several_values_is_invalid_for_that_record(tmp_path):
    w = FitWriter()
    w.message(0, 0, [(0, 0x00, 4), (1, 0x84, 1), (2, 0x84, 1), (4, 0x86, T0)])  # file_id: activity
    for s in range(60):
        cad = [80, 81] if s == 10 else 80  # one record's definition makes cadence an array
        w.message(2, 20, [(253, 0x86, T0 + s), (4, 0x02, cad), (6, 0x84, 2500), (5, 0x86, 250 * s)])
    w.message(4, 18, [(253, 0x86, T0 + 60), (2, 0x86, T0), (5, 0x00, 1), (7, 0x86, 60000), (8, 0x86, 60000)])
    path = w.save(tmp_path / "multi.fit")
    (trace,) = read_fit(path)
    assert trace.cadence_spm.ndim == 1 and trace.cadence_spm.size == 60
    assert np.isnan(trace.cadence_spm[10]) and np.all(trace.cadence_spm[np.arange(60) != 10] == 160)
    (result,) = analyze_file(path)
    assert result.summary.running_cadence_spm == pytest.approx(160, abs=1)


def test_the_accelerometer_scan_does_not_match_ordinary_records(tmp_path):
    w = FitWriter()
    w.message(0, 0, [(0, 0x00, 4), (4, 0x86, T0)])
    for s in range(30):  # distance 0xA5000040 puts the old byte pattern 40 00 00 a5 00 in the data
        w.message(2, 20, [(253, 0x86, T0 + s), (5, 0x86, 0xA5000040), (4, 0x02, 0)])
    w.message(3, 12, [(0, 0x02, 1), (3, 0x07, "accel_x")])  # a sport message named accel_x, not a dev field
    path = w.save(tmp_path / "plain.fit")
    raw = path.read_bytes()
    assert re.search(rb"[\x40-\x4f]\x00\x00\xa5\x00", raw) and b"accel_x" in raw  # what fooled the old scan
    assert not has_accel_data(path)


@pytest.mark.parametrize("cut", [20, 200])
def test_a_fit_file_cut_before_its_data_is_refused_in_one_line(tmp_path, cut):
    path = tmp_path / f"cut{cut}.fit"
    path.write_bytes(WALK_FIT.read_bytes()[:cut])
    with pytest.raises(InputFormatError, match="truncated") as exc:
        load_traces(path)
    assert str(path) in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.parametrize("keep", ["half", "all but 3 bytes"])
def test_a_truncated_fit_file_is_kept_up_to_the_break_with_a_warning(tmp_path, keep):
    data = WALK_FIT.read_bytes()
    (whole,) = load_traces(WALK_FIT)
    cut = len(data) // 2 if keep == "half" else len(data) - 3
    path = tmp_path / "cut.fit"
    path.write_bytes(data[:cut])
    with pytest.warns(CadenceWarning, match="truncated") as caught:
        (trace,) = load_traces(path)
    assert len(caught) == 1 and str(path) in str(caught[0].message)
    n = trace.t_s.size
    np.testing.assert_array_equal(trace.t_s, whole.t_s[:n])  # the records before the break, unchanged
    if keep == "half":
        assert 0 < n < whole.t_s.size
    else:
        assert n == whole.t_s.size  # only the file's CRC was cut


# ------------------------------------------------------------------------------------------------ CSV
@pytest.fixture(scope="module")
def walk():
    return synth_gait([GaitSegment(20, "walk", 110)], Placement.WAIST, fs_hz=100.0, seed=3)


def _csv(path: Path, t: np.ndarray, acc: np.ndarray, time_fmt: str = "%.6f") -> Path:
    rows = [f"{time_fmt % float(ti)},{a[0]:.5f},{a[1]:.5f},{a[2]:.5f}" for ti, a in zip(t, acc, strict=True)]
    path.write_text("t,ax,ay,az\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_bom_only_file_is_empty(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf")
    with pytest.raises(InputFormatError, match="empty file") as err:
        read_accel_csv(path)
    assert str(path) in str(err.value)


def test_a_malformed_iso_time_is_one_clean_error(tmp_path, walk):
    lines = ["time,ax,ay,az"] + [f"2024-05-01T10:00:{i / 100:06.3f}Z,0,0,9.8" for i in range(200)]
    lines[50] = "2024-05-01T25:61:00Z,0,0,9.8"
    path = tmp_path / "iso.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(InputFormatError, match="date-time") as err:
        read_accel_csv(path)
    assert str(path) in str(err.value) and "line 51" in str(err.value)
    garbled = ["time,ax,ay,az"] + ["2024-13-45T99:99:99,0,0,9.8"] * 20
    path.write_text("\n".join(garbled), encoding="utf-8")
    with pytest.raises(InputFormatError, match="date-time"):
        read_accel_csv(path)


@pytest.mark.parametrize("step", [1e-320, 1e-9])
def test_an_absurd_sampling_rate_is_refused(tmp_path, walk, step):
    path = _csv(tmp_path / "fast.csv", np.arange(len(walk.t_s)) * step, walk.acc_ms2, time_fmt="%r")
    with pytest.raises(InputFormatError, match="implausible sampling rate") as err:
        read_accel_csv(path, time_unit="s")
    assert str(path) in str(err.value)


def test_seconds_read_as_nanoseconds_are_refused(tmp_path, walk):
    path = _csv(tmp_path / "s.csv", walk.t_s, walk.acc_ms2)
    with pytest.raises(InputFormatError, match="time unit"):
        read_accel_csv(path, time_unit="ns")


def test_a_long_junk_line_is_not_echoed(tmp_path, walk):
    path = _csv(tmp_path / "junk.csv", walk.t_s, walk.acc_ms2)
    lines = path.read_text().splitlines()
    lines.insert(100, "x" * 5_000_000)
    path.write_text("\n".join(lines))
    with pytest.raises(InputFormatError) as err:
        read_accel_csv(path)
    assert str(path) in str(err.value) and len(str(err.value)) < 400
    path.write_text("x" * 3_000_000 + ",y,z\n1,2,3\n")  # a junk header
    with pytest.raises(InputFormatError) as err:
        read_accel_csv(path)
    assert len(str(err.value)) < 600


def test_a_swapped_pair_of_rows_is_sorted_with_a_warning(tmp_path, walk):
    t, acc = walk.t_s.copy(), walk.acc_ms2
    t[[500, 501]] = t[[501, 500]]
    path = _csv(tmp_path / "swap.csv", t, acc)
    with pytest.warns(CadenceWarning, match="1 rows out of time order"):
        rec = read_accel_csv(path)
    assert rec.fs_hz == pytest.approx(100.0) and rec.n_rows == len(t)
    np.testing.assert_allclose(rec.acc_ms2[501], acc[500], atol=1e-4)


def test_time_travel_is_still_refused(tmp_path, walk):
    t = walk.t_s.copy()
    t[1000:] -= 5.0  # five seconds back: not a swapped pair
    path = _csv(tmp_path / "travel.csv", t, walk.acc_ms2)
    with pytest.raises(InputFormatError, match="time goes backwards") as err:
        read_accel_csv(path)
    assert str(path) in str(err.value) and "data row 1001" in str(err.value)


# --------------------------------------------------------------------------------------------- loader
def test_a_named_pipe_is_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    outcome: list[BaseException | None] = []

    def attempt() -> None:
        try:
            analyze_file(fifo)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001
            outcome.append(exc)

    th = threading.Thread(target=attempt, daemon=True)
    th.start()
    th.join(10)
    if th.is_alive():  # unblock the reader so the test process can end
        with open(fifo, "wb"):
            pass
        pytest.fail("analyze_file blocked on a FIFO")
    (exc,) = outcome
    assert isinstance(exc, InputFormatError) and "named pipe" in str(exc) and str(fifo) in str(exc)


def test_a_device_is_refused():
    with pytest.raises(InputFormatError, match="a device"):
        load_traces("/dev/null")


def test_gait_complaints_about_the_data_name_the_file(tmp_path):
    """The loader runs gait inside one wrapper: a ParameterError about the data becomes this file's error."""
    from cadence.errors import ParameterError
    from cadence.gait.steps import estimate_steps
    from cadence.pipeline import _about_file

    acc = np.tile([0.0, 0.0, 9.8], (400, 1))
    with pytest.raises(ParameterError):
        estimate_steps(acc, 2.0)  # what gait says alone: no file named, the usage exit code
    with pytest.raises(InputFormatError) as err, _about_file(str(tmp_path / "slow.csv")):
        estimate_steps(acc, 2.0)
    assert str(tmp_path / "slow.csv") in str(err.value) and err.value.exit_code == 1


def test_one_column_read_as_time_and_an_axis_is_refused(tmp_path):
    # a lost delimiter joins "Time (s)" and the x column into one header cell (found by bench/fuzz.py)
    path = tmp_path / "joined.csv"
    header = '"Time (s)""Acceleration x (m/s^2)","Acceleration y (m/s^2)","Acceleration z (m/s^2)"'
    path.write_text(header + "\n1,2,3\n")
    with pytest.raises(InputFormatError, match="one column would be read as two") as err:
        read_accel_csv(path)
    assert str(path) in str(err.value)
