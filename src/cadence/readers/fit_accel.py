"""Raw accelerometer samples stored in FIT files, as a :class:`~cadence.readers.accel_csv.Recording`.

Two ways watches and sensors store them:

- ``accelerometer_data`` messages (global 165): each message holds a burst of samples with their
  ``sample_time_offset`` (ms) after ``timestamp`` + ``timestamp_ms``, either already calibrated
  (``calibrated_accel_x/y/z``, in g) or as raw counts (``accel_x/y/z``) to be calibrated with the latest
  ``three_d_sensor_calibration`` message for the accelerometer:
  ``g = (raw - level_shift - offset_cal[axis]) * calibration_factor / calibration_divisor``, then rotated by
  its ``orientation_matrix`` (FIT SDK profile; the factor's unit is g).
- Connect IQ developer fields ``accel_X``, ``accel_Y``, ``accel_Z`` (milli-g), one value or an array of
  values per ``record`` (spread evenly over the time to the next record).

Units are checked against gravity (about 1 g at rest) whichever way the file stores them. A cheap byte scan
(:func:`has_accel_data`) decides first whether a second decoding pass is worth it, so FIT files without
accelerometer data cost nothing extra. Only this module and :mod:`cadence.readers.fit` import ``fitdecode``.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..datatypes import Recording
from ..errors import InputFormatError
from ._accel import UNIT_SCALE_MS2, gravity_magnitude, make_recording, units_from_gravity
from .fit import data_messages, describe_break

__all__ = ["has_accel_data", "read_fit_accel"]

#: a developer field named accel_x/y/z (in a field_description message)
_DEV_NAME = re.compile(rb"accel_[xyzXYZ]")
_DEV_AXES = {"accel_x": 0, "accel_y": 1, "accel_z": 2}
_log = logging.getLogger(__name__)
_ACCELEROMETER_DATA = 165
_FIELD_DESCRIPTION = 206


def has_accel_data(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` holds an ``accelerometer_data`` definition or an ``accel_*`` developer field.

    A walk over the FIT record structure (headers and definitions only, no field is decoded): a byte
    pattern alone matches ordinary files by accident. Where the structure breaks, the walk stops, as the
    decoder would.

    Parameters
    ----------
    path : str or os.PathLike
        A FIT file.

    Returns
    -------
    bool
        True when a definition of message 165 or a field description naming ``accel_x``/``y``/``z`` is found.

    """
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return False
    if _DEV_NAME.search(data) is None and b"\xa5" not in data:
        return False  # neither a 165 nor an accel_ name anywhere: no walk needed
    pos = 0
    while pos + 12 <= len(data):
        header_size = data[pos]
        if header_size < 12 or data[pos + 8 : pos + 12] != b".FIT":
            break
        end = min(len(data), pos + header_size + int.from_bytes(data[pos + 4 : pos + 8], "little"))
        if _walk_records(data, pos + header_size, end):
            return True
        pos = end + 2  # the file CRC, then maybe a chained file
    return False


def _walk_records(data: bytes, i: int, end: int) -> bool:
    """Walk one FIT file's records in ``data[i:end]``: True at the first accelerometer definition."""
    sizes: dict[int, int] = {}  # local message type -> data message size
    local_global: dict[int, int] = {}
    while i < end:
        head = data[i]
        i += 1
        if head & 0x80:  # compressed timestamp header: a data message of local type 0-3
            local = (head >> 5) & 0x03
        elif head & 0x40:  # definition message
            if i + 5 > end:
                return False
            big_endian = data[i + 1] == 1
            glob = int.from_bytes(data[i + 2 : i + 4], "big" if big_endian else "little")
            n_fields = data[i + 4]
            i += 5
            size = sum(data[i + 1 : i + 3 * n_fields : 3])
            i += 3 * n_fields
            if head & 0x20 and i < end:  # developer fields
                n_dev = data[i]
                size += sum(data[i + 2 : i + 1 + 3 * n_dev : 3])
                i += 1 + 3 * n_dev
            if glob == _ACCELEROMETER_DATA:
                return True
            sizes[head & 0x0F] = size
            local_global[head & 0x0F] = glob
            continue
        else:
            local = head & 0x0F
        data_size = sizes.get(local)
        if data_size is None:
            return False  # data before its definition: the structure is broken here
        if local_global[local] == _FIELD_DESCRIPTION and _DEV_NAME.search(data, i, i + data_size):
            return True
        i += data_size
    return False


def _seconds(value: Any) -> float | None:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, int | float):
        return float(value)
    return None


def _as_array(value: Any) -> NDArray[np.float64] | None:
    """One value or several as a 1-D float array; ``None`` for no value or one that is not numbers."""
    if value is None or isinstance(value, str | bytes):
        return None
    try:
        arr = np.atleast_1d(np.asarray(value, dtype=float))
    except (TypeError, ValueError):
        return None
    return arr if arr.size and arr.ndim == 1 else None


def _number(value: Any, default: float) -> float:
    arr = _as_array(value)
    return float(arr[0]) if arr is not None and arr.size == 1 and np.isfinite(arr[0]) and arr[0] else default


def _calibrate(raw: NDArray[np.float64], cal: dict[str, Any]) -> NDArray[np.float64]:
    """Raw counts (n, 3) -> g with a ``three_d_sensor_calibration`` message's fields."""
    factor = _number(cal.get("calibration_factor"), _number(cal.get("accel_cal_factor"), 1.0))
    divisor = _number(cal.get("calibration_divisor"), 1.0)
    shift = _number(cal.get("level_shift"), 0.0)
    offset = np.zeros(3)
    off = _as_array(cal.get("offset_cal"))
    if off is not None:
        offset[: min(3, off.size)] = off[:3]
    g = (raw - shift - offset) * factor / divisor
    m = _as_array(cal.get("orientation_matrix"))
    if m is not None and m.size == 9:
        g = g @ m.reshape(3, 3).T
    return g


def _frames(spath: str) -> tuple[Iterable[Any], BaseException | list[Exception] | None]:
    """Return the messages to read (and where the file broke off): the fast decoder's, else fitdecode's.

    Connect IQ ``accel_*`` developer fields sit in records as arrays: those files are read by fitdecode.
    """
    from .fit_fast import ACCEL_MESSAGES, FallbackNeeded, decode_fit_bytes

    try:
        with open(spath, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise InputFormatError(spath, f"cannot be read ({exc.strerror or exc})") from None
    if os.environ.get("CADENCE_FIT_DECODER") != "fitdecode" and _DEV_NAME.search(data) is None:
        try:
            fast = decode_fit_bytes(data, ACCEL_MESSAGES)
            return fast.messages, fast.error
        except FallbackNeeded as exc:
            _log.debug("%s: accelerometer data decoded with fitdecode (fast decoder: %s)", spath, exc)
    breaks: list[Exception] = []
    return data_messages(spath, breaks), breaks  # a generator: a decoder exception goes to ``breaks``


def read_fit_accel(path: str | os.PathLike[str]) -> Recording | None:
    """Read the accelerometer samples of a FIT file.

    Parameters
    ----------
    path : str or os.PathLike
        A FIT file.

    Returns
    -------
    Recording or None
        Uniformly sampled acceleration in m/s^2 (``format`` ``"fit"`` or ``"fit_connectiq"``), or ``None``
        when the file has no accelerometer samples.

    Raises
    ------
    InputFormatError
        The samples are there but unusable (e.g. time going backwards, units that are not g or milli-g).

    """
    import fitdecode

    spath = os.fspath(path)
    times: list[NDArray[np.float64]] = []
    values: list[NDArray[np.float64]] = []
    raw_pending: list[tuple[NDArray[np.float64], NDArray[np.float64]]] = []
    cal: dict[str, Any] | None = None
    dev_t: list[float] = []
    dev_v: list[NDArray[np.float64]] = []
    frames, broke = _frames(spath)
    for frame in frames:
        if not isinstance(frame, fitdecode.FitDataMessage):
            continue
        if frame.name == "three_d_sensor_calibration":
            fields = {f.name: f.value for f in frame.fields}
            if fields.get("sensor_type") in ("accelerometer", 0):
                cal = fields
        elif frame.name == "accelerometer_data":
            fields = {f.name: f.value for f in frame.fields}
            t0 = _seconds(fields.get("timestamp"))
            if t0 is None:
                continue
            t0 += _number(fields.get("timestamp_ms"), 0.0) / 1000.0
            axes = [_as_array(fields.get(f"calibrated_accel_{a}")) for a in "xyz"]
            calibrated = all(x is not None for x in axes)
            if not calibrated:
                axes = [_as_array(fields.get(f"accel_{a}")) for a in "xyz"]
            if any(x is None for x in axes):
                continue
            n = min(x.size for x in axes if x is not None)
            off = _as_array(fields.get("sample_time_offset"))
            t = t0 + (off[:n] / 1000.0 if off is not None and off.size >= n else np.arange(n) / 25.0)
            block = np.column_stack([x[:n] for x in axes if x is not None])
            if calibrated:
                times.append(t)
                values.append(block)
            elif cal is not None:
                times.append(t)
                values.append(_calibrate(block, cal))
            else:
                raw_pending.append((t, block))
        else:
            dev = {
                _DEV_AXES[str(f.name).lower()]: f.value
                for f in frame.fields
                if str(f.name).lower() in _DEV_AXES and f.value is not None
            }
            if len(dev) == 3:
                t_rec = _seconds(frame.get_value("timestamp", fallback=None))
                if t_rec is not None:
                    cols = [_as_array(dev[k]) for k in range(3)]
                    if all(c is not None for c in cols):
                        n = min(c.size for c in cols if c is not None)
                        dev_t.append(t_rec)
                        dev_v.append(np.column_stack([c[:n] for c in cols if c is not None]))
    if isinstance(broke, list):  # fitdecode: filled while iterating
        broke = broke[0] if broke else None
    if broke is not None and not (times or raw_pending or dev_t):
        raise InputFormatError(spath, describe_break(broke, 0)) from None
    if raw_pending and cal is None:
        # raw counts without a calibration message: calibrate against gravity below
        times.extend(t for t, _ in raw_pending)
        values.extend(v for _, v in raw_pending)
    elif raw_pending and cal is not None:
        times.extend(t for t, _ in raw_pending)
        values.extend(_calibrate(v, cal) for _, v in raw_pending)
    fmt = "fit"
    if not times and dev_t:
        fmt = "fit_connectiq"
        rec_t = np.asarray(dev_t)
        step = np.diff(rec_t, append=rec_t[-1] + (np.median(np.diff(rec_t)) if len(rec_t) > 1 else 1.0))
        for t, v, dt in zip(rec_t, dev_v, step, strict=True):
            times.append(t + np.arange(len(v)) * dt / len(v))
            values.append(v)
    if not times:
        return None
    t_abs = np.concatenate(times)
    acc = np.concatenate(values)
    order = np.argsort(t_abs, kind="stable")
    t_abs, acc = t_abs[order], acc[order]
    keep = np.concatenate([[True], np.diff(t_abs) > 0]) & np.isfinite(acc).all(axis=1)
    n_dropped = int((~keep).sum())
    t_abs, acc = t_abs[keep], acc[keep]
    if len(t_abs) < 2:
        raise InputFormatError(spath, "accelerometer data has fewer than two samples")

    mag = gravity_magnitude(acc)
    units = units_from_gravity(mag, ("g", "milli-g", "m/s^2"))
    if units is None:
        raise InputFormatError(
            spath, f"gravity in the accelerometer samples measures {mag:.4g}: not g, milli-g or m/s^2"
        )
    return make_recording(
        t_abs,
        acc * UNIT_SCALE_MS2[units],
        spath,
        format=fmt,
        units_in_file=units,
        start_unix_s=float(t_abs[0]) if t_abs[0] > 1e8 else None,
        n_rows=int(len(order)),
        n_dropped=n_dropped,
    )
