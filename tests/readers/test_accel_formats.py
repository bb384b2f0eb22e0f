"""Accelerometer exports as phones and research wearables write them (issue 12).

Real files are in tests/data (attribution in tests/data/SOURCES-accelerometer.md); families with no file we
may copy are built here to their published layout from a real walk (the Oxford back-pocket excerpt, whose
pressure-pad steps are known: 58 steps at 115 spm), so every family is checked against a known answer.
"""

from __future__ import annotations

import importlib.util
import json
import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from cadence.errors import CadenceWarning, InputFormatError
from cadence.gait.accel import analyze_recording
from cadence.pipeline import analyze_file
from cadence.readers._accel import G_MS2
from cadence.readers.accel_csv import read_accel_csv, sniff_csv
from conftest import run_cadence

DATA = Path(__file__).resolve().parents[1] / "data"
EXCERPT = DATA / "oxford_backpocket_excerpt.csv"
TRUE_STEPS = 58


@pytest.fixture(scope="module")
def walk() -> tuple[np.ndarray, np.ndarray]:
    """The real back-pocket walk on a uniform 100 Hz grid: (t_s, acc_ms2)."""
    raw = np.loadtxt(EXCERPT, delimiter=",", skiprows=1)
    t = np.arange(0.0, raw[-1, 0] - raw[0, 0], 0.01)
    acc = np.column_stack([np.interp(t, raw[:, 0] - raw[0, 0], raw[:, k]) for k in (1, 2, 3)])
    return t, acc


def steps_of(path: Path, **kw) -> int:
    return analyze_recording(read_accel_csv(path, **kw)).steps.n_steps


def assert_walk(path: Path, fmt: str, **kw) -> None:
    rec = read_accel_csv(path, **kw)
    assert rec.format == fmt
    n = analyze_recording(rec).steps.n_steps
    assert abs(n - TRUE_STEPS) <= 4, (fmt, n)
    g = np.median(np.linalg.norm(rec.acc_ms2, axis=1))
    assert 8.0 < g < 12.0, (fmt, g)  # units right: gravity is about 9.8 m/s^2


def rows(t: np.ndarray, acc: np.ndarray, fmt_t, sep: str = ",", scale: float = 1.0, fmt_v: str = "%.5f"):
    return [sep.join([fmt_t(ti), *(fmt_v % v for v in a * scale)]) for ti, a in zip(t, acc, strict=True)]


# --- phyphox -----------------------------------------------------------------------------------------------

PHYPHOX = '"Time (s)","Acceleration x (m/s^2)","Acceleration y (m/s^2)","Acceleration z (m/s^2)"'


@pytest.mark.parametrize("ending", ["\r\r\n", "\r", "\r\n"])
def test_phyphox_line_endings(tmp_path, walk, ending):
    t, acc = walk
    path = tmp_path / "p.csv"
    path.write_bytes(ending.join([PHYPHOX, *rows(t, acc, lambda v: f"{v:.4f}")]).encode())
    assert_walk(path, "phyphox")


def test_phyphox_short_rows_are_dropped_and_counted(tmp_path, walk):
    t, acc = walk
    lines = rows(t, acc, lambda v: f"{v:.4f}")
    for i in range(100, 3000, 300):  # the phone stopped writing mid-row
        lines[i] = ",".join(lines[i].split(",")[:2])
    path = tmp_path / "p.csv"
    path.write_text("\n".join([PHYPHOX, *lines]) + "\n")
    rec = read_accel_csv(path)
    assert rec.n_dropped == 10
    assert abs(analyze_recording(rec).steps.n_steps - TRUE_STEPS) <= 4


@pytest.mark.parametrize("quoted", [True, False])
def test_decimal_comma_with_comma_separators(tmp_path, walk, quoted):
    t, acc = walk
    q = '"' if quoted else ""
    lines = [
        ",".join(f"{q}{v:.5f}{q}".replace(".", ",") for v in (ti, *a)) for ti, a in zip(t, acc, strict=True)
    ]
    path = tmp_path / "p.csv"
    path.write_text("\n".join([PHYPHOX, *lines]) + "\n")
    assert sniff_csv(str(path)).decimal_comma
    assert_walk(path, "phyphox")
    assert read_accel_csv(path).fs_hz == pytest.approx(100.0, rel=1e-3)


def test_repeated_header_lines_are_skipped_with_a_warning(tmp_path, walk):
    t, acc = walk
    lines = rows(t, acc, lambda v: f"{v:.4f}")
    half = len(lines) // 2
    path = tmp_path / "p.csv"
    path.write_text("\n".join([PHYPHOX, *lines[:half], PHYPHOX, *lines[half:]]) + "\n")
    with pytest.warns(CadenceWarning, match="1 repeated header"):
        assert_walk(path, "phyphox")


def test_a_bad_value_is_one_line_naming_the_line_and_cut_short(tmp_path, walk):
    t, acc = walk
    lines = rows(t, acc, lambda v: f"{v:.4f}")
    lines[41] = lines[41].replace(lines[41].split(",")[2], "x" * 500)
    path = tmp_path / "p.csv"
    path.write_text("\n".join([PHYPHOX, *lines]) + "\n")
    match = r"non-numeric value 'x+\.\.\.' .*expected a number.*line 43"
    with pytest.raises(InputFormatError, match=match) as e:
        read_accel_csv(path)
    assert len(str(e.value)) < 250 and "\n" not in str(e.value)


# --- Android loggers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "scale", "offset"),
    [
        ("timestamp,x,y,z", 1e3, 1.7e12),  # ms since 1970
        ("timestamp,x,y,z", 1e9, 3.6e12),  # ns since boot
        ("Timestamp (nanoseconds),x,y,z", 1e9, 1.7e18),  # ns since 1970, a name that contains "seconds"
        ("time_ms,ax,ay,az", 1e3, 0.0),
    ],
)
def test_android_ms_and_ns_times_are_not_1_hz(tmp_path, walk, header, scale, offset):
    t, acc = walk
    path = tmp_path / "a.csv"
    path.write_text("\n".join([header, *rows(t, acc, lambda v: f"{offset + v * scale:.0f}")]) + "\n")
    rec = read_accel_csv(path)
    assert rec.fs_hz == pytest.approx(100.0, rel=1e-3)
    assert abs(analyze_recording(rec).steps.n_steps - TRUE_STEPS) <= 4


def test_garmin_android_logger_headerless_iso_semicolon_milli_g():
    """Real file (flirt): no header, ';', ISO times with ms and +02:00, integer milli-g."""
    path = DATA / "flirt__garmin_acc_head.csv"
    rec = read_accel_csv(path)
    assert rec.format == "headerless" and rec.units_in_file == "milli-g"
    assert rec.fs_hz == pytest.approx(25.0, rel=0.02)
    assert rec.start_unix_s == pytest.approx(datetime(2019, 10, 16, 10, 9, 1, 702000, tzinfo=UTC).timestamp())
    assert 0.8 * G_MS2 < np.median(np.linalg.norm(rec.acc_ms2, axis=1)) < 1.2 * G_MS2


def test_headerless_iso_with_ms_and_semicolons(tmp_path, walk):
    t, acc = walk
    t0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC).timestamp()

    def iso(v: float) -> str:
        return datetime.fromtimestamp(t0 + v, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]

    path = tmp_path / "h.csv"
    path.write_text("\n".join(rows(t, acc, iso, sep=";")) + "\n")
    assert_walk(path, "headerless")
    assert read_accel_csv(path).start_unix_s == pytest.approx(t0)


def test_columns_by_number(tmp_path, walk):
    t, acc = walk
    path = tmp_path / "h.csv"
    # z, y, x order and an extra column first: only --columns can say which is which
    lines = [f"7,{ti:.3f},{a[2]:.4f},{a[1]:.4f},{a[0]:.4f}" for ti, a in zip(t, acc, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    rec = read_accel_csv(path, columns=("1", "4", "3", "2"))
    np.testing.assert_allclose(rec.acc_ms2[:, 0], acc[:, 0], atol=1e-3)
    with pytest.raises(InputFormatError, match="has 5 columns"):
        read_accel_csv(path, columns=("1", "4", "3", "9"))
    proc = run_cadence("analyze", str(path), "--columns", "1,4,3,2", "--json")
    assert proc.returncode == 0, proc.stderr
    assert abs(json.loads(proc.stdout)["activities"][0]["n_steps"] - TRUE_STEPS) <= 4


# --- SensorLog (iOS) and MATLAB Mobile -------------------------------------------------------------------


def test_sensorlog_ios_columns_and_offsets(tmp_path, walk):
    t, acc = walk
    header = (
        "loggingTime(txt),loggingSample(N),accelerometerTimestamp_sinceReboot(s),accelerometerAccelerationX(G),"
        "accelerometerAccelerationY(G),accelerometerAccelerationZ(G),motionUserAccelerationX(G)"
    )
    t0 = datetime(2023, 5, 1, 7, 0, tzinfo=UTC).timestamp()
    lines = []
    for i, (ti, a) in enumerate(zip(t, acc / G_MS2, strict=True)):
        when = datetime.fromtimestamp(t0 + ti, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " +0000"
        lines.append(f"{when},{i},{52000.5 + ti:.3f},{a[0]:.6f},{a[1]:.6f},{a[2]:.6f},0.01")
    path = tmp_path / "sensorlog.csv"
    path.write_text("\n".join([header, *lines]) + "\n")
    assert_walk(path, "sensorlog")
    rec = read_accel_csv(path)
    assert rec.units_in_file == "g" and rec.start_unix_s == pytest.approx(t0)


def test_matlab_mobile_csv_times(tmp_path, walk):
    t, acc = walk
    t0 = datetime(2023, 5, 1, 7, 0, tzinfo=UTC).timestamp()

    def mt(v: float) -> str:
        return datetime.fromtimestamp(t0 + v, UTC).strftime("%d-%b-%Y %H:%M:%S.%f")[:-3]

    path = tmp_path / "acc.csv"
    path.write_text("\n".join(["Timestamp,X,Y,Z", *rows(t, acc, mt)]) + "\n")
    assert_walk(path, "matlab_mobile")
    assert read_accel_csv(path).start_unix_s == pytest.approx(t0)


# --- research wearables' CSV ------------------------------------------------------------------------------


def test_empatica_e4_acc_csv():
    """Real file (flirt, first 3000 lines): start time row, 32 Hz row, ints in 1/64 g."""
    rec = read_accel_csv(DATA / "flirt__ACC_head.csv")
    assert rec.format == "empatica_e4" and rec.fs_hz == 32.0 and rec.units_in_file == "g"
    assert rec.start_unix_s == 1560279825.0
    assert len(rec.t_s) == 2998
    assert 0.85 * G_MS2 < np.median(np.linalg.norm(rec.acc_ms2, axis=1)) < 1.15 * G_MS2


ACTILIFE = (
    "------------ Data File Created By ActiGraph GT3X+ ActiLife v6.13.3 Firmware v1.6.0 date format M/d/yyyy "
    "at 100 Hz  Filter Normal -----------\n"
) + """Serial Number: TAS1D12345678
Start Time 11:45:00
Start Date 11/1/2017
Epoch Period (hh:mm:ss) 00:00:00
Download Time 11:51:12
Download Date 11/1/2017
Current Memory Address: 0
Current Battery Voltage: 4.18     Mode = 12
--------------------------------------------------
Accelerometer X,Accelerometer Y,Accelerometer Z
"""


def test_actilife_raw_csv(tmp_path, walk):
    _, acc = walk
    path = tmp_path / "raw.csv"
    lines = [",".join(f"{v:.4f}" for v in a) for a in acc / G_MS2]
    path.write_bytes((ACTILIFE + "\n".join(lines)).replace("\n", "\r\n").encode())
    assert_walk(path, "actilife_raw")
    rec = read_accel_csv(path)
    assert rec.fs_hz == 100.0
    assert rec.start_unix_s == datetime(2017, 11, 1, 11, 45, tzinfo=UTC).timestamp()


def test_actigraph_count_csv_is_not_raw(tmp_path):
    path = tmp_path / "counts.csv"
    head = ACTILIFE.replace("Data File", "Data Table File").replace(
        "Accelerometer X,Accelerometer Y,Accelerometer Z", "TimeStamp,axis1,axis2,axis3,steps,vm"
    )
    path.write_text(head + "2017-09-12T15:00:00Z,0,0,0,0,0\n2017-09-12T15:00:01Z,44,9,0,0,45\n")
    with pytest.raises(InputFormatError, match="count-per-epoch file .*not raw acceleration"):
        read_accel_csv(path)


def test_geneactiv_csv(tmp_path, walk):
    t, acc = walk
    head = (
        "Device Type,GENEActiv\nDevice Model,1.1\n\n\nMeasurement Frequency,100 Hz\n"
        "Start Time,2011-10-09 10:20:00:000\n\n"
    )

    def gt(v: float) -> str:
        s = datetime.fromtimestamp(1318155600.0 + v, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        return s[:-4] + ":" + s[-3:]

    lines = [f"{r},48,0,24.5" for r in rows(t, acc / G_MS2, gt, fmt_v="%.4f")]
    path = tmp_path / "gene.csv"
    path.write_text(head + "\n".join(lines) + "\n")
    assert_walk(path, "geneactiv_csv")


# --- units -------------------------------------------------------------------------------------------------


def test_ankle_like_recording_reads_gravity_from_its_still_stretches(tmp_path, walk):
    """Gravity from the stillest blocks: a sensor swinging through every stride still reads in g."""
    t, acc = walk
    # swing the walk through +-100 degrees at the stride rate (a shank or ankle), about an axis across gravity
    g_hat = acc.mean(axis=0) / np.linalg.norm(acc.mean(axis=0))
    u = np.cross(g_hat, [1.0, 0.0, 0.0])
    u /= np.linalg.norm(u)
    ang = np.deg2rad(100) * np.sin(2 * np.pi * 0.95 * t)[:, None]
    rot = acc * np.cos(ang) + np.cross(u, acc) * np.sin(ang) + u * (acc @ u)[:, None] * (1 - np.cos(ang))
    still = np.tile(acc[:50].mean(axis=0), (1000, 1)) + np.random.default_rng(1).normal(0, 0.02, (1000, 3))
    data = np.vstack([still, rot]) / G_MS2  # 10 s standing, then 30 s of swinging walk, in g
    nb = len(data) // 128
    naive = np.median(np.linalg.norm(data[: nb * 128].reshape(nb, 128, 3).mean(axis=1), axis=1))
    assert naive < 0.6  # the mean over all blocks would call this neither g nor m/s^2
    tt = np.arange(len(data)) / 100.0
    path = tmp_path / "ankle.csv"
    path.write_text("t,x,y,z\n" + "\n".join(rows(tt, data, lambda v: f"{v:.2f}", fmt_v="%.5f")) + "\n")
    rec = read_accel_csv(path)
    assert rec.units_in_file == "g" and rec.gravity_included


def test_units_given_against_gravity_warn(tmp_path, walk):
    t, acc = walk
    path = tmp_path / "ms2.csv"
    path.write_text("t,x,y,z\n" + "\n".join(rows(t, acc, lambda v: f"{v:.2f}")) + "\n")
    with pytest.warns(CadenceWarning, match=r"gravity measures 9\.\d+ g .*look like m/s\^2"):
        read_accel_csv(path, units="g")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_accel_csv(path, units="m/s^2")  # agrees: no warning


# --- the formats survey: every shared file --------------------------------------------------------------


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("pygt3x") is None or importlib.util.find_spec("actfast") is None,
    reason="the optional 'wearables' extra is not installed",
)
def test_every_shared_format_file_reads_plausibly(shared_dir):
    folder = shared_dir / "data" / "formats"
    recordings = [
        p
        for p in sorted(folder.rglob("*"))
        if p.suffix in (".csv", ".gt3x", ".cwa", ".bin") and "meta__" not in p.name and p.stem != "SOURCES"
    ]
    assert len(recordings) >= 14
    for path in recordings:
        if "timestamps_headers" in path.name:
            with pytest.raises(InputFormatError, match="not raw acceleration"):
                analyze_file(path)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CadenceWarning)
            (res,) = analyze_file(path)
        s = res.summary
        cad = s.walking_cadence_spm if s.running_time_s == 0 else s.running_cadence_spm
        assert res.format and res.steps is not None, path.name
        assert res.steps.n_steps > 0 and 80 <= cad <= 185, (path.name, res.steps.n_steps, cad)


def test_actilife_raw_csv_with_a_mangled_header_line_is_one_clean_error(tmp_path, walk):
    # found by bench/fuzz.py: a repeated chunk cut the column line short, and the layout's default columns
    # pointed past it (an IndexError inside the reader)
    _, acc = walk
    path = tmp_path / "raw.csv"
    lines = [",".join(f"{v:.4f}" for v in a) for a in acc[:400] / G_MS2]
    head = ACTILIFE.replace("Accelerometer X,Accelerometer Y,Accelerometer Z", "Accelerometer X")
    path.write_text(head + "\n".join(lines))
    with pytest.raises(InputFormatError, match="column") as err:
        read_accel_csv(path)
    assert str(path) in str(err.value)
