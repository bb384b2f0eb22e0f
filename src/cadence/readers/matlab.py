"""MATLAB MAT-files with acceleration (MATLAB Mobile sensor logs saved as arrays or structs).

Version 5 files are read with :func:`scipy.io.loadmat`; version 7.3 files are HDF5 and are read with h5py
(extra ``wearables``). What is looked for, in this order: a variable (or struct field) named like
``Acceleration``/``acc``/``accel`` holding an ``(n, 3)`` array in m/s^2 (MATLAB Mobile's unit) or g (from
the gravity), with a time vector (``t``, ``Timestamp``, ``time``; seconds, or MATLAB datenum days) or a
rate (``fs``, ``SampleRate``); or an ``(n, 4)`` array ``[t x y z]``.

MATLAB Mobile's own logs store ``Acceleration`` as a *timetable*, a MATLAB class that only MATLAB can decode:
such a file gives one line saying how to export it (``writetimetable(Acceleration, "acc.csv")``, a CSV this
package reads).
"""

from __future__ import annotations

import os
import re
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..datatypes import Recording
from ..errors import InputFormatError
from ._accel import UNIT_SCALE_MS2, gravity_included, gravity_magnitude, make_recording, units_from_gravity

__all__ = ["read_mat"]

_ACC_NAMES = re.compile(r"^(acceleration|acc|accel|accelerometer|acc_ms2|acc_g|a)$", re.I)
_TIME_NAMES = re.compile(r"^(t|t_s|time|timestamp|times|seconds)$", re.I)
_RATE_NAMES = re.compile(r"^(fs|fs_hz|samplerate|sample_rate|rate)$", re.I)


def _flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """Variables and struct fields of a loaded MAT-file, by their last name."""
    out: dict[str, Any] = {}
    items: list[tuple[Any, Any]]
    if isinstance(obj, dict):
        items = list(obj.items())
    elif hasattr(obj, "_fieldnames"):  # scipy mat_struct
        items = [(f, getattr(obj, f)) for f in obj._fieldnames]
    else:
        return out
    for key, value in items:
        if str(key).startswith("__"):
            continue
        out.setdefault(str(key), value)
        out.update({k: v for k, v in _flatten(value, f"{prefix}{key}.").items() if k not in out})
    return out


def _load_v5(spath: str) -> dict[str, Any]:
    from scipy.io import loadmat
    from scipy.io.matlab import MatReadError

    try:
        return dict(loadmat(spath, squeeze_me=True, struct_as_record=False))
    except (MatReadError, ValueError, OSError, TypeError, NotImplementedError) as exc:
        if "HDF" in str(exc) or "7.3" in str(exc):
            return _load_v73(spath)
        raise InputFormatError(spath, f"not a readable MAT-file ({str(exc)[:80]})") from None


def _load_v73(spath: str) -> dict[str, Any]:
    try:
        import h5py
    except ImportError:
        raise InputFormatError(
            spath, "a MAT-file v7.3 (HDF5) needs h5py: pip install 'cadence[wearables]'"
        ) from None
    out: dict[str, Any] = {}
    try:
        with h5py.File(spath, "r") as f:

            def visit(name: str, obj: Any) -> None:
                if isinstance(obj, h5py.Dataset) and obj.dtype.kind in "fiu":
                    out.setdefault(name.rsplit("/", 1)[-1], np.asarray(obj).T)  # MATLAB is column-major
                elif isinstance(obj, h5py.Dataset) and obj.attrs.get("MATLAB_class", b"") in (b"timetable",):
                    out.setdefault("__timetable__", name)

            f.visititems(visit)
    except OSError as exc:
        raise InputFormatError(spath, f"not a readable MAT-file v7.3 ({str(exc)[:80]})") from None
    return out


def read_mat(path: str | os.PathLike[str]) -> Recording:
    """Read acceleration from a MAT-file (see the module notes for what is looked for).

    Raises
    ------
    InputFormatError
        No acceleration array, a timetable (MATLAB-only class), or an unreadable file.
    """
    spath = os.fspath(path)
    with open(spath, "rb") as fh:
        header = fh.read(128)
    variables = _load_v73(spath) if b"MATLAB 7.3" in header else _load_v5(spath)
    flat = _flatten(variables)
    acc: NDArray[np.float64] | None = None
    t: NDArray[np.float64] | None = None
    for name, value in flat.items():
        arr = np.asarray(value) if isinstance(value, np.ndarray) else None
        if arr is None or arr.dtype.kind not in "fiu" or arr.ndim != 2:
            continue
        if arr.shape[0] in (3, 4) and arr.shape[1] > 4:
            arr = arr.T
        if _ACC_NAMES.match(name) and arr.shape[1] in (3, 4):
            acc = arr[:, -3:].astype(np.float64)
            if arr.shape[1] == 4:
                t = arr[:, 0].astype(np.float64)
            break
    if acc is None:
        if "__timetable__" in variables or any(type(v).__name__ == "MatlabOpaque" for v in flat.values()):
            raise InputFormatError(
                spath,
                "MATLAB Mobile stores Acceleration as a timetable, which only MATLAB decodes; in MATLAB run "
                "writetimetable(Acceleration, 'acc.csv') and analyze acc.csv",
            )
        raise InputFormatError(spath, "no (n, 3) acceleration array named Acceleration, acc or accel")
    fs: float | None = None
    if t is None:
        for name, value in flat.items():
            v = np.asarray(value) if isinstance(value, np.ndarray | float | int) else None
            if v is None or v.dtype.kind not in "fiu":
                continue
            if _TIME_NAMES.match(name) and v.size == len(acc):
                t = v.ravel().astype(np.float64)
            elif _RATE_NAMES.match(name) and v.size == 1:
                fs = float(v.ravel()[0])
    if t is None:
        if fs is None or not fs > 0:
            raise InputFormatError(spath, "acceleration without a time vector (t) or a sampling rate (fs)")
        t = np.arange(len(acc)) / fs
    elif np.nanmedian(np.diff(t)) < 1e-3 and t[0] > 7e5:  # MATLAB datenum: days since year 0
        t = (t - t[0]) * 86400.0
    good = np.isfinite(t) & np.isfinite(acc).all(axis=1)
    t, acc = t[good], acc[good]
    if len(t) < 2:
        raise InputFormatError(spath, "fewer than two acceleration samples")
    if np.any(np.diff(t) <= 0):
        raise InputFormatError(spath, "the time vector does not increase")
    unit = units_from_gravity(gravity_magnitude(acc), ("m/s^2", "g")) or "m/s^2"
    acc_ms2 = acc * UNIT_SCALE_MS2[unit]
    return make_recording(
        t,
        acc_ms2,
        spath,
        format="matlab_mat",
        units_in_file=unit,
        gravity_included=gravity_included(acc_ms2),
        n_dropped=int((~good).sum()),
    )
