"""Saved step lists (cadence live --steps): reading, writing, and the loader treating them as runs."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from cadence.errors import InputFormatError
from cadence.pipeline import analyze_file, find_activity_files
from cadence.readers.steps_csv import looks_like_steps_csv, read_steps_csv, write_steps_csv


def write(path: Path, t: np.ndarray) -> Path:
    buf = io.StringIO()
    write_steps_csv(buf, t, t + 0.3)
    path.write_text(buf.getvalue())
    return path


def test_round_trip_and_a_run(tmp_path: Path):
    t = np.arange(0, 120, 60 / 170)
    path = write(tmp_path / "live.csv", t)
    assert looks_like_steps_csv(path)
    s = read_steps_csv(path)
    np.testing.assert_allclose(s.t_s, t, atol=5e-4)
    np.testing.assert_allclose(s.detected_at_s - s.t_s, 0.3, atol=1e-3)
    (res,) = analyze_file(path)
    assert res.summary.running_cadence_spm == pytest.approx(170, abs=0.5)
    assert res.summary.running_time_s == pytest.approx(118, abs=3)
    assert res.steps is not None and res.steps.n_steps == len(t)
    # folders pick step lists by their header, next to accelerometer CSVs, not other CSVs
    (tmp_path / "tracks.csv").write_text("title,bpm\na,170\n")
    assert [Path(p).name for p in find_activity_files([tmp_path])] == ["live.csv"]


def test_unsorted_and_missing_report_times(tmp_path: Path):
    p = tmp_path / "s.csv"
    p.write_text("t_s,detected_at_s\n2.0,2.3\n1.0,\n\n3.0,3.2\n")
    s = read_steps_csv(p)
    assert s.t_s.tolist() == [1.0, 2.0, 3.0] and np.isnan(s.detected_at_s[0])


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "first line must be t_s,detected_at_s"),
        ("t,ax,ay,az\n0,0,0,9.8\n", "first line must be"),
        ("t_s,detected_at_s\n1.0,x\n", "line 2"),
        ("t_s,detected_at_s\n1.0,1.2\n-1,0\n", "line 3"),
        ("t_s,detected_at_s\nnan,1\n", "line 2"),
    ],
)
def test_bad_step_lists(tmp_path: Path, text: str, match: str):
    p = tmp_path / "s.csv"
    p.write_text(text)
    with pytest.raises(InputFormatError, match=match):
        read_steps_csv(p)


def test_empty_list_is_an_empty_run(tmp_path: Path):
    p = tmp_path / "s.csv"
    p.write_text("t_s,detected_at_s\n")
    (res,) = analyze_file(p)
    assert res.steps is not None and res.steps.n_steps == 0
