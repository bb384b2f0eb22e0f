"""The FIT reader on real files: conversion, sports, lenient recovery and clear errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import fitdecode
import numpy as np
import pytest

from cadence.errors import CadenceWarning, InputFormatError
from cadence.readers.fit import read_fit

DATA = Path(__file__).parents[1] / "data"


def _first_records(path: Path, n: int) -> list[dict]:
    """Decode the first ``n`` record messages with fitdecode directly (the independent reference)."""
    out = []
    with fitdecode.FitReader(str(path), check_crc=fitdecode.CrcCheck.DISABLED) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "record":
                out.append({f.name: f.value for f in frame.fields})
                if len(out) == n:
                    break
    return out


def test_running_cadence_is_twice_strides_plus_fraction(sample_data: Path) -> None:
    path = sample_data / "elev__portland.fit"
    (trace,) = read_fit(path)
    assert trace.sport == "running"
    assert trace.is_step_sport
    ref = _first_records(path, 300)
    expected = np.array([2 * (r["cadence"] + (r.get("fractional_cadence") or 0.0)) for r in ref])
    np.testing.assert_allclose(trace.cadence_spm[:300], expected)
    assert trace.t_s[0] == 0.0
    assert np.all(np.diff(trace.t_s) > 0)
    # the fr935 writes enhanced_speed; it is used as speed_ms
    np.testing.assert_allclose(trace.speed_ms[:300], [r["enhanced_speed"] for r in ref])


def test_pauses_become_timer_intervals(sample_data: Path) -> None:
    (trace,) = read_fit(sample_data / "elev__portland.fit")
    timer_s = float(np.sum(np.diff(trace.timer_intervals_s, axis=1)))
    # the session says total_timer_time 6166.2 s of 6791.2 s elapsed
    assert abs(timer_s - trace.device.total_timer_time_s) < 5.0
    assert trace.timer_intervals_s.shape[0] > 1
    assert abs(trace.device.avg_cadence_spm - 164.8) < 0.1


def test_cycling_cadence_is_rpm_never_doubled() -> None:
    (trace,) = read_fit(DATA / "fdec__garmin-fenix-5-bike.fit")
    assert trace.sport == "cycling"
    assert not trace.is_step_sport
    assert np.all(np.isnan(trace.cadence_spm))
    ref = _first_records(DATA / "fdec__garmin-fenix-5-bike.fit", 10)
    rpm = [r["cadence"] for r in ref if r.get("cadence") is not None]
    assert trace.pedal_cadence_rpm is not None
    np.testing.assert_allclose(trace.pedal_cadence_rpm[: len(rpm)], rpm)


def test_multisport_gives_one_trace_per_session(sample_data: Path) -> None:
    traces = read_fit(sample_data / "mukti__triathlon_summary_last.fit")
    assert [t.sport for t in traces] == ["swimming", "transition", "cycling", "transition", "running"]
    run = traces[-1]
    assert run.t_s[0] >= 0 and run.t_s[0] < 5
    # each session's records lie inside its own window
    assert abs(run.t_s[-1] - run.device.total_elapsed_time_s) < 5


def test_chained_file_gives_both_activities() -> None:
    traces = read_fit(DATA / "fdec__activity-activity-filecrc.fit")
    assert len(traces) == 2
    assert all(t.n > 0 for t in traces)


def test_truncated_file_keeps_records_and_warns(tmp_path: Path, sample_data: Path) -> None:
    src = sample_data / "elev__portland.fit"
    cut = tmp_path / "cut.fit"
    data = src.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.warns(CadenceWarning, match="truncated"):
        traces = read_fit(cut)
    (full,) = read_fit(src)
    assert len(traces) == 1
    assert 1000 < traces[0].n < full.n
    # what was read is identical to the start of the full file
    np.testing.assert_array_equal(traces[0].cadence_spm, full.cadence_spm[: traces[0].n])


def test_unexpected_eof_file_warns_and_recovers() -> None:
    with pytest.warns(CadenceWarning, match="kept the 14 records"):
        traces = read_fit(DATA / "fdec__activity-unexpected-eof.fit")
    assert traces[0].n == 14


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("fdec__Settings.fit", "settings file, not an activity"),
        ("fdec__WorkoutRepeatSteps.fit", "workout file, not an activity"),
        ("fdec__MonitoringFile.fit", "monitoring"),
    ],
)
def test_non_activity_files_are_refused(name: str, match: str) -> None:
    with pytest.raises(InputFormatError, match=match) as info:
        read_fit(DATA / name)
    assert name in str(info.value)


def test_not_fit_empty_and_missing(tmp_path: Path) -> None:
    text = tmp_path / "notes.fit"
    text.write_text("this is not a FIT file at all\n" * 10)
    with pytest.raises(InputFormatError, match="not a FIT file"):
        read_fit(text)
    empty = tmp_path / "empty.fit"
    empty.write_bytes(b"")
    with pytest.raises(InputFormatError, match="empty file"):
        read_fit(empty)
    with pytest.raises(InputFormatError, match="no such file"):
        read_fit(tmp_path / "missing.fit")


def test_header_only_file_is_an_error(tmp_path: Path) -> None:
    src = DATA / "fdec__garmin-fenix-5-walk.fit"
    stub = tmp_path / "stub.fit"
    stub.write_bytes(src.read_bytes()[:14])
    with pytest.raises(InputFormatError):
        read_fit(stub)


def test_walking_cadence_is_steps(tmp_path: Path) -> None:
    path = tmp_path / "walk.fit"
    shutil.copy(DATA / "fdec__garmin-fenix-5-walk.fit", path)
    (trace,) = read_fit(path)
    assert trace.sport == "walking"
    moving = trace.cadence_spm[trace.cadence_spm > 0]
    assert 90 < np.median(moving) < 140  # a walk in steps per minute, not strides


@pytest.mark.shared
def test_every_shared_file_reads_or_fails_clearly(shared_fit_traces: dict[str, object]) -> None:
    # the fixture lets only CadenceError through: any other exception fails the session here
    assert len(shared_fit_traces) > 50
    n_ok = 0
    for name, got in shared_fit_traces.items():
        if isinstance(got, Exception):
            assert isinstance(got, InputFormatError), (name, got)
            assert name in str(got) and "\n" not in str(got)
            continue
        n_ok += 1
        for t in got:
            assert np.all(np.diff(t.t_s) > 0)
            finite = t.cadence_spm[np.isfinite(t.cadence_spm)]
            assert np.all((finite >= 0) & (finite < 600)), name
    assert n_ok > 70


def test_records_sharing_a_timestamp_are_merged_field_by_field(tmp_path: Path) -> None:
    # the Strava app writes GPS and cadence in separate records with the same timestamp
    from cadence.readers import fit as fitmod

    raw = fitmod._Raw()
    raw.t = [10.0, 10.0, 11.0, 12.0, 12.0]
    raw.cadence = [None, 85, 86, 87, None]
    raw.fractional = [None] * 5
    raw.speed = [3.0, None, 3.1, 3.2, 3.3]
    raw.distance = [None] * 5
    raw.heart_rate = [None] * 5
    raw.sessions = [{"start_time": None}]
    raw.sports = [("running", "generic")]
    raw.n_messages = 5
    traces = fitmod._traces_from_raw(str(tmp_path / "x.fit"), raw, None)
    (t,) = traces
    np.testing.assert_array_equal(t.t_s, [0, 1, 2])
    np.testing.assert_array_equal(t.cadence_spm, [170, 172, 174])
    np.testing.assert_array_equal(t.speed_ms, [3.0, 3.1, 3.3])
    assert any("merged" in n for n in t.notes)


def test_first_lap_starts_with_the_session(sample_data: Path) -> None:
    # the fenix2 stamps its first lap 1 s after the session start: still one first lap, not an empty one
    (trace,) = read_fit(sample_data / "fdec__activity-small-fenix2-run.fit")
    assert trace.lap_start_s[0] == 0.0
    assert np.all(np.diff(trace.lap_start_s) > 60)
