"""The vectorized FIT decoder gives what fitdecode gives: record columns, messages, breaks, traces, analyses.

fitdecode is the oracle: every comparison decodes the same bytes with both and requires identical values (nan
where fitdecode has None). Files the fast path leaves to fitdecode (:class:`FallbackNeeded`) must say so; the
synthetic files below are built so that the fast path handles them itself.
"""

from __future__ import annotations

import gzip
import json
import logging
import struct
import tempfile
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

import fitdecode
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cadence.errors import CadenceWarning, InputFormatError
from cadence.gait.analysis import analyze_trace
from cadence.readers import fit as fitmod
from cadence.readers.fit_fast import SMALL_MESSAGES, FallbackNeeded, decode_fit, decode_fit_bytes
from conftest import REPO, SAMPLE_DATA, SHARED

#: the record columns compared (the analysis' inputs and the running dynamics)
COLUMNS = (
    "timestamp",
    "cadence",
    "fractional_cadence",
    "speed",
    "enhanced_speed",
    "distance",
    "heart_rate",
    "step_length",
    "stance_time",
    "stance_time_percent",
    "vertical_oscillation",
    "vertical_ratio",
    "stance_time_balance",
    "power",
    "altitude",
    "enhanced_altitude",
)
IN_REPO = sorted([*(REPO / "tests" / "data").glob("*.fit"), *SAMPLE_DATA.glob("*.fit")])


def _shared_files() -> list[Path]:
    files = [*(SHARED / "data" / "fit").glob("*.fit"), *(SHARED / "data" / "activities").rglob("*.fit")]
    return sorted([*files, *(SHARED / "data" / "activities").rglob("*.fit.gz")])


# ---------------------------------------------------------------------------------------------------------
# the oracle


def _fitdecode(source: bytes) -> tuple[list[Any], BaseException | None]:
    frames: list[Any] = []
    try:
        with fitdecode.FitReader(
            source, check_crc=fitdecode.CrcCheck.DISABLED, error_handling=fitdecode.ErrorHandling.IGNORE
        ) as reader:
            for frame in reader:
                if isinstance(frame, fitdecode.FitDataMessage):
                    frames.append(frame)
    except fitmod.fitdecode_errors() as exc:
        return frames, exc
    return frames, None


def _number(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp() - fitmod.FIT_EPOCH_UNIX_S
    if isinstance(value, int | float):
        return float(value)
    return float("nan")


def _message_rows(messages: list[Any]) -> list[tuple[str, list[tuple[Any, ...]]]]:
    return [
        (m.name, [(f.name, repr(f.value), repr(f.raw_value), repr(f.units)) for f in m.fields])
        for m in messages
    ]


def _assert_same(data: bytes, *, may_fall_back: bool = True, oracle: Any = None) -> bool:
    """Decode ``data`` both ways and assert identical results; returns whether the fast path decoded it."""
    frames, exc = oracle or _fitdecode(data)
    try:
        fast = decode_fit_bytes(data)
    except FallbackNeeded:
        assert may_fall_back, "the fast path fell back on a file it should handle"
        return False
    assert fast.n_messages == len(frames)
    assert (type(fast.error), str(fast.error)) == (type(exc), str(exc) if exc is not None else "None")
    rows = [{f.name: f.value for f in fr.fields} for fr in frames if fr.name == "record"]
    for name in COLUMNS:
        expected = np.array([_number(r.get(name)) for r in rows], dtype=float)
        got = fast.records.get(name, np.full(len(rows), np.nan))
        assert got.shape == expected.shape, name
        np.testing.assert_array_equal(got, expected, err_msg=name)
        there = fast.present.get(name, np.zeros(len(rows), dtype=bool))
        np.testing.assert_array_equal(there, [r.get(name) is not None for r in rows], err_msg=name)
    small = [fr for fr in frames if fr.def_mesg.global_mesg_num in SMALL_MESSAGES]
    assert _message_rows(fast.messages) == _message_rows(small)
    return True


def _replay(frames: list[Any], exc: BaseException | None) -> Any:
    yield from frames
    if exc is not None:
        raise exc


def _traces_both_ways(path: Path, frames: list[Any], exc: BaseException | None) -> tuple[Any, Any]:
    """read_fit's outcome (traces + warnings, or the error) through the fast path and through fitdecode."""

    def outcome(collect: Any) -> Any:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                raw, broke = collect()
                traces = fitmod._traces_from_raw(str(path), raw, broke)
            except InputFormatError as err:
                return ("error", str(err))
        return ("ok", traces, [str(w.message) for w in caught])

    return (
        outcome(lambda: fitmod._collect(str(path))),
        outcome(lambda: fitmod._collect_frames(str(path), _replay(frames, exc))),
    )


def _trace_state(trace: Any) -> str:
    arrays = {
        k: np.asarray(v).tolist()
        for k, v in vars(trace).items()
        if isinstance(v, np.ndarray) or v is None and k.endswith("_rpm")
    }
    rest = {k: repr(v) for k, v in vars(trace).items() if k not in arrays}
    return repr((sorted(arrays.items()), sorted(rest.items())))


def _result_json(trace: Any) -> str:
    from cadence.pipeline import ActivityResult
    from cadence.report.document import result_to_dict

    result = ActivityResult(trace, analyze_trace(trace))
    return json.dumps(result_to_dict(result), default=repr, sort_keys=True)


def _assert_same_file(path: Path) -> bool:
    """Compare the decoders on one file, then read_fit's traces and the analyses they give."""
    oracle = _fitdecode(path.read_bytes())
    handled = _assert_same(path.read_bytes(), oracle=oracle)
    fast, slow = _traces_both_ways(path, *oracle)
    assert fast[0] == slow[0]
    if fast[0] == "error":
        assert fast[1] == slow[1]
        return handled
    assert fast[2] == slow[2]  # the same warnings
    assert [_trace_state(t) for t in fast[1]] == [_trace_state(t) for t in slow[1]]
    assert [_result_json(t) for t in fast[1]] == [_result_json(t) for t in slow[1]]
    return handled


# ---------------------------------------------------------------------------------------------------------
# real files


@pytest.mark.parametrize("path", IN_REPO, ids=lambda p: p.name)
def test_in_repo_files_decode_as_fitdecode_does(path: Path) -> None:
    assert _assert_same_file(path)


@pytest.mark.shared
@pytest.mark.slow
def test_every_shared_fit_file_decodes_as_fitdecode_does(shared_dir: Path, tmp_path: Path) -> None:
    files = _shared_files()
    assert len(files) > 90
    fast = 0
    for path in files:
        if path.suffix == ".gz":
            plain = tmp_path / path.name[:-3]
            plain.write_bytes(gzip.decompress(path.read_bytes()))
            path = plain
        fast += _assert_same_file(path)
    assert fast == len(files)  # the fast path itself reads every one (docs/fit.md: none left to fitdecode)


def test_running_dynamics_are_read(sample_data: Path) -> None:
    rec = decode_fit(sample_data / "elev__portland.fit").records
    assert np.isfinite(rec["cadence"]).mean() > 0.9
    assert set(rec) >= {"timestamp", "cadence", "fractional_cadence", "enhanced_speed", "distance"}


# ---------------------------------------------------------------------------------------------------------
# synthetic files: one feature each, decoded by the fast path itself

T0 = 1_000_000_030  # a FIT timestamp whose low 5 bits are 30: compressed offsets roll over at once
REC = ((253, 4, 0x86), (4, 1, 0x02), (53, 1, 0x02), (6, 2, 0x84), (5, 4, 0x86), (3, 1, 0x02))
REC_FMT = "IBBHIB"


def _fit(body: bytes, data_size: int | None = None) -> bytes:
    size = len(body) if data_size is None else data_size
    return struct.pack("<BBHI4sH", 14, 0x20, 2100, size, b".FIT", 0) + body + b"\0\0"


def _definition(local: int, gnum: int, fields: Any, *, big: bool = False, dev: Any = ()) -> bytes:
    e = ">" if big else "<"
    out = bytes([0x40 | local | (0x20 if dev else 0), 0, int(big)]) + struct.pack(e + "HB", gnum, len(fields))
    out += b"".join(bytes(f) for f in fields)
    if dev:
        out += bytes([len(dev)]) + b"".join(bytes(f) for f in dev)
    return out


def _data(local: int, fmt: str, *values: Any, big: bool = False, time_offset: int | None = None) -> bytes:
    header = local if time_offset is None else 0x80 | (local << 5) | time_offset
    return bytes([header]) + struct.pack((">" if big else "<") + fmt, *values)


def _records(n: int, *, big: bool = False, local: int = 0) -> bytes:
    out = _definition(local, 20, REC, big=big)
    for i in range(n):
        cadence = 0xFF if i == 3 else 80 + i % 5  # one invalid cadence
        out += _data(local, REC_FMT, T0 + i, cadence, (i * 37) % 128, 2900 + i, 1000 * i, 150, big=big)
    return out


@pytest.mark.parametrize("big", [False, True], ids=["little-endian", "big-endian"])
def test_records_both_byte_orders(big: bool) -> None:
    data = _fit(_records(20, big=big))
    assert _assert_same(data, may_fall_back=False)
    rec = decode_fit_bytes(data).records
    assert np.isnan(rec["cadence"][3]) and rec["cadence"][4] == 84.0
    assert rec["enhanced_speed"][0] == 2.9  # the component of speed, scaled by the profile's 1000


def test_compressed_timestamps_roll_over() -> None:
    body = _definition(1, 20, REC) + _data(1, REC_FMT, T0, 80, 0, 3000, 0, 150)
    body += _definition(0, 20, ((4, 1, 0x02), (6, 2, 0x84)))
    offsets = [31, 0, 1, 5, 30, 2]  # 31 -> 0 -> ... rolls over 32 s twice
    for k, off in enumerate(offsets):
        body += _data(0, "BH", 81 + k, 3000, time_offset=off)
    data = _fit(body)
    assert _assert_same(data, may_fall_back=False)
    t = decode_fit_bytes(data).records["timestamp"] - T0
    assert t.tolist() == [0, 1, 2, 3, 7, 32, 36]


def test_redefinition_mid_file_and_chained_files() -> None:
    first = _records(5) + _definition(0, 20, ((253, 4, 0x86), (3, 1, 0x02))) + _data(0, "IB", T0 + 9, 140)
    second = _definition(1, 20, REC) + _data(1, REC_FMT, T0 + 100, 85, 0, 3100, 5, 151)
    second += _definition(0, 20, ((4, 1, 0x02),)) + _data(0, "B", 86, time_offset=(T0 + 101) & 31)
    data = _fit(first) + _fit(second)
    assert _assert_same(data, may_fall_back=False)
    rec = decode_fit_bytes(data).records
    assert rec["heart_rate"][5] == 140.0 and np.isnan(rec["cadence"][5])
    assert rec["timestamp"][-1] == T0 + 101


@pytest.mark.parametrize("cut", [1, 5, 17, 40])
def test_truncated_file_keeps_what_was_read(cut: int) -> None:
    data = _fit(_records(10))[:-cut]
    assert _assert_same(data, may_fall_back=False)
    fast = decode_fit_bytes(data)
    assert isinstance(fast.error, fitdecode.FitEOFError)
    assert fast.records["timestamp"].size == 10 - (cut - 2 + 13) // 14  # records of 14 bytes


@pytest.mark.parametrize("delta", [+50, -20, -2 * 14])
def test_wrong_data_size_in_header(delta: int) -> None:
    body = _records(10)
    # larger: the file ends first; smaller by whole records: the rest is read as a CRC and a bad header
    data = _fit(body, data_size=len(body) + delta)
    # a record across the end of the data size: fitdecode's own assertion decides, so the fast path leaves it
    assert _assert_same(data) == (delta != -20)


def test_developer_fields_are_skipped_by_their_size() -> None:
    body = _definition(2, 207, ((3, 1, 0x02),)) + _data(2, "B", 0)
    body += _definition(3, 206, ((0, 1, 0x02), (1, 1, 0x02), (2, 1, 0x02), (3, 8, 0x07)))
    body += _data(3, "BBB8s", 0, 7, 0x84, b"Power\0\0\0")
    body += _definition(1, 20, REC, dev=((7, 2, 0),))
    body += b"".join(_data(1, REC_FMT + "H", T0 + i, 80, 0, 3000, i, 150, 250 + i) for i in range(6))
    data = _fit(body)
    assert _assert_same(data, may_fall_back=False)
    assert decode_fit_bytes(data).records["Power"].tolist() == [250, 251, 252, 253, 254, 255]
    # a uint16 developer field declared 3 bytes long: fitdecode reads 2 of them (and loses its way after the
    # first message); the fast path must read the same bytes the same way
    odd = body + _definition(0, 20, REC, dev=((7, 3, 0),))
    odd += b"".join(_data(0, REC_FMT + "H", T0 + 9 + i, 80, 0, 3000, i, 150, 300) + b"\x00" for i in range(3))
    assert _assert_same(_fit(odd), may_fall_back=False)


def test_accumulated_distance_in_compressed_speed_distance() -> None:
    body = _definition(0, 20, ((253, 4, 0x86), (8, 3, 0x0D)))
    dist = 0
    for i in range(300):
        dist += 40  # 2.5 m a second in 1/16 m: the 12-bit field rolls over every 102 records
        packed = (250 | ((dist & 0xFFF) << 12)).to_bytes(3, "little")
        body += _data(0, "I3s", T0 + i, packed)
    body += _definition(0, 20, ((253, 4, 0x86), (8, 3, 0x0D)))  # a redefinition resets the accumulator
    body += _data(0, "I3s", T0 + 300, (250 | (16 << 12)).to_bytes(3, "little"))
    data = _fit(body)
    assert _assert_same(data, may_fall_back=False)
    d = decode_fit_bytes(data).records["distance"]
    assert d[299] == 300 * 40 / 16 and d[300] == 1.0


def test_fallback_is_reported_under_debug(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    body = _records(4)
    path = tmp_path / "odd-header.fit"
    path.write_bytes(struct.pack("<BBHI4sI", 16, 0x20, 2100, len(body), b".FIT", 0) + body + b"\0\0")
    with pytest.raises(FallbackNeeded, match="header of 16 bytes"):
        decode_fit(path)
    with caplog.at_level(logging.DEBUG, logger=fitmod._log.name), warnings.catch_warnings():
        warnings.simplefilter("ignore", CadenceWarning)
        try:
            fitmod.read_fit(path)
        except InputFormatError:
            pass  # fitdecode decides, whatever it decides
    assert "decoded with fitdecode" in caplog.text and "header of 16 bytes" in caplog.text


# ---------------------------------------------------------------------------------------------------------
# fuzz: any mutation either decodes as fitdecode does or falls back; read_fit raises only our errors

SEED = (REPO / "tests" / "data" / "fdec__garmin-fenix-5-walk.fit").read_bytes()


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(_fit(_records(12)) if draw(st.booleans()) else SEED)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "size", "insert", "delete"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[at:]
        elif kind == "size" and len(data) >= 8:
            data[4:8] = struct.pack("<I", draw(st.integers(0, 2 * len(data))))
        elif kind == "insert":
            data[at:at] = bytes(draw(st.lists(st.integers(0, 255), min_size=1, max_size=6)))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 6))]
    return bytes(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_mutated())
def test_mutated_files_decode_as_fitdecode_or_fall_back(data: bytes) -> None:
    _assert_same(data)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mutated.fit"
        path.write_bytes(data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CadenceWarning)
            try:
                fitmod.read_fit(path)
            except InputFormatError:
                pass
