"""Research wearables' binary files: ActiGraph ``.gt3x``, Axivity ``.cwa``, GENEActiv ``.bin``.

Binary formats are not parsed here by hand: each ecosystem's own, well-kept reader does it, from the optional
extra ``cadence[wearables]``:

- ``.gt3x``: `pygt3x <https://github.com/actigraph/pygt3x>`_, ActiGraph's own reader (both the NHANES-era
  ``activity.bin`` container and the newer ``log.bin`` one; values calibrated to g; idle-sleep stretches are
  filled the way ActiLife does);
- ``.cwa`` and GENEActiv ``.bin``: `actfast <https://github.com/childmindresearch/actfast>`_ (Child Mind
  Institute; compiled, numpy only, no Java), much lighter than scikit-digital-health, whose install pulls in
  scikit-learn, lightgbm and h5py for readers of the same files.

Each function returns a :class:`~cadence.datatypes.Recording` built by :func:`~._accel.make_recording`, in
m/s^2 (the files hold g). A missing extra is one line naming it; a file the library cannot decode is one
:class:`~cadence.errors.InputFormatError` naming the file, never the library's own exception.
"""

from __future__ import annotations

import logging
import os
import warnings
from typing import Any

import numpy as np

from ..datatypes import Recording
from ..errors import InputFormatError
from ._accel import G_MS2, make_recording

__all__ = ["read_actfast", "read_gt3x"]

#: .NET ticks (100 ns since 0001-01-01) of the Unix epoch, as .gt3x info files count time
_NET_TICKS_1970 = 621_355_968_000_000_000


def _missing_extra(path: str, module: str) -> InputFormatError:
    return InputFormatError(
        path, f"reading this file needs {module}: pip install 'cadence[wearables]'"
    )


def read_gt3x(path: str | os.PathLike[str]) -> Recording:
    """Read an ActiGraph ``.gt3x`` file with pygt3x (calibrated acceleration in g).

    Raises
    ------
    InputFormatError
        pygt3x is not installed, or the file is not a readable .gt3x archive.
    """
    spath = os.fspath(path)
    try:
        from pygt3x.reader import FileReader
    except ImportError:
        raise _missing_extra(spath, "pygt3x") from None
    log = logging.getLogger("pygt3x")
    level = log.level
    log.setLevel(logging.ERROR)  # it logs every short second ("has 4 samples instead of 30") at WARNING
    try:
        with warnings.catch_warnings(), FileReader(spath) as reader:
            warnings.simplefilter("ignore")  # the library's own (pandas) deprecations are not the user's
            df = reader.to_pandas()
            info = reader.info
    except Exception as exc:  # noqa: BLE001 - a third-party decoder: any failure is a bad file here
        problem = f"not a readable .gt3x file ({type(exc).__name__}: {str(exc)[:80]})"
        raise InputFormatError(spath, problem) from None
    finally:
        log.setLevel(level)
    if len(df) < 2:
        raise InputFormatError(spath, "the .gt3x file holds fewer than two acceleration samples")
    t = np.asarray(df.index, dtype=np.float64)
    acc = np.asarray(df[["X", "Y", "Z"]].to_numpy(), dtype=np.float64)
    start: float | None = float(t[0]) if t[0] > 1e9 else None
    ticks = getattr(info, "start_date", 0) or 0
    if start is None and ticks > _NET_TICKS_1970:  # the legacy container counts time in .NET ticks
        start = (ticks - _NET_TICKS_1970) / 1e7
    fs = float(getattr(info, "sample_rate", 0) or 0) or None
    return make_recording(
        t - t[0],
        acc * G_MS2,
        spath,
        fs_hz=fs,
        format="actigraph_gt3x",
        units_in_file="g",
        start_unix_s=start,
    )


def read_actfast(path: str | os.PathLike[str], family: str) -> Recording:
    """Read an Axivity ``.cwa`` or GENEActiv ``.bin`` file with actfast (acceleration in g).

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    family : {"axivity_cwa", "geneactiv_bin"}
        What the sniff recognised (reported as the recording's format).

    Raises
    ------
    InputFormatError
        actfast is not installed, or it cannot decode the file.
    """
    spath = os.fspath(path)
    try:
        import actfast
    except ImportError:
        raise _missing_extra(spath, "actfast") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data: Any = actfast.read(spath)
    except Exception as exc:  # noqa: BLE001 - a third-party decoder: any failure is a bad file here
        raise InputFormatError(spath, f"not a readable {family} file ({str(exc)[:80]})") from None
    series = next(
        (s for s in data.get("timeseries", {}).values() if "acceleration" in s and "datetime" in s), None
    )
    if series is None or len(series["datetime"]) < 2:
        raise InputFormatError(spath, "no acceleration samples in the file")
    t_ns = np.asarray(series["datetime"], dtype=np.int64)
    acc = np.asarray(series["acceleration"], dtype=np.float64)[:, :3]
    order_ok = bool(np.all(np.diff(t_ns) > 0))
    if not order_ok:  # repeated or reordered page times: keep the samples in file order at the nominal rate
        keep = np.concatenate([[True], np.diff(t_ns) > 0])
        t_ns, acc = t_ns[keep], acc[keep]
    t_s = (t_ns - t_ns[0]) * 1e-9
    start = float(t_ns[0]) * 1e-9
    return make_recording(
        t_s,
        acc * G_MS2,
        spath,
        format=family,
        units_in_file="g",
        start_unix_s=start if start > 1e8 else None,  # GENEActiv's "0000-00-00" start time
        n_dropped=0 if order_ok else int(len(series["datetime"]) - len(t_ns)),
    )
