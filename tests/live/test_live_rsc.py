"""BLE Running Speed and Cadence decoding: every flag combination, steps versus strides."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cadence.errors import StreamError
from cadence.live.rsc import decode_rsc, rsc_step_rate_spm


def packet(flags: int, speed_raw: int, cadence: int, stride_cm: int = 0, dist_dm: int = 0) -> bytes:
    out = struct.pack("<BHB", flags, speed_raw, cadence)
    if flags & 1:
        out += struct.pack("<H", stride_cm)
    if flags & 2:
        out += struct.pack("<I", dist_dm)
    return out


@pytest.mark.parametrize("flags", range(8))
def test_every_flag_combination(flags):
    m = decode_rsc(packet(flags, 3 * 256 + 128, 172, 121, 123456))
    assert m.speed_ms == pytest.approx(3.5)
    assert m.cadence_per_min == 172
    assert m.stride_length_m == (pytest.approx(1.21) if flags & 1 else None)
    assert m.total_distance_m == (pytest.approx(12345.6) if flags & 2 else None)
    assert m.running is bool(flags & 4)


@given(
    flags=st.integers(0, 255),
    speed=st.integers(0, 0xFFFF),
    cadence=st.integers(0, 255),
    stride=st.integers(0, 0xFFFF),
    dist=st.integers(0, 0xFFFFFFFF),
)
def test_round_trip(flags, speed, cadence, stride, dist):
    m = decode_rsc(packet(flags, speed, cadence, stride, dist) + b"\x00\x01")  # trailing bytes ignored
    assert m.speed_ms == speed / 256 and m.cadence_per_min == cadence
    assert (m.stride_length_m is None) != bool(flags & 1)
    if flags & 1:
        assert m.stride_length_m == stride / 100
    if flags & 2:
        assert m.total_distance_m == dist / 10


@pytest.mark.parametrize(("flags", "length"), [(0, 3), (1, 5), (2, 7), (3, 9), (3, 5)])
def test_short_packets(flags, length):
    with pytest.raises(StreamError, match="needs|at least"):
        decode_rsc(packet(flags, 512, 80, 100, 10)[:length])


@pytest.mark.parametrize(
    ("speed_ms", "running_flag", "cadence", "spm", "basis"),
    [
        (3.2, False, 86, 172, "strides"),  # a running speed with a stride cadence (Stryd-like)
        (3.2, True, 172, 172, "steps"),  # already steps
        (0.0, True, 85, 170, "strides"),  # no speed, the device says running
        (1.3, False, 110, 110, "steps"),  # a walk
        (1.3, False, 58, 58, "steps"),  # a slow walk's steps stay steps
        (3.0, False, 0, 0, "steps"),  # no cadence
        (4.0, False, 119, 238, "strides"),
        (4.0, False, 120, 120, "steps"),
    ],
)
def test_steps_or_strides(speed_ms, running_flag, cadence, spm, basis):
    m = decode_rsc(packet(4 if running_flag else 0, round(speed_ms * 256), cadence))
    assert rsc_step_rate_spm(m) == (spm, basis)


def test_ble_without_bleak_gives_the_hint():
    pytest.importorskip("cadence.live.sources")
    try:
        import bleak  # noqa: F401
    except ImportError:
        from cadence.live.sources import BleSource

        with pytest.raises(StreamError, match=r"pip install 'cadence\[live\]'"):
            BleSource("Stryd")
    else:
        pytest.skip("bleak is installed: the hint is not shown")
