"""Bluetooth LE Running Speed and Cadence (RSC) measurements: decoding, and steps versus strides.

Pure functions of bytes and numbers (no radio here); :mod:`cadence.live.sources` feeds them the notifications
of characteristic 0x2A53 (service 0x1814) that ``bleak`` delivers.

Packet layout (Bluetooth SIG, Running Speed and Cadence Service 1.0, "RSC Measurement"), little-endian:
``flags`` (uint8: bit 0 stride length present, bit 1 total distance present, bit 2 running), instantaneous
speed (uint16, 1/256 m/s), instantaneous cadence (uint8, per minute), then the optional instantaneous stride
length (uint16, 1/100 m) and total distance (uint32, 1/10 m).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ..errors import StreamError

__all__ = ["RSC_MEASUREMENT_UUID", "RSC_SERVICE_UUID", "RscMeasurement", "decode_rsc", "rsc_step_rate_spm"]

RSC_SERVICE_UUID = "00001814-0000-1000-8000-00805f9b34fb"
RSC_MEASUREMENT_UUID = "00002a53-0000-1000-8000-00805f9b34fb"

#: a speed at or above this is running (m/s; 7.2 km/h, above nearly every walk)
RUNNING_SPEED_MS = 2.0
#: while running, a reported cadence under this is strides per minute (running steps are >= ~140 spm)
STRIDE_CADENCE_BELOW = 120


@dataclass(frozen=True)
class RscMeasurement:
    """One decoded RSC measurement.

    Attributes
    ----------
    speed_ms : float
        Instantaneous speed, m/s.
    cadence_per_min : int
        Instantaneous cadence as the device sends it (steps or strides per minute: see
        :func:`rsc_step_rate_spm`).
    stride_length_m : float or None
        Instantaneous stride length in metres, when present.
    total_distance_m : float or None
        Total distance in metres, when present.
    running : bool
        The device's own walking (False) / running (True) flag.

    """

    speed_ms: float
    cadence_per_min: int
    stride_length_m: float | None
    total_distance_m: float | None
    running: bool


def decode_rsc(data: bytes | bytearray) -> RscMeasurement:
    """Decode an RSC Measurement (0x2A53) notification.

    Parameters
    ----------
    data : bytes
        The characteristic value.

    Returns
    -------
    RscMeasurement

    Raises
    ------
    StreamError
        If the packet is shorter than its flags say.

    """
    b = bytes(data)
    if len(b) < 4:
        raise StreamError(f"RSC measurement of {len(b)} bytes: needs at least 4 (flags, speed, cadence)")
    flags = b[0]
    need = 4 + (2 if flags & 0x01 else 0) + (4 if flags & 0x02 else 0)
    if len(b) < need:
        raise StreamError(f"RSC measurement with flags 0x{flags:02x} needs {need} bytes, got {len(b)}")
    speed_raw, cadence = struct.unpack_from("<HB", b, 1)
    i = 4
    stride = None
    if flags & 0x01:
        (raw,) = struct.unpack_from("<H", b, i)
        stride = raw / 100.0
        i += 2
    distance = None
    if flags & 0x02:
        (raw,) = struct.unpack_from("<I", b, i)
        distance = raw / 10.0
    return RscMeasurement(speed_raw / 256.0, int(cadence), stride, distance, bool(flags & 0x04))


def rsc_step_rate_spm(m: RscMeasurement) -> tuple[float, str]:
    """Return the step rate of a measurement, deciding whether the device sent steps or strides.

    Devices disagree: some send steps per minute, some strides. Nobody runs at fewer than ~120 steps per
    minute, so a cadence under 120 while running (speed >= 2 m/s, or the device's running flag) is strides
    and is doubled; anything else is taken as steps (walking is 90-125 steps per minute).

    Returns
    -------
    spm, basis : float, str
        Steps per minute (0 when the device reports no cadence) and ``"steps"`` or ``"strides"``.

    """
    c = float(m.cadence_per_min)
    running = m.speed_ms >= RUNNING_SPEED_MS or m.running
    if c > 0 and running and c < STRIDE_CADENCE_BELOW:
        return 2.0 * c, "strides"
    return c, "steps"
