"""Research wearables' binary files, read by their ecosystems' libraries (extra ``wearables``)."""

from __future__ import annotations

import builtins
import zipfile
from pathlib import Path

import numpy as np
import pytest

from cadence.errors import InputFormatError
from cadence.gait.accel import analyze_recording
from cadence.pipeline import analyze_file
from cadence.readers._accel import G_MS2
from cadence.readers.sniff import sniff_family

DATA = Path(__file__).resolve().parents[1] / "data"

pytest.importorskip("pygt3x")
pytest.importorskip("actfast")


@pytest.mark.parametrize(
    ("name", "family", "fs_hz"),
    [
        ("ggir__actigraph_testfile.gt3x", "actigraph_gt3x", 30.0),
        ("skdh__ax6_sample.cwa", "axivity_cwa", None),
        ("skdh__gnactv_sample.bin", "geneactiv_bin", 50.0),
    ],
)
def test_binary_files_are_sniffed_and_read_in_ms2(name, family, fs_hz):
    path = DATA / name
    assert sniff_family(path) == family
    (res,) = analyze_file(path)
    assert res.format == family
    assert res.trace.device_name == f"accelerometer ({family})"
    assert res.steps is not None


def test_gt3x_reads_a_plausible_walk():
    from cadence.readers.wearables import read_gt3x

    rec = read_gt3x(DATA / "ggir__actigraph_testfile.gt3x")
    assert rec.fs_hz == pytest.approx(30.0, rel=1e-3) and rec.units_in_file == "g"
    assert rec.start_unix_s == pytest.approx(1598436540.0)  # 2020-08-26 (info.txt says so)
    assert 0.9 * G_MS2 < np.median(np.linalg.norm(rec.acc_ms2, axis=1)) < 1.1 * G_MS2
    steps = analyze_recording(rec).steps
    cad = np.nanmedian(steps.cadence_spm)
    assert steps.n_steps > 50 and 80 <= cad <= 130  # waist-worn, walking bouts


def test_cwa_and_geneactiv_values_are_gravity_sized():
    from cadence.readers.wearables import read_actfast

    for name, fam in (("skdh__ax6_sample.cwa", "axivity_cwa"), ("skdh__gnactv_sample.bin", "geneactiv_bin")):
        rec = read_actfast(DATA / name, fam)
        assert 0.8 * G_MS2 < np.median(np.linalg.norm(rec.acc_ms2, axis=1)) < 1.2 * G_MS2, name


def test_truncated_and_fake_binaries_are_one_line_errors(tmp_path):
    cut = tmp_path / "cut.cwa"
    cut.write_bytes((DATA / "skdh__ax6_sample.cwa").read_bytes()[:700])
    fake = tmp_path / "fake.gt3x"
    with zipfile.ZipFile(fake, "w") as zf:
        zf.writestr("info.txt", "Serial Number: X\n")
        zf.writestr("log.bin", b"\x1e\x00garbage")
    for path in (cut, fake):
        with pytest.raises(InputFormatError) as e:
            analyze_file(path)
        assert str(path) in str(e.value) and "\n" not in str(e.value)


def test_missing_extra_names_it(monkeypatch):
    real_import = builtins.__import__

    def no_actfast(name, *args, **kwargs):
        if name == "actfast":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_actfast)
    with pytest.raises(InputFormatError, match=r"needs actfast: pip install 'cadence\[wearables\]'"):
        analyze_file(DATA / "skdh__ax6_sample.cwa")


def test_mat_v5_struct_is_read(tmp_path):
    from scipy.io import savemat

    raw = np.loadtxt(DATA / "oxford_backpocket_excerpt.csv", delimiter=",", skiprows=1)
    t = np.arange(0, 25, 0.01)
    acc = np.column_stack([np.interp(t, raw[:, 0] - raw[0, 0], raw[:, k]) for k in (1, 2, 3)])
    path = tmp_path / "sensorlog.mat"
    savemat(path, {"Acceleration": {"acc": acc, "fs": 100.0}})
    assert sniff_family(path) == "matlab_mat"
    (res,) = analyze_file(path)
    assert res.format == "matlab_mat"
    assert res.steps is not None and 44 <= res.steps.n_steps <= 52  # 115 spm over 25 s
    savemat(path, {"Position": np.zeros((10, 3))})
    with pytest.raises(InputFormatError, match="no \\(n, 3\\) acceleration array"):
        analyze_file(path)


def test_mat_v73_hdf5_is_read(tmp_path):
    """A v7.3 MAT-file is HDF5 behind a 512-byte MATLAB header; MATLAB stores an n x 3 matrix as (3, n)."""
    h5py = pytest.importorskip("h5py")
    raw = np.loadtxt(DATA / "oxford_backpocket_excerpt.csv", delimiter=",", skiprows=1)
    t = np.arange(0, 25, 0.01)
    acc = np.column_stack([np.interp(t, raw[:, 0] - raw[0, 0], raw[:, k]) for k in (1, 2, 3)])
    path = tmp_path / "log73.mat"
    with h5py.File(path, "w", userblock_size=512) as f:
        f["Acceleration"] = acc.T
        f["t"] = t[None, :]
    with open(path, "r+b") as fh:
        fh.write(b"MATLAB 7.3 MAT-file, Platform: GLNXA64, HDF5 schema 1.00")
    assert sniff_family(path) == "matlab_mat"
    (res,) = analyze_file(path)
    assert res.format == "matlab_mat" and res.steps is not None
    assert 44 <= res.steps.n_steps <= 52


def test_a_corrupt_page_time_is_one_clean_error(tmp_path):
    # found by bench/fuzz.py: one flipped byte in a page header's time sent time backwards, and the uniform
    # grid was asked for a negative number of samples (a numpy ValueError); every reader's times are now
    # checked where the Recording is built
    from cadence.errors import InputFormatError
    from cadence.pipeline import analyze_file

    data = bytearray((DATA / "skdh__gnactv_sample.bin").read_bytes())
    data[9051] ^= 0x20
    path = tmp_path / "flipped.bin"
    path.write_bytes(bytes(data))
    with pytest.raises(InputFormatError, match="time goes backwards") as err:
        analyze_file(path)
    assert str(path) in str(err.value)
