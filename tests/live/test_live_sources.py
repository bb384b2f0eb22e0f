"""Live sources over real HTTP on 127.0.0.1: the phyphox stand-in, Sensor Logger pushes, replays."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import numpy as np
import pytest
from standins import PhyphoxStandIn, SensorLoggerReplayer

from cadence.errors import InputFormatError, StreamError
from cadence.gait.steps import estimate_steps
from cadence.gait.streaming import StreamingStepDetector
from cadence.live.sources import (
    AccelChunk,
    CadenceChunk,
    PhyphoxSource,
    ReplaySource,
    SensorLoggerSource,
    parse_phyphox_reply,
    parse_sensor_logger_push,
)
from cadence.readers.accel_csv import read_accel_csv

REPO = Path(__file__).resolve().parents[2]
EXCERPT = REPO / "tests" / "data" / "oxford_backpocket_excerpt.csv"


@pytest.fixture(scope="module")
def excerpt():
    return read_accel_csv(EXCERPT)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def drain(source, detector, until_s: float, stop=lambda: False):
    deadline = time.monotonic() + until_s
    n = 0
    while time.monotonic() < deadline and not stop():
        for ch in source.read():
            assert isinstance(ch, AccelChunk)
            detector.feed(ch.t_s, ch.acc_ms2, arrival_s=time.monotonic())
            n += len(ch.t_s)
    return n


def test_phyphox_stand_in_streams_the_whole_recording(excerpt):
    speed = 6.0
    with PhyphoxStandIn(excerpt.t_s, excerpt.acc_ms2, speed=speed) as phone:
        src = PhyphoxSource(phone.url, poll_s=0.05)
        assert any(r.startswith("/control?cmd=start") for r in phone.requests)
        det = StreamingStepDetector()
        drain(src, det, excerpt.duration_s / speed + 2.0, stop=lambda: det.latest_s >= excerpt.t_s[-1] - 1e-6)
        det.flush()
    # every sample arrived once, in order (the 8-digit times can repeat a sample: dropped as duplicates)
    assert det.stats.n_samples == len(excerpt.t_s)
    assert det.stats.n_late == 0
    off = estimate_steps(excerpt.acc_ms2, excerpt.fs_hz)
    assert abs(len(det.final_step_times_s) - off.n_steps) <= max(1, 0.03 * off.n_steps)
    # no keep-alive, one request at a time, the `|` sent as %7C
    gets = [r for r in phone.requests if r.startswith("/get?acc_time=") and "full" not in r]
    assert gets and all("%7Cacc_time" in r for r in gets)


def test_phyphox_wrong_url_is_one_clear_error():
    port = free_port()  # nothing listens there
    with pytest.raises(StreamError, match=r"no answer .*remote access"):
        PhyphoxSource(f"http://127.0.0.1:{port}", timeout_s=1.0)


def test_phyphox_not_a_phyphox_server(excerpt):
    with PhyphoxStandIn(excerpt.t_s, excerpt.acc_ms2) as phone:
        with pytest.raises(StreamError, match="HTTP 404"):
            PhyphoxSource(phone.url + "/somewhere")


def test_phyphox_experiment_without_acceleration(excerpt):
    with PhyphoxStandIn(excerpt.t_s, excerpt.acc_ms2, buffers=("illuminance", "t")) as phone:
        with pytest.raises(
            StreamError, match=r"no acc_time, accX, accY, accZ buffer.*Acceleration \(with g\)"
        ):
            PhyphoxSource(phone.url)


def test_phyphox_phone_stops_answering_then_comes_back_then_gives_up(excerpt):
    with PhyphoxStandIn(excerpt.t_s, excerpt.acc_ms2, speed=4.0) as phone:
        src = PhyphoxSource(phone.url, poll_s=0.05, timeout_s=0.5, give_up_s=1.5)
        det = StreamingStepDetector()
        drain(src, det, 1.0)
        n_before = det.stats.n_samples
        assert n_before > 0 and src.status is None
        phone.answering = False
        t0 = time.monotonic()
        while src.status is None and time.monotonic() - t0 < 3:
            src.read()
        assert src.status is not None and "reconnecting" in src.status
        phone.answering = True  # back: the stream goes on where it stopped
        drain(src, det, 1.0)
        assert src.status is None
        assert det.stats.n_samples > n_before
        assert det.stats.n_late == 0
        phone.answering = False
        with pytest.raises(StreamError, match="stopped answering"):
            for _ in range(200):
                src.read()


def test_phyphox_session_change_restarts_the_threshold(excerpt):
    with PhyphoxStandIn(excerpt.t_s, excerpt.acc_ms2, speed=4.0, measuring=True) as phone:
        src = PhyphoxSource(phone.url, poll_s=0.05)
        det = StreamingStepDetector()
        drain(src, det, 1.0)
        phone.session = "other"
        phone.start_wall = time.monotonic()  # the measurement restarted: its clock is back at 0
        drain(src, det, 1.5)
        assert src.n_session_changes == 1
        assert det.stats.n_clock_jumps == 1
        assert det.latest_s > 1.0


def test_parse_phyphox_reply_nulls_and_garbage():
    body = (
        b'{"buffer": {"acc_time": {"buffer": [0.1, 0.2, 0.3]}, "accX": {"buffer": [1, null, 3]},'
        b' "accY": {"buffer": [0, 0, 0]}, "accZ": {"buffer": [9.8, 9.8]}}, "status": {"session": "a"}}'
    )
    chunk, status = parse_phyphox_reply(body, "u")
    assert len(chunk.t_s) == 2 and np.isnan(chunk.acc_ms2[1, 0]) and status["session"] == "a"
    with pytest.raises(StreamError, match="not JSON"):
        parse_phyphox_reply(b"<html>", "u")
    with pytest.raises(StreamError, match="no 'buffer'"):
        parse_phyphox_reply(b"[1, 2]", "u")
    for junk in (b'"x"', b"{}", b"[1, 2]"):  # a string, an object, a nested list among the numbers
        bad = body.replace(b"[1, null, 3]", b"[1, " + junk + b", 3]")
        with pytest.raises(StreamError, match="accX.*not numbers"):
            parse_phyphox_reply(bad, "u")


def test_sensor_logger_push_replayer_into_the_receiver(excerpt):
    with SensorLoggerSource("127.0.0.1", 0, poll_s=0.05) as src:
        rep = SensorLoggerReplayer(
            f"http://127.0.0.1:{src.port}/data", excerpt.t_s, excerpt.acc_ms2, speed=10.0
        )
        rep.garbage_at = {3}
        rep.start()
        det = StreamingStepDetector()
        drain(src, det, excerpt.duration_s / 10.0 + 2.0, stop=lambda: not rep._thread.is_alive())
        rep.join(5)
        drain(src, det, 0.3)
        det.flush()
    assert rep.status.count(400) == 1 and rep.status.count(200) == rep.sent - 1
    assert src.n_bad == 1 and src.warnings and "not JSON" in src.warnings[0]
    off = estimate_steps(excerpt.acc_ms2, excerpt.fs_hz)
    assert abs(len(det.final_step_times_s) - off.n_steps) <= max(2, 0.05 * off.n_steps)
    assert det.stats.n_gaps <= 1  # the garbage batch is a short hole


def test_sensor_logger_parse_prefers_total_acceleration():
    body = (
        b'{"payload": [{"name": "accelerometer", "time": 1, "values": {"x": 0, "y": 0, "z": 0.1}},'
        b' {"name": "totalacceleration", "time": 2, "values": {"x": 0, "y": 0, "z": 9.8}},'
        b' {"name": "totalacceleration", "time": 3, "values": {"x": "bad"}}]}'
    )
    rows, gravity = parse_sensor_logger_push(body)
    assert gravity and rows == [(2, 0.0, 0.0, 9.8)]
    rows, gravity = parse_sensor_logger_push(
        b'{"payload": [{"name": "accelerometer", "time": 1, "values": {"x": 0, "y": 0, "z": 0.1}}]}'
    )
    assert not gravity and len(rows) == 1
    for bad in (b"\xff\xfe", b"{", b'{"payload": 3}', b"[]"):
        with pytest.raises(StreamError):
            parse_sensor_logger_push(bad)


def test_sensor_logger_port_in_use():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(StreamError, match="cannot listen"):
            SensorLoggerSource("127.0.0.1", port)


def test_replay_real_time_pace_and_speed(excerpt):
    src = ReplaySource(EXCERPT, speed=20.0)
    t0 = time.monotonic()
    n = 0
    while not src.finished:
        for ch in src.read():
            n += len(ch.t_s)
    took = time.monotonic() - t0
    assert n == len(excerpt.t_s)
    assert took == pytest.approx(excerpt.duration_s / 20.0, rel=0.25)


def test_replay_fit_activity_gives_cadence(sample_data):
    src = ReplaySource(sample_data / "fdec__activity-small-fenix2-run.fit", speed=1000.0, chunk_s=60.0)
    chunks = []
    while not src.finished:
        chunks.extend(src.read())
    assert chunks and all(isinstance(c, CadenceChunk) for c in chunks)
    cad = np.concatenate([c.cadence_spm for c in chunks])
    assert np.nanmedian(cad[cad > 0]) > 120  # steps, not strides


def test_replay_unknown_file(tmp_path):
    with pytest.raises(InputFormatError, match="no such file"):
        ReplaySource(tmp_path / "none.csv")
    bad = tmp_path / "x.xyz"
    bad.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputFormatError, match="unsupported"):
        ReplaySource(bad)
    empty = tmp_path / "x.gpx"  # GPX is read (issue 11); one without a track has nothing to replay
    empty.write_text("<gpx/>")
    with pytest.raises(InputFormatError, match="no session to replay"):
        ReplaySource(empty)
