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

import os
import re
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..datatypes import Recording
from ..errors import CadenceWarning, InputFormatError, ParameterError
from ._accel import (
    UNIT_SCALE_MS2,
    TimeSteps,
    Units,
    gravity_magnitude,
    make_recording,
    time_steps,
    units_from_gravity,
)

__all__ = ["AccelReadOptions", "looks_like_accel_csv", "read_accel_csv"]

_SNIFF_BYTES = 65536
#: what of a file's own text an error message echoes, at most (a line of junk can be 100 MB)
_ECHO_CHARS = 80
#: rows out of time order are sorted when they are few (this share of the rows at most) ...
_DISORDER_SHARE = 0.01
#: ... and step back at most this far (a swapped pair of rows); anything more is time travel: an error
_DISORDER_MAX_S = 1.0


def _echo(value: object) -> str:
    """``repr`` of a value from the file for a message, cut to about 80 characters."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > _ECHO_CHARS:
        return repr(text[:_ECHO_CHARS]) + f"... ({len(text)} characters)"
    return repr(text)


def _echo_names(names: list[str]) -> str:
    """Show the header's column names for a message, each and all of them cut short."""
    shown = ", ".join(_echo(n) for n in names[:12])
    return f"[{shown}{', ...' if len(names) > 12 else ''}]"


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
    lines = [ln for ln in text.splitlines()[:10] if ln.strip()]
    if not lines:
        raise InputFormatError(path, "empty file (no text, only a byte-order mark or blank lines)")
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
    opts = AccelReadOptions(units=units, columns=columns, time_unit=time_unit, fs_hz=fs_hz)
    units = Units(opts.units)
    _, delim, decimal_comma, names = _sniff(spath)
    fmt = _detect_format(names)
    i_t, i_xyz = _column_indices(spath, names, columns, fs_hz)
    col_names = [f"column_{i + 1}" for i in range(len(names))]  # polars' own names for a headless read
    df, time_is_text = _read_frame(
        pl, spath, delim, decimal_comma, col_names, names, i_t, i_xyz, time_unit == "iso"
    )
    n_rows = df.height
    if n_rows == 0:
        raise InputFormatError(spath, "no data rows (header only)")
    acc = _columns(df, [col_names[i] for i in i_xyz])
    start_unix: float | None = None
    if i_t is None:
        t_raw = np.arange(n_rows) / float(fs_hz)  # type: ignore[arg-type]
    elif time_is_text:
        t_raw = _iso_seconds(pl, df.get_column(col_names[i_t]), spath)
        start_unix = float(t_raw[0]) if len(t_raw) else None
    else:
        t_raw = np.asarray(df.get_column(col_names[i_t]).to_numpy(), dtype=np.float64)
    del df

    rows = _Rows(n_rows)
    t_raw, acc = rows.drop_missing(t_raw, acc, spath)
    if i_t is not None and not time_is_text:
        t_unit = time_unit if time_unit != "auto" else _guess_time_unit(names[i_t], fmt, t_raw)
        scale = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}[t_unit]
        if scale * t_raw[0] > 1e8:  # absolute (Unix epoch) time stamps
            start_unix = float(t_raw[0]) * scale
        if scale != 1.0:
            t_raw = t_raw * scale
    t_raw, acc, steps = rows.check_time(t_raw, acc, spath)

    units = _units(units, gravity_magnitude(acc), names, spath)
    scale_ms2 = UNIT_SCALE_MS2[units.value]
    acc_ms2 = acc * scale_ms2 if scale_ms2 != 1.0 else np.asarray(acc, dtype=np.float64)
    return make_recording(
        t_raw,
        acc_ms2,
        spath,
        fs_hz=fs_hz,
        steps=steps,
        format=fmt,
        units_in_file=units.value,
        gravity_included=gravity_magnitude(acc) * scale_ms2 > 4.0,
        start_unix_s=start_unix,
        n_rows=n_rows,
        n_dropped=rows.n_dropped,
        row_name=rows.name,
    )


def _column_indices(
    spath: str, names: list[str], columns: tuple[str, str, str, str] | None, fs_hz: float | None
) -> tuple[int | None, list[int]]:
    """Find the time column (``None``: no time column) and the x, y, z columns in the header."""
    if columns is not None:
        lookup = {n: i for i, n in enumerate(names)}
        missing = [c for c in columns if c and c not in lookup]
        if missing:
            raise InputFormatError(
                spath, f"no column named {missing[0]!r}; the header has {_echo_names(names)}", "line 1"
            )
        i_t: int | None = lookup[columns[0]] if columns[0] else None
        i_xyz = [lookup[c] for c in columns[1:]]
    else:
        found = [_axis_column(names, a) for a in "xyz"]
        if any(i is None for i in found):
            raise InputFormatError(
                spath,
                f"cannot find x, y, z acceleration columns in the header {_echo_names(names)}; "
                "name them with --columns TIME,X,Y,Z",
                "line 1",
            )
        i_xyz = [int(i) for i in found if i is not None]
        i_t = _time_column(names)
    if i_t is None and fs_hz is None:
        raise InputFormatError(spath, "no time column; give the sampling rate (fs_hz / --fs)", "line 1")
    used = [i for i in (i_t, *i_xyz) if i is not None]
    if len(set(used)) != len(used):  # e.g. a lost delimiter merged "Time (s)" and "x" into one name
        raise InputFormatError(
            spath,
            f"one column would be read as two of time, x, y, z in the header {_echo_names(names)}; "
            "name them with --columns TIME,X,Y,Z",
            "line 1",
        )
    return i_t, i_xyz


def _read_frame(  # noqa: PLR0913
    pl: Any,
    spath: str,
    delim: str,
    decimal_comma: bool,
    col_names: list[str],
    names: list[str],
    i_t: int | None,
    i_xyz: list[int],
    time_is_text: bool,
) -> tuple[Any, bool]:
    """Parse the wanted columns with polars; a time column that is not numeric is retried as text."""
    cols = ([i_t] if i_t is not None else []) + i_xyz
    schema_over: dict[str, Any] = {col_names[i]: pl.Float64 for i in i_xyz}
    if i_t is not None:
        schema_over[col_names[i_t]] = pl.String if time_is_text else pl.Float64
    try:
        return _read(pl, spath, delim, decimal_comma, col_names, cols, schema_over), time_is_text
    except pl.exceptions.PolarsError as exc:
        if i_t is None or time_is_text or not _time_is_text(pl, spath, delim, decimal_comma, col_names, i_t):
            raise _locate_bad_value(pl, spath, delim, decimal_comma, col_names, names, cols, exc) from None
    schema_over[col_names[i_t]] = pl.String
    try:
        return _read(pl, spath, delim, decimal_comma, col_names, cols, schema_over), True
    except pl.exceptions.PolarsError as exc2:
        raise _locate_bad_value(pl, spath, delim, decimal_comma, col_names, names, i_xyz, exc2) from None


def _iso_seconds(pl: Any, column: Any, spath: str) -> NDArray[np.float64]:
    """Unix seconds of an ISO 8601 time column; the first value that is not a time is an error."""
    try:
        parsed = column.str.to_datetime(strict=False, time_unit="us")
    except pl.exceptions.PolarsError:  # no ISO format fits the first values
        parsed = None
    bad = parsed.is_null() & column.is_not_null() if parsed is not None else column.is_not_null()
    if bad.any() or parsed is None:
        row = int(bad.arg_max() or 0)
        raise InputFormatError(
            spath, f"time {_echo(column[row])} is neither a number nor an ISO timestamp", f"line {row + 2}"
        )
    return np.asarray(parsed.dt.epoch("us").cast(pl.Float64).to_numpy(), dtype=np.float64) * 1e-6


class _Rows:
    """Which file data rows survive the reader's checks, to name the right row in an error."""

    def __init__(self, n_rows: int) -> None:
        self.n_rows = n_rows
        self.n_dropped = 0
        self.kept: NDArray[np.intp] | None = None  # file data-row index of each kept sample (None: all)

    def name(self, i: int) -> str:
        """Return the 1-based file data row of kept sample ``i`` (dropped rows counted)."""
        return f"data row {(int(self.kept[i]) if self.kept is not None else i) + 1}"

    def _keep(self, mask: NDArray[np.bool_]) -> None:
        self.n_dropped += int((~mask).sum())
        self.kept = np.flatnonzero(mask) if self.kept is None else self.kept[mask]

    def drop_missing(
        self, t: NDArray[np.float64], acc: NDArray[np.float64], spath: str
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Drop rows with a missing or NaN value; fewer than two left is an error."""
        if not np.isfinite(t.sum() + acc.sum()):  # one pass when all is well
            good = np.isfinite(t) & np.isfinite(acc).all(axis=1)
            self._keep(good)
            t, acc = t[good], acc[good]
        if len(t) == 0:
            raise InputFormatError(spath, "no usable data rows (every row has a missing or NaN value)")
        if len(t) == 1:
            raise InputFormatError(
                spath, "only one data row; at least two samples are needed for a sampling rate"
            )
        return t, acc

    def check_time(
        self, t: NDArray[np.float64], acc: NDArray[np.float64], spath: str
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], TimeSteps]:
        """Sort a few rows out of order, refuse time going back further, drop repeated time stamps.

        A pair of rows swapped by a logger (a step back of at most 5 sample intervals and 1 s, in at most
        1 % of the rows: so not in a file of fewer than 100 rows) is put back in time order with a warning;
        anything more is time travel: an error naming the row.
        """
        steps = time_steps(t)
        if (
            steps.first_backwards >= 0
            and steps.max_backwards_s <= _DISORDER_MAX_S
            and steps.max_backwards_s <= 5 * steps.dt_median  # a step back of a few samples, no more
            and steps.n_backwards <= _DISORDER_SHARE * len(t)
        ):
            order = np.argsort(t, kind="stable")
            self.kept = order if self.kept is None else self.kept[order]
            t, acc = t[order], acc[order]
            warnings.warn(
                f"{spath}: {steps.n_backwards} rows out of time order "
                f"(by up to {steps.max_backwards_s:.3g} s) were sorted",
                CadenceWarning,
                stacklevel=4,
            )
            steps = time_steps(t)
        if steps.first_backwards >= 0:
            i = steps.first_backwards
            raise InputFormatError(
                spath,
                f"time goes backwards ({t[i] - t[0]:.6g} s -> {t[i + 1] - t[0]:.6g} s)",
                self.name(i + 1),
            )
        if steps.dt_min == 0:
            fresh = np.concatenate([[True], np.diff(t) != 0])
            self._keep(fresh)
            t, acc = t[fresh], acc[fresh]
            if len(t) < 2:
                raise InputFormatError(spath, "only one distinct time stamp; at least two samples are needed")
            steps = time_steps(t)
        return t, acc, steps


def _units(units: Units, gravity: float, names: list[str], spath: str) -> Units:
    """Decide the file's units: as forced, else from the gravity in the data, else from the header."""
    if units is not Units.AUTO:
        return units
    found = units_from_gravity(gravity)
    if found is not None:
        return Units(found)
    hint = _units_hint(names)
    if hint is not None:
        return hint
    if gravity < 0.5:
        return Units.MS2  # gravity-free linear acceleration, small either way
    raise InputFormatError(
        spath,
        f"cannot tell the units: gravity measures {gravity:.3g}, neither about 1 (g) "
        "nor about 9.8 (m/s^2); give them with --units",
    )


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
                path, f"non-numeric value {_echo(c[row])} in column {_echo(names[i])}", f"line {row + 2}"
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
