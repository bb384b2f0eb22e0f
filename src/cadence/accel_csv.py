"""Read raw accelerometer CSV exports into a uniformly sampled :class:`Recording`.

Formats are recognised from the header row:

- plain: ``t,ax,ay,az`` (also ``time,x,y,z``, ``timestamp,acc_x,acc_y,acc_z``, ...);
- phyphox: ``"Time (s)","Acceleration x (m/s^2)",...`` including the "Linear Acceleration" (gravity removed)
  variant, comma, tab or semicolon separated, with decimal point or decimal comma;
- Sensor Logger: ``time`` (Unix epoch in ns), ``seconds_elapsed``, ``z,y,x`` (``seconds_elapsed`` is used);
- Physics Toolbox and similar: ``time`` in seconds, milliseconds or as ISO 8601 timestamps, ``gFx,gFy,gFz``
  (in g) or ``ax,ay,az``.

Units (g or m/s^2) come from the gravity magnitude in the data (about 1 or about 9.8), else from the
header, and can be overridden. Irregular (Android) sampling is resampled to a uniform grid by linear
interpolation; gaps are reported. The CSV is parsed by polars (a multi-threaded Rust parser, 4-6x faster
than ``np.loadtxt`` on a 24 h file here).

This is an edge module: it reads files and raises :class:`~cadence.errors.InputFormatError` for anything it
cannot read; it never prints.
"""

from __future__ import annotations

import enum
import os
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .errors import InputFormatError, ParameterError

__all__ = ["AccelReadOptions", "Recording", "Units", "gravity_magnitude", "read_accel_csv", "uniform_grid"]

G_MS2 = 9.80665
#: no accelerometer worn by a person measures more than 1000 g: beyond it the units or the file are wrong
_MAX_MS2 = 1000 * G_MS2
_SNIFF_BYTES = 65536


class Units(enum.Enum):
    """Acceleration units of a file: detected automatically or forced by the caller."""

    AUTO = "auto"
    G = "g"
    MS2 = "m/s^2"


@dataclass(frozen=True)
class AccelReadOptions:
    """Overrides for :func:`read_accel_csv` when a file's header or data do not say enough.

    Parameters
    ----------
    units : Units or str
        ``"auto"`` (default), ``"g"`` or ``"m/s^2"``.
    columns : tuple of 4 str, optional
        Names of the time, x, y and z columns (time may be ``""``).
    time_unit : str
        ``"auto"``, ``"s"``, ``"ms"``, ``"us"``, ``"ns"`` or ``"iso"``.
    fs_hz : float, optional
        Output sampling rate (required without a time column).

    """

    units: Units | str = Units.AUTO
    columns: tuple[str, str, str, str] | None = None
    time_unit: str = "auto"
    fs_hz: float | None = None

    def __post_init__(self) -> None:
        try:
            Units(self.units)
        except ValueError:
            raise ParameterError(f"units={self.units!r} must be one of 'auto', 'g', 'm/s^2'") from None
        if self.columns is not None and len(self.columns) != 4:
            raise ParameterError(f"columns={self.columns!r} must name 4 columns: time, x, y, z")
        if self.time_unit not in ("auto", "s", "ms", "us", "ns", "iso"):
            raise ParameterError(f"time_unit={self.time_unit!r} must be one of auto, s, ms, us, ns, iso")
        if self.fs_hz is not None and not (np.isfinite(self.fs_hz) and self.fs_hz > 0):
            raise ParameterError(f"fs_hz={self.fs_hz} must be a positive number")


@dataclass(frozen=True)
class Recording:
    """A uniformly sampled 3-axis accelerometer recording.

    Attributes
    ----------
    t_s : ndarray, shape (n,)
        Sample times in seconds from the first sample (uniform, ``1 / fs_hz`` apart).
    acc_ms2 : ndarray, shape (n, 3)
        Acceleration in m/s^2 in the sensor's own axes.
    fs_hz : float
        Sampling rate in Hz.
    source : str
        The file it came from.
    format : str
        Detected format: ``"plain"``, ``"phyphox"``, ``"sensor_logger"`` or ``"physics_toolbox"``.
    units_in_file : str
        ``"g"`` or ``"m/s^2"``, as detected (or forced).
    gravity_included : bool
        False for "linear acceleration" exports (gravity removed by the phone).
    start_unix_s : float or None
        Wall-clock time of the first sample when the file has absolute timestamps.
    n_rows : int
        Data rows in the file.
    n_dropped : int
        Rows dropped because a value was missing or NaN, or the time repeated.
    resampled : bool
        Whether the samples were interpolated onto a uniform grid (irregular sampling in the file).
    gaps : tuple of (float, float)
        ``(start_s, duration_s)`` of each pause in the sampling longer than 5 sample intervals (and 0.1 s).

    """

    t_s: NDArray[np.float64]
    acc_ms2: NDArray[np.float64]
    fs_hz: float
    source: str
    format: str = "plain"
    units_in_file: str = "m/s^2"
    gravity_included: bool = True
    start_unix_s: float | None = None
    n_rows: int = 0
    n_dropped: int = 0
    resampled: bool = False
    gaps: tuple[tuple[float, float], ...] = ()

    @property
    def duration_s(self) -> float:
        """Length of the recording in seconds."""
        return float(len(self.t_s) / self.fs_hz) if len(self.t_s) else 0.0


def _norm_name(name: str) -> str:
    """Lower-case column name without units in brackets and without punctuation."""
    base = re.sub(r"[\(\[].*?[\)\]]", " ", name.lower())
    return re.sub(r"[^a-z0-9]+", "", base)


_AXIS_PREFIXES = {
    "",
    "a",
    "acc",
    "accel",
    "acceleration",
    "accelerometer",
    "linearacceleration",
    "gf",
    "g",
    "totalacceleration",
    "useracceleration",
    "accelerationwithg",
}


def _axis_column(names: list[str], axis: str) -> int | None:
    for i, raw in enumerate(names):
        n = _norm_name(raw)
        if n.endswith(axis) and (n[:-1] in _AXIS_PREFIXES or "acc" in n[:-1]):
            return i
        if n.startswith(axis) and n[1:] in {"acc", "accel", "acceleration"}:
            return i
    return None


def _time_column(names: list[str]) -> int | None:
    norm = [_norm_name(n) for n in names]
    for want in (
        "secondselapsed",
        "times",
        "time",
        "t",
        "timestamp",
        "elapsedtime",
        "elapsed",
        "timems",
        "timestampms",
        "ts",
    ):
        if want in norm:
            return norm.index(want)
    for i, n in enumerate(norm):
        if n.startswith("time") or n.startswith("timestamp"):
            return i
    return None


def _time_unit_hint(name: str) -> str | None:
    n = name.lower()
    if re.search(r"\(\s*s\s*\)|\[\s*s\s*\]|seconds", n):
        return "s"
    if re.search(r"\(\s*ms\s*\)|\[\s*ms\s*\]|_ms\b|millis", n):
        return "ms"
    if re.search(r"\(\s*ns\s*\)|\[\s*ns\s*\]|_ns\b|nanos", n):
        return "ns"
    return None


def _units_hint(names: list[str]) -> Units | None:
    text = " ".join(names).lower()
    if "m/s" in text or "m s^-2" in text or "ms^-2" in text or "ms2" in text:
        return Units.MS2
    if re.search(r"\(\s*g\s*\)|\[\s*g\s*\]|\bgf[xyz]\b", text):
        return Units.G
    return None


def _sniff(path: str) -> tuple[str, str, bool, list[str]]:
    """Return (header line, delimiter, decimal comma?, column names) from the start of the file."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except FileNotFoundError:
        raise InputFormatError(path, "no such file") from None
    except IsADirectoryError:
        raise InputFormatError(path, "is a directory, not a CSV file") from None
    except OSError as exc:
        raise InputFormatError(path, f"cannot read: {exc.strerror or exc}") from None
    if not head.strip():
        raise InputFormatError(path, "empty file")
    if b"\x00" in head:
        raise InputFormatError(path, "not a CSV text file (binary data)")
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = head.decode("latin-1")
        except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes anything
            raise InputFormatError(path, "not a CSV text file") from None
    lines = [ln for ln in text.splitlines() if ln.strip()]
    header = lines[0]
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    delim = max(counts, key=lambda d: counts[d])
    if counts[delim] == 0:
        raise InputFormatError(path, "not a CSV file: no comma, semicolon or tab in the first line", "line 1")
    names = [c.strip().strip('"').strip("'").strip() for c in header.split(delim)]
    data_lines = lines[1:6]
    decimal_comma = delim != "," and any("," in ln for ln in data_lines)
    return header, delim, decimal_comma, names


def looks_like_accel_csv(path: str | os.PathLike[str]) -> bool:
    """Whether ``path``'s header names a time column and x, y, z acceleration columns (a cheap sniff).

    Used to pick accelerometer recordings out of a folder that may hold other CSV files (track lists,
    ground-truth step times, SOURCES tables); a file given by name is always read, and errors there.
    """
    try:
        _, _, _, names = _sniff(os.fspath(path))
    except InputFormatError:
        return False
    return _time_column(names) is not None and all(_axis_column(names, a) is not None for a in "xyz")


def _detect_format(names: list[str]) -> str:
    norm = [_norm_name(n) for n in names]
    if "secondselapsed" in norm:
        return "sensor_logger"
    low = " ".join(names).lower()
    if "acceleration x" in low or "linear acceleration" in low:
        return "phyphox"
    if any(n in ("gfx", "gfy", "gfz") for n in norm):
        return "physics_toolbox"
    return "plain"


def read_accel_csv(
    path: str | os.PathLike[str],
    *,
    units: Units | str = Units.AUTO,
    columns: tuple[str, str, str, str] | None = None,
    time_unit: str = "auto",
    fs_hz: float | None = None,
) -> Recording:
    """Read an accelerometer CSV export into a uniformly sampled :class:`Recording`.

    Parameters
    ----------
    path : str or os.PathLike
        The CSV file.
    units : Units or {"auto", "g", "m/s^2"}
        Acceleration units in the file; ``"auto"`` takes them from the header or else from the gravity
        magnitude (about 1 means g, about 9.8 means m/s^2).
    columns : tuple of 4 str, optional
        Names of the time, x, y and z columns, when the header is not recognised. The time name may be
        ``""`` when the file has no time column (then ``fs_hz`` is required).
    time_unit : {"auto", "s", "ms", "us", "ns", "iso"}
        Unit of the time column; ``"auto"`` uses the header and the typical sample interval.
    fs_hz : float, optional
        Sampling rate of the uniform output grid. Default: the file's median rate. Required when the
        file has no time column.

    Returns
    -------
    Recording
        Uniform samples in m/s^2 with the detected format, units, gaps and dropped rows.

    Raises
    ------
    InputFormatError
        Empty file, no data rows, one data row, not a CSV, unknown columns, non-numeric values, time going
        backwards, units that cannot be told from the data.
    ParameterError
        A bad option value.

    """
    import polars as pl

    spath = os.fspath(path)
    try:
        units = Units(units) if not isinstance(units, Units) else units
    except ValueError:
        raise ParameterError(f"{units=} must be one of 'auto', 'g', 'm/s^2'") from None
    if time_unit not in ("auto", "s", "ms", "us", "ns", "iso"):
        raise ParameterError(f"{time_unit=} must be one of auto, s, ms, us, ns, iso")
    if fs_hz is not None and not (np.isfinite(fs_hz) and fs_hz > 0):
        raise ParameterError(f"{fs_hz=} must be a positive number")

    _, delim, decimal_comma, names = _sniff(spath)
    fmt = _detect_format(names)
    if columns is not None:
        if len(columns) != 4:
            raise ParameterError(f"columns={columns!r} must name 4 columns: time, x, y, z")
        lookup = {n: i for i, n in enumerate(names)}
        missing = [c for c in columns if c and c not in lookup]
        if missing:
            raise InputFormatError(spath, f"no column named {missing[0]!r}; the header has {names}", "line 1")
        i_t: int | None = lookup[columns[0]] if columns[0] else None
        i_xyz = [lookup[c] for c in columns[1:]]
    else:
        found = [_axis_column(names, a) for a in "xyz"]
        if any(i is None for i in found):
            raise InputFormatError(
                spath,
                f"cannot find x, y, z acceleration columns in the header {names}; "
                "name them with --columns TIME,X,Y,Z",
                "line 1",
            )
        i_xyz = [int(i) for i in found if i is not None]
        i_t = _time_column(names)
    if i_t is None and fs_hz is None:
        raise InputFormatError(spath, "no time column; give the sampling rate (fs_hz / --fs)", "line 1")

    cols = ([i_t] if i_t is not None else []) + i_xyz
    time_is_text = time_unit == "iso"
    schema_over: dict[str, Any] = {}
    col_names = [f"column_{i + 1}" for i in range(len(names))]  # polars' own names for a headless read
    for i in i_xyz:
        schema_over[col_names[i]] = pl.Float64
    if i_t is not None:
        schema_over[col_names[i_t]] = pl.String if time_is_text else pl.Float64
    try:
        df = _read(pl, spath, delim, decimal_comma, col_names, cols, schema_over)
    except pl.exceptions.PolarsError as exc:
        if (
            i_t is not None
            and not time_is_text
            and _time_is_text(pl, spath, delim, decimal_comma, col_names, i_t)
        ):
            time_is_text = True
            schema_over[col_names[i_t]] = pl.String
            try:
                df = _read(pl, spath, delim, decimal_comma, col_names, cols, schema_over)
            except pl.exceptions.PolarsError as exc2:
                raise _locate_bad_value(
                    pl, spath, delim, decimal_comma, col_names, names, i_xyz, exc2
                ) from None
        else:
            raise _locate_bad_value(pl, spath, delim, decimal_comma, col_names, names, cols, exc) from None

    n_rows = df.height
    if n_rows == 0:
        raise InputFormatError(spath, "no data rows (header only)")
    start_unix: float | None = None
    if i_t is not None and time_is_text:
        tcol = col_names[i_t]
        parsed = df.get_column(tcol).str.to_datetime(strict=False, time_unit="us")
        bad = parsed.is_null() & df.get_column(tcol).is_not_null()
        if bad.any():
            row = int(bad.arg_max() or 0)
            raise InputFormatError(
                spath,
                f"time {df.get_column(tcol)[row]!r} is neither a number nor an ISO timestamp",
                f"line {row + 2}",
            )
        t_raw = parsed.dt.epoch("us").cast(pl.Float64).to_numpy() * 1e-6
        t_unit = "s"
        start_unix = float(t_raw[0]) if len(t_raw) else None
        acc = _columns(df, [col_names[i] for i in i_xyz])
    else:
        acc = _columns(df, [col_names[i] for i in i_xyz])
        if i_t is not None:
            t_raw = np.asarray(df.get_column(col_names[i_t]).to_numpy(), dtype=np.float64)
        else:
            t_raw = np.arange(n_rows) / float(fs_hz)  # type: ignore[arg-type]
        t_unit = "s"
    del df

    # drop rows with missing/NaN values
    n_dropped = 0
    kept: NDArray[np.intp] | None = None  # file data-row index of each kept sample (None: all kept)

    def data_row(i: int) -> str:
        """Return the 1-based file data row of kept sample ``i`` (dropped rows counted)."""
        return f"data row {(int(kept[i]) if kept is not None else i) + 1}"

    if not np.isfinite(t_raw.sum() + acc.sum()):  # one pass when all is well
        good = np.isfinite(t_raw) & np.isfinite(acc).all(axis=1)
        n_dropped = int(n_rows - good.sum())
        kept = np.flatnonzero(good)
        t_raw, acc = t_raw[good], acc[good]
    if len(t_raw) == 0:
        raise InputFormatError(spath, "no usable data rows (every row has a missing or NaN value)")
    if len(t_raw) == 1:
        raise InputFormatError(
            spath, "only one data row; at least two samples are needed for a sampling rate"
        )

    # time unit
    if i_t is not None and not time_is_text:
        t_unit = time_unit if time_unit != "auto" else _guess_time_unit(names[i_t], fmt, t_raw)
        scale = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}[t_unit]
        if scale * t_raw[0] > 1e8:  # absolute (Unix epoch) time stamps
            start_unix = float(t_raw[0]) * scale
        if scale != 1.0:
            t_raw = t_raw * scale

    # time checks in one chunked pass (a day at 100 Hz would need two more 69 MB arrays otherwise)
    steps = _time_steps(t_raw)
    if steps.first_backwards >= 0:
        i = steps.first_backwards
        raise InputFormatError(
            spath,
            f"time goes backwards ({t_raw[i] - t_raw[0]:.6g} s -> {t_raw[i + 1] - t_raw[0]:.6g} s)",
            data_row(i + 1),
        )
    if steps.dt_min == 0:
        dup = np.concatenate([[False], np.diff(t_raw) == 0])
        n_dropped += int(dup.sum())
        kept = np.flatnonzero(~dup) if kept is None else kept[~dup]
        t_raw, acc = t_raw[~dup], acc[~dup]
        if len(t_raw) < 2:
            raise InputFormatError(spath, "only one distinct time stamp; at least two samples are needed")
        steps = _time_steps(t_raw)

    # units
    med = gravity_magnitude(acc)
    if units is Units.AUTO:
        hint = _units_hint(names)
        if 0.6 <= med <= 1.6:
            units = Units.G
        elif 6.0 <= med <= 16.0:
            units = Units.MS2
        elif hint is not None:
            units = hint
        elif med < 0.5:
            units = Units.MS2  # gravity-free linear acceleration, small either way
        else:
            raise InputFormatError(
                spath,
                f"cannot tell the units: gravity measures {med:.3g}, neither about 1 (g) "
                "nor about 9.8 (m/s^2); give them with --units",
            )
    g_med = med * (G_MS2 if units is Units.G else 1.0)
    gravity = g_med > 4.0
    acc_ms2 = acc * G_MS2 if units is Units.G else np.asarray(acc, dtype=np.float64)
    peak = max(float(acc_ms2.max()), -float(acc_ms2.min()))
    if not peak <= _MAX_MS2:
        row = int(np.argmax(np.abs(acc_ms2).max(axis=1) > _MAX_MS2))
        raise InputFormatError(
            spath,
            f"implausible acceleration {peak:.3g} m/s^2 (more than 1000 g); wrong --units or a corrupt file",
            data_row(row),
        )

    t_u, acc_u, rate, gaps, resampled = uniform_grid(t_raw, acc_ms2, spath, fs_hz, steps=steps)
    return Recording(
        t_s=t_u,
        acc_ms2=acc_u,
        fs_hz=rate,
        source=spath,
        format=fmt,
        units_in_file=units.value,
        gravity_included=gravity,
        start_unix_s=start_unix,
        n_rows=n_rows,
        n_dropped=n_dropped,
        resampled=resampled,
        gaps=gaps,
    )


def gravity_magnitude(acc: NDArray[np.float64], block: int = 128) -> float:
    """Robust size of gravity in ``acc`` (any units): the median magnitude of 128-sample block means.

    Averaging a block first cancels most of the movement (steps, arm swing), which can double the raw
    magnitude while running; what is left is gravity, whatever the orientation.
    """
    n = len(acc)
    if n < 2 * block:
        return float(np.median(np.linalg.norm(acc, axis=1))) if n else float("nan")
    stride = max(1, n // (2000 * block))  # at most ~2000 blocks
    nb = n // block
    means = acc[: nb * block].reshape(nb, block, 3)[::stride].mean(axis=1)
    return float(np.median(np.linalg.norm(means, axis=1)))


@dataclass(frozen=True)
class _TimeSteps:
    """Summary of the sample intervals ``diff(t)``, computed block by block."""

    dt_min: float
    dt_max: float
    dt_median: float
    first_backwards: int  # index i with t[i + 1] < t[i], or -1
    gap_index: NDArray[np.intp]  # i with t[i + 1] - t[i] > the gap threshold
    gap_dt: float  # that threshold


def _time_steps(t: NDArray[np.float64], block: int = 1 << 20) -> _TimeSteps:
    """Min, max, median and gaps of the sample intervals of ``t`` without a full-size ``diff`` array."""
    n = len(t)
    sample = np.concatenate(
        [np.diff(t[a : a + 50_001]) for a in np.unique(np.clip([0, n // 2, n - 50_001], 0, max(0, n - 1)))]
    )
    med = float(np.median(sample)) if sample.size else 0.0
    gap_dt = max(5 * med, 0.1)
    lo, hi, first_back = np.inf, -np.inf, -1
    gaps: list[NDArray[np.intp]] = []
    for a in range(0, n - 1, block):
        d = np.diff(t[a : a + block + 1])
        dmin, dmax = float(d.min()), float(d.max())
        lo, hi = min(lo, dmin), max(hi, dmax)
        if dmin < 0 and first_back < 0:
            first_back = a + int(np.argmax(d < 0))
        if dmax > gap_dt:
            gaps.append(a + np.flatnonzero(d > gap_dt))
    gi = np.concatenate(gaps) if gaps else np.empty(0, np.intp)
    return _TimeSteps(float(lo), float(hi), med, first_back, gi, gap_dt)


def uniform_grid(
    t_s: NDArray[np.float64],
    acc_ms2: NDArray[np.float64],
    source: str,
    fs_hz: float | None = None,
    *,
    steps: _TimeSteps | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], float, tuple[tuple[float, float], ...], bool]:
    """Put increasing sample times ``t_s`` on a uniform grid starting at 0.

    Parameters
    ----------
    t_s : ndarray, shape (n,)
        Strictly increasing sample times in seconds (any origin: the output starts at 0).
    acc_ms2 : ndarray, shape (n, 3)
        The samples.
    source : str
        File name for error messages.
    fs_hz : float, optional
        Output rate; default: the median rate of the file.
    steps : _TimeSteps, optional
        The interval summary of ``t_s`` if the caller has it already.

    Returns
    -------
    t_u, acc_u, rate, gaps, resampled
        Uniform times and samples, the rate in Hz, the gaps ``(start_s, duration_s)`` longer than 5 sample
        intervals (and 0.1 s), and whether interpolation was needed (linear, per axis).

    Raises
    ------
    InputFormatError
        Time does not advance, or the grid would be absurdly larger than the data.

    """
    st = steps if steps is not None else _time_steps(t_s)
    med_dt = st.dt_median
    if not med_dt > 0:
        raise InputFormatError(source, "time does not advance")
    t0 = float(t_s[0])
    span = float(t_s[-1]) - t0
    gaps = tuple((float(t_s[i]) - t0, float(t_s[i + 1] - t_s[i])) for i in st.gap_index[:10_000])
    rate = float(fs_hz) if fs_hz is not None else 1.0 / med_dt
    regular = (
        fs_hz is None
        and len(st.gap_index) == 0
        and max(st.dt_max - med_dt, med_dt - st.dt_min) <= 0.05 * med_dt
    )
    if regular:
        rate = (len(t_s) - 1) / span
        if abs(rate - round(rate)) < 1e-6 * rate:  # 99.99999999999 Hz from float time stamps is 100 Hz
            rate = float(round(rate))
        t_u = np.arange(len(t_s), dtype=np.float64)
        t_u /= rate
        return t_u, acc_ms2, rate, gaps, False
    n_u = int(np.floor(span * rate)) + 1
    if n_u > 50 * len(t_s) + 1000:
        raise InputFormatError(source, f"sampling too sparse or gaps too long to resample at {rate:.4g} Hz")
    t_u = np.arange(n_u, dtype=np.float64)
    t_u /= rate
    t_rel = t_s - t0
    acc_u = np.empty((n_u, 3))
    for k in range(3):
        acc_u[:, k] = np.interp(t_u, t_rel, acc_ms2[:, k])
    return t_u, acc_u, rate, gaps, True


def _columns(df, names: list[str]) -> NDArray[np.float64]:  # noqa: ANN001
    """Columns of a polars frame as one (n, k) float64 array (one copy, column-major)."""
    return np.asarray(df.select(names).to_numpy(), dtype=np.float64)


def _read(pl, path, delim, decimal_comma, col_names, cols, schema_over):  # noqa: ANN001, ANN202
    """Parse the CSV; "NaN", "nan", "inf" and empty cells parse as floats/nulls, other markers on a retry."""
    # a full schema (every column named and typed; unused ones as text) spares polars the type inference
    schema = {name: schema_over.get(name, pl.String) for name in col_names}
    kwargs = {
        "separator": delim,
        "has_header": False,
        "skip_rows": 1,
        "schema": schema,
        "columns": [col_names[i] for i in cols],
        "decimal_comma": decimal_comma,
        "truncate_ragged_lines": True,
    }
    try:
        return pl.read_csv(path, **kwargs)
    except pl.exceptions.PolarsError:  # e.g. "NA" or "null" cells (R, pandas exports): slower, but rare
        return pl.read_csv(path, null_values=["", "NaN", "nan", "NA", "null"], **kwargs)


def _time_is_text(pl, path, delim, decimal_comma, col_names, i_t) -> bool:  # noqa: ANN001
    """Whether the time column holds timestamps as text (e.g. ISO 8601)."""
    try:
        head = pl.read_csv(
            path,
            separator=delim,
            has_header=True,
            new_columns=col_names,
            n_rows=5,
            columns=[col_names[i_t]],
            infer_schema_length=0,
            decimal_comma=decimal_comma,
            truncate_ragged_lines=True,
            encoding="utf8-lossy",
        )
    except pl.exceptions.PolarsError:
        return False
    vals = head.get_column(col_names[i_t]).to_list()
    return bool(vals) and all(isinstance(v, str) and re.match(r"^\s*\d{4}-\d\d-\d\d[T ]\d", v) for v in vals)


def _locate_bad_value(pl, path, delim, decimal_comma, col_names, names, cols, exc) -> InputFormatError:  # noqa: ANN001
    """Find the first non-numeric value (slow path, only on error) and describe it."""
    try:
        df = pl.read_csv(
            path,
            separator=delim,
            has_header=True,
            new_columns=col_names,
            infer_schema_length=0,
            columns=[col_names[i] for i in cols],
            decimal_comma=decimal_comma,
            truncate_ragged_lines=True,
            encoding="utf8-lossy",
            null_values=["", "NaN", "nan", "NA", "null"],
        )
    except pl.exceptions.PolarsError:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return InputFormatError(path, f"not a readable CSV file: {first[:200]}")
    for i in cols:
        c = df.get_column(col_names[i])
        if decimal_comma:
            c = c.str.replace(",", ".", literal=True)
        num = c.str.strip_chars().cast(pl.Float64, strict=False)
        bad = num.is_null() & c.is_not_null()
        if bad.any():
            row = int(bad.arg_max() or 0)
            return InputFormatError(
                path, f"non-numeric value {c[row]!r} in column {names[i]!r}", f"line {row + 2}"
            )
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return InputFormatError(path, f"cannot parse the CSV: {first[:200]}")


def _guess_time_unit(name: str, fmt: str, t: NDArray[np.float64]) -> str:
    hint = _time_unit_hint(name)
    if hint is not None:
        return hint
    if fmt == "sensor_logger" and _norm_name(name) == "time":
        return "ns"
    dt = float(np.median(np.diff(t[: min(len(t), 10_000)])))
    # typical accelerometer rates are 10-1000 Hz: pick the unit that puts the interval in 1-100 ms
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if 2e-4 <= dt * scale <= 0.2:
            return unit
    return "s"
