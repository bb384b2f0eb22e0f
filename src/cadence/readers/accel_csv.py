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

import dataclasses
import os
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..datatypes import Recording
from ..errors import InputFormatError, ParameterError
from ._accel import (
    UNIT_SCALE_MS2,
    TimeSteps,
    Units,
    gravity_included,
    gravity_magnitude,
    make_recording,
    time_steps,
    units_disagreement,
    units_from_gravity,
)

__all__ = ["AccelReadOptions", "CsvLayout", "looks_like_accel_csv", "read_accel_csv", "sniff_csv"]

_SNIFF_BYTES = 65536


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
            raise ParameterError(
                f"units={self.units!r} must be one of 'auto', 'g', 'm/s^2', 'milli-g'"
            ) from None
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
    # the longer names first: "nanoseconds" and "milliseconds" contain "seconds"
    if re.search(r"\(\s*ns\s*\)|\[\s*ns\s*\]|_ns\b|nanos", n):
        return "ns"
    if re.search(r"\(\s*(?:us|µs)\s*\)|\[\s*(?:us|µs)\s*\]|_us\b|micros", n):
        return "us"
    if re.search(r"\(\s*ms\s*\)|\[\s*ms\s*\]|_ms\b|millis", n):
        return "ms"
    if re.search(r"\(\s*s\s*\)|\[\s*s\s*\]|seconds|_s\b", n):
        return "s"
    return None


def _units_hint(names: list[str]) -> Units | None:
    text = " ".join(names).lower()
    if "m/s" in text or "m s^-2" in text or "ms^-2" in text or "ms2" in text:
        return Units.MS2
    if re.search(r"\(\s*g\s*\)|\[\s*g\s*\]|\bgf[xyz]\b", text):
        return Units.G
    return None


def _read_head(path: str) -> bytes:
    """Read the first bytes of ``path`` (for sniffing); file-system errors become one line."""
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
    return head


def _decode(head: bytes) -> str:
    try:
        return head.decode("utf-8-sig")
    except UnicodeDecodeError:
        # a cut multi-byte character at the end of the sniffed block, or latin-1 text
        try:
            return head[:-4].decode("utf-8-sig")
        except UnicodeDecodeError:
            return head.decode("latin-1")


def _short(value: object, n: int = 80) -> str:
    """``repr`` of a value from the file, cut to about ``n`` characters."""
    text = repr(value)
    return text if len(text) <= n else text[: n - 5] + "...'"


_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_ISO_RE = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:[.:]\d+)?)?(?:\s*(?:Z|[+-]\d\d:?\d\d))?$")
_MATLAB_TIME_RE = re.compile(r"^\d\d?-[A-Za-z]{3}-\d{4} \d\d:\d\d:\d\d(?:\.\d+)?$")
#: (pattern, polars strptime format or None for polars' own ISO 8601 inference) of text time columns
_TIME_FORMATS: tuple[tuple[re.Pattern[str], str | None], ...] = (
    (re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}$"), "%Y-%m-%d %H:%M:%S:%3f"),  # GENEActiv ":ms"
    # SensorLog (iOS): "2023-05-01 07:00:00.000 +0000"
    (re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d\.\d+ [+-]\d{4}$"), "%Y-%m-%d %H:%M:%S%.f %z"),
    (re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d [+-]\d{4}$"), "%Y-%m-%d %H:%M:%S %z"),
    (re.compile(r"^\d\d?-[A-Za-z]{3}-\d{4} \d\d:\d\d:\d\d\.\d+$"), "%d-%b-%Y %H:%M:%S%.f"),  # MATLAB
    (re.compile(r"^\d\d?-[A-Za-z]{3}-\d{4} \d\d:\d\d:\d\d$"), "%d-%b-%Y %H:%M:%S"),
    (_ISO_RE, None),
)


def _is_time_text(value: str) -> bool:
    v = value.strip().strip('"')
    return any(p.match(v) for p, _ in _TIME_FORMATS)


def _is_number(value: str, decimal_comma: bool = False) -> bool:
    v = value.strip().strip('"')
    if decimal_comma:
        v = v.replace(",", ".")
    return re.fullmatch(_NUM, v) is not None


@dataclass(frozen=True)
class CsvLayout:
    r"""What the start of a text export says about it: its family, separators, header and fixed metadata.

    Attributes
    ----------
    family : str
        ``"plain"``, ``"phyphox"``, ``"sensor_logger"``, ``"physics_toolbox"``, ``"sensorlog"`` (iOS),
        ``"matlab_mobile"``, ``"actilife_raw"``, ``"empatica_e4"``, ``"geneactiv_csv"`` or ``"headerless"``.
    header, delim, decimal_comma : str, str, bool
        The column-name line (``""`` without one), the separator and whether numbers use a decimal comma.
    names : list of str
        Column names (``"0"``, ``"1"``, ... for a file without a header).
    skip_lines : int
        Lines before the first data row.
    clean : bool
        The text must be normalised before parsing (CR-only or ``\r\r\n`` line ends, decimal comma with
        comma separators).
    fs_hz, start_unix_s : float or None
        Rate and start time written in a header block (files without a time column).
    units : str or None
        Units the family always uses; ``scale`` multiplies the values into them (Empatica: 1/64 g).
    default_columns : tuple of 4 int or None
        Time (``-1``: none), x, y, z column indices the family puts where names cannot find them.
    rows : tuple of tuple of str
        The first (up to 5) data rows, split into cells.
    """

    family: str
    header: str
    delim: str
    decimal_comma: bool
    names: list[str]
    skip_lines: int
    clean: bool = False
    fs_hz: float | None = None
    start_unix_s: float | None = None
    units: str | None = None
    scale: float = 1.0
    default_columns: tuple[int, int, int, int] | None = None
    rows: tuple[tuple[str, ...], ...] = ()


def _delimiter(line: str) -> str | None:
    counts = {d: line.count(d) for d in (",", ";", "\t")}
    delim = max(counts, key=lambda d: counts[d])
    return delim if counts[delim] else None


def _split(line: str, delim: str) -> list[str]:
    return [c.strip().strip('"').strip("'").strip() for c in line.split(delim)]


def _actilife_layout(path: str, lines: list[str]) -> CsvLayout:
    """ActiLife's CSV: a 10-line block (rate in line 1, start time and date) and then the column names."""
    first = lines[0]
    cols = _split(lines[10], ",") if len(lines) > 10 else []
    low = [c.lower() for c in cols]
    if "data table" in first.lower() or {"axis1", "vm"} & set(low) or "steps" in low:
        raise InputFormatError(
            path,
            "an ActiGraph count-per-epoch file (activity counts, not raw acceleration); export the raw "
            "data from ActiLife (a RAW CSV or the .gt3x file)",
            "line 1",
        )
    rate = re.search(r"at (\d+(?:\.\d+)?) Hz", first)
    if rate is None or not cols:
        raise InputFormatError(path, "ActiLife CSV without 'at N Hz' in its first line", "line 1")
    block = "\n".join(lines[:10])
    date_fmt = re.search(r"date format (\S+)", first)
    st = re.search(r"Start Time (\d\d?:\d\d:\d\d)", block)
    sd = re.search(r"Start Date (\d\d?)[/.-](\d\d?)[/.-](\d{4})", block)
    start: float | None = None
    if st and sd:
        from datetime import UTC, datetime

        a, b, year = int(sd.group(1)), int(sd.group(2)), int(sd.group(3))
        day_first = date_fmt is not None and date_fmt.group(1).lower().startswith("d")
        month, day = (b, a) if day_first else (a, b)
        try:
            hh, mm, ss = (int(v) for v in st.group(1).split(":"))
            start = datetime(year, month, day, hh, mm, ss, tzinfo=UTC).timestamp()
        except ValueError:
            start = None
    found = [_axis_column(cols, a) for a in "xyz"]
    xyz = tuple(i for i in found if i is not None) if all(i is not None for i in found) else (0, 1, 2)
    return CsvLayout(
        "actilife_raw", lines[10], ",", False, cols, 11, fs_hz=float(rate.group(1)), start_unix_s=start,
        units="g", default_columns=(-1, *xyz),  # type: ignore[arg-type]
    )


def _geneactiv_layout(path: str, lines: list[str]) -> CsvLayout:
    """GENEActiv PC Software CSV: ``key,value`` lines, then rows ``time,x,y,z,lux,button,temp`` (g)."""
    for i, line in enumerate(lines):
        cells = _split(line, ",")
        if len(cells) >= 4 and _is_time_text(cells[0]) and all(_is_number(c) for c in cells[1:4]):
            rate = next((re.search(r"(\d+(?:\.\d+)?)", ln) for ln in lines[:i] if "Frequency" in ln), None)
            return CsvLayout(
                "geneactiv_csv", "", ",", False, [str(k) for k in range(len(cells))], i,
                fs_hz=float(rate.group(1)) if rate else None, units="g", default_columns=(0, 1, 2, 3),
            )
    raise InputFormatError(path, "GENEActiv CSV without data rows in its first 64 KiB")


def _empatica_layout(lines: list[str]) -> CsvLayout | None:
    """Empatica E4 ``ACC.csv``: start time (Unix s) in row 1, rate in row 2, then x, y, z in 1/64 g."""
    if len(lines) < 3:
        return None
    r1, r2 = _split(lines[0], ","), _split(lines[1], ",")
    if not (len(r1) == len(r2) == 3 and all(_is_number(c) for c in r1 + r2)):
        return None
    t0, fs = float(r1[0]), float(r2[0])
    if not (t0 > 1e8 and 1 <= fs <= 1000 and len(set(r1)) == 1 and len(set(r2)) == 1):
        return None
    return CsvLayout(
        "empatica_e4", "", ",", False, ["x", "y", "z"], 2, fs_hz=fs, start_unix_s=t0, units="g",
        scale=1 / 64, default_columns=(-1, 0, 1, 2),
    )


def sniff_csv(path: str, head: bytes | None = None) -> CsvLayout:
    """Recognise the family, separators and header of a text export from its first 64 KiB.

    Raises
    ------
    InputFormatError
        Empty, binary, not separated by comma, semicolon or tab, or a count (not raw) export.
    """
    raw = head if head is not None else _read_head(path)
    text = _decode(raw)
    odd_line_ends = "\r\r" in text or ("\r" in text and "\n" not in text)
    if odd_line_ends:  # blank lines are artefacts of the line ends: the cleaned text has none
        lines = [ln for ln in re.split(r"\r\n|\r|\n", text) if ln.strip()]
    else:  # polars counts every line, blank ones too, in skip_rows
        lines = text.replace("\r\n", "\n").split("\n")
        while lines and not lines[0].strip():
            lines.pop(0)
    if len(raw) == _SNIFF_BYTES and len(lines) > 1:
        lines.pop()  # probably cut in the middle
    if not any(ln.strip() for ln in lines):  # e.g. only a UTF-8 byte-order mark (Excel's empty "CSV UTF-8")
        raise InputFormatError(path, "empty file (no text, only a byte-order mark or blank lines)")
    lay = _layout(path, lines, odd_line_ends)
    data = [ln for ln in lines[lay.skip_lines :] if ln.strip()][:5]
    return dataclasses.replace(lay, rows=tuple(tuple(_split(ln, lay.delim)) for ln in data))


def _layout(path: str, lines: list[str], odd_line_ends: bool) -> CsvLayout:
    first = lines[0]
    if first.startswith("-----") and ("ActiGraph" in first or "ActiLife" in first or "Actigraph" in first):
        return _actilife_layout(path, lines)
    if first.startswith("Device Type") and "GENEActiv" in first:
        return _geneactiv_layout(path, lines)
    e4 = _empatica_layout(lines)
    if e4 is not None:
        return e4
    delim = _delimiter(first)
    if delim is None:
        raise InputFormatError(path, "not a CSV file: no comma, semicolon or tab in the first line", "line 1")
    cells = _split(first, delim)
    data = [ln for ln in lines[1:] if ln.strip()][:5]
    decimal_comma = delim != "," and any("," in ln for ln in data)
    clean = odd_line_ends
    numeric = [_is_number(c, decimal_comma) for c in cells]
    if all(numeric) or (_is_time_text(cells[0]) and all(numeric[1:])):
        names = [str(k) for k in range(len(cells))]
        default = (0, 1, 2, 3) if len(cells) >= 4 else (-1, 0, 1, 2) if len(cells) == 3 else None
        return CsvLayout("headerless", "", delim, decimal_comma, names, 0, clean, default_columns=default)
    if delim == "," and data:
        # decimal comma with comma separators: twice the header's cells in every data row, or quoted "0,12"
        n_cells = [len(ln.split(",")) for ln in data]
        if all(n == 2 * len(cells) for n in n_cells) or all(re.search(r'"-?\d+,\d', ln) for ln in data):
            decimal_comma, clean = True, True
    family = _detect_format(cells)
    if data and _MATLAB_TIME_RE.match(_split(data[0], delim)[0]):
        family = "matlab_mobile"
    return CsvLayout(family, first, delim, decimal_comma, cells, 1, clean)


def _sniff(path: str) -> tuple[str, str, bool, list[str]]:
    """Return (header line, delimiter, decimal comma?, column names) from the start of the file."""
    lay = sniff_csv(path)
    return lay.header, lay.delim, lay.decimal_comma, lay.names


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
    if any(n.startswith("accelerometeracceleration") or n == "loggingtime" for n in norm):
        return "sensorlog"
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
    try:
        return _read_accel_csv(pl, spath, opts)
    except pl.exceptions.PolarsError as exc:  # anything polars says that the steps below did not foresee
        raise InputFormatError(spath, f"cannot parse the CSV: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:120]


def _read_accel_csv(pl: Any, spath: str, opts: AccelReadOptions) -> Recording:
    units = Units(opts.units)
    lay = sniff_csv(spath)
    names, fmt = lay.names, lay.family
    fs_file = opts.fs_hz if opts.fs_hz is not None else lay.fs_hz
    i_t, i_xyz = _column_indices(spath, lay, opts.columns, fs_file)
    time_fmt = _text_time_format(lay, i_t, opts.time_unit)
    if fmt == "headerless" and time_fmt is not None and i_t is not None:
        fmt = "matlab_mobile" if time_fmt.startswith("%d-%b") else fmt
    elif fmt == "plain" and time_fmt is not None and time_fmt.startswith("%d-%b"):
        fmt = "matlab_mobile"
    frame = _Frame(pl, spath, lay, i_t, i_xyz, time_fmt is not None)
    df = frame.read()
    n_rows = df.height
    if n_rows == 0:
        raise InputFormatError(spath, "no data rows (header only)")
    acc = _columns(df, [frame.col_names[i] for i in i_xyz])
    start_unix: float | None = lay.start_unix_s
    if i_t is None:
        t_raw = np.arange(n_rows) / float(fs_file)  # type: ignore[arg-type]
    elif time_fmt is not None:
        t_raw = _text_seconds(pl, df.get_column(frame.col_names[i_t]), spath, time_fmt, frame.first_line)
        start_unix = float(t_raw[0]) if len(t_raw) else None
    else:
        t_raw = np.asarray(df.get_column(frame.col_names[i_t]).to_numpy(), dtype=np.float64)
    del df
    if fmt == "sensorlog" and start_unix is None:
        start_unix = _sensorlog_start(lay)

    rows = _Rows(n_rows, frame.first_line)
    t_raw, acc = rows.drop_missing(t_raw, acc, spath)
    if i_t is not None and time_fmt is None:
        t_unit = opts.time_unit if opts.time_unit != "auto" else _guess_time_unit(names[i_t], fmt, t_raw)
        scale = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}[t_unit]
        if scale * t_raw[0] > 1e8:  # absolute (Unix epoch) time stamps
            start_unix = float(t_raw[0]) * scale
        if scale != 1.0:
            t_raw = t_raw * scale
    t_raw, acc, steps = rows.check_time(t_raw, acc, spath)
    if lay.scale != 1.0:
        acc = acc * lay.scale
    gravity = gravity_magnitude(acc)
    linear = "linear acceleration" in " ".join(names).lower()
    hint = _units_hint(names)
    if units is Units.AUTO and lay.units is not None and opts.columns is None:
        units = Units(lay.units)  # the family's own units (ActiLife, Empatica, GENEActiv: g)
    elif units is Units.AUTO and linear and hint is not None:
        units = hint  # gravity-free: gravity cannot tell the units, the header can
    else:
        units = _units(units, gravity, names, spath)
    scale_ms2 = UNIT_SCALE_MS2[units.value]
    acc_ms2 = acc * scale_ms2 if scale_ms2 != 1.0 else np.asarray(acc, dtype=np.float64)
    return make_recording(
        t_raw,
        acc_ms2,
        spath,
        fs_hz=opts.fs_hz,
        steps=steps,
        format=fmt,
        units_in_file=units.value,
        gravity_included=not linear and gravity_included(acc_ms2),
        start_unix_s=start_unix,
        n_rows=n_rows,
        n_dropped=rows.n_dropped,
        row_name=rows.name,
    )


def _sensorlog_start(lay: CsvLayout) -> float | None:
    """SensorLog's wall clock: ``loggingTime(txt)`` of the first row (``2023-05-01 07:00:00.000 +0000``)."""
    from datetime import datetime

    norm = [_norm_name(n) for n in lay.names]
    if "loggingtime" not in norm or not lay.rows:
        return None
    value = lay.rows[0][norm.index("loggingtime")] if len(lay.rows[0]) > norm.index("loggingtime") else ""
    for f in ("%Y-%m-%d %H:%M:%S.%f %z", "%Y-%m-%d %H:%M:%S %z", "%Y-%m-%dT%H:%M:%S.%f%z"):
        try:
            return datetime.strptime(value.strip(), f).timestamp()
        except ValueError:
            continue
    return None


def _text_time_format(lay: CsvLayout, i_t: int | None, time_unit: str) -> str | None:
    """Return the strptime format of a text time column (``""``: ISO 8601), None if it is numeric."""
    if i_t is None or time_unit not in ("auto", "iso"):
        return None
    values = [r[i_t].strip().strip('"') for r in lay.rows if len(r) > i_t]
    if not values or (time_unit == "auto" and all(_is_number(v, lay.decimal_comma) for v in values)):
        return None
    for pattern, fmt in _TIME_FORMATS:
        if all(pattern.match(v) for v in values):
            return fmt or ""
    return "" if time_unit == "iso" or not _is_number(values[0], lay.decimal_comma) else None


def _column_indices(
    spath: str,
    lay: CsvLayout,
    columns: tuple[str, str, str, str] | None,
    fs_hz: float | None,
) -> tuple[int | None, list[int]]:
    """Find the time column (``None``: no time column) and the x, y, z columns in the header."""
    names = lay.names
    i_t: int | None
    if columns is not None:
        lookup = {n: i for i, n in enumerate(names)}
        if all(c == "" or c.isdigit() for c in columns) and not all(c in lookup for c in columns if c):
            idx = [int(c) if c else -1 for c in columns]  # column numbers from 0 (files without a header)
            bad = [k for k in idx if k >= len(names)]
            if bad or -1 in idx[1:]:
                raise InputFormatError(
                    spath,
                    f"--columns {','.join(columns)}: the file has {len(names)} columns (0-{len(names) - 1})",
                )
            i_t, i_xyz = (idx[0] if idx[0] >= 0 else None), idx[1:]
        else:
            missing = [c for c in columns if c and c not in lookup]
            if missing:
                raise InputFormatError(
                    spath,
                    f"no column named {_short(missing[0])}; the header has {_short(names, 160)}",
                    "line 1",
                )
            i_t = lookup[columns[0]] if columns[0] else None
            i_xyz = [lookup[c] for c in columns[1:]]
    elif lay.family == "sensorlog":
        i_t, i_xyz = _sensorlog_columns(spath, names)
    else:
        found = [_axis_column(names, a) for a in "xyz"]
        if any(i is None for i in found) and lay.default_columns is not None:
            d = lay.default_columns
            i_t, i_xyz = (d[0] if d[0] >= 0 else None), list(d[1:])
        elif any(i is None for i in found):
            what = "no header row" if lay.family == "headerless" else f"the header {_short(names, 160)}"
            raise InputFormatError(
                spath,
                f"cannot find x, y, z acceleration columns in {what}; "
                "name them with --columns TIME,X,Y,Z (names or column numbers from 0)",
                "line 1",
            )
        else:
            i_xyz = [int(i) for i in found if i is not None]
            i_t = _time_column(names)
            if i_t is None and lay.default_columns is not None and lay.default_columns[0] >= 0:
                i_t = lay.default_columns[0]
    if i_t is None and fs_hz is None:
        raise InputFormatError(spath, "no time column; give the sampling rate (fs_hz / --fs)", "line 1")
    chosen = ([i_t] if i_t is not None else []) + list(i_xyz)
    if any(not 0 <= i < len(lay.names) for i in chosen):  # a layout's default columns on a short line
        raise InputFormatError(
            spath,
            f"the header line has {len(lay.names)} column(s): fewer than time, x, y, z need; "
            "give them with --columns",
            "line 1",
        )
    if len(set(chosen)) != len(chosen):  # e.g. a lost delimiter joined "Time (s)" and the x header cell
        raise InputFormatError(
            spath,
            "one column would be read as two (time, x, y, z must be four different columns); "
            "check the header's separators or give --columns",
            "line 1",
        )
    return i_t, i_xyz


def _sensorlog_columns(spath: str, names: list[str]) -> tuple[int | None, list[int]]:
    """SensorLog (iOS): ``accelerometerTimestamp_sinceReboot(s)`` and ``accelerometerAccelerationX(G)``..."""
    norm = [_norm_name(n) for n in names]
    try:
        i_xyz = [norm.index(f"accelerometeracceleration{a}") for a in "xyz"]
    except ValueError:
        try:  # only the device-motion columns: user acceleration + gravity are not summed here
            i_xyz = [norm.index(f"motionuseracceleration{a}") for a in "xyz"]
        except ValueError:
            raise InputFormatError(
                spath, "SensorLog file without accelerometerAccelerationX/Y/Z(G) columns", "line 1"
            ) from None
    for want in ("accelerometertimestampsincereboot", "motiontimestampsincereboot", "loggingtime"):
        if want in norm:
            return norm.index(want), i_xyz
    return _time_column(names), i_xyz


class _Frame:
    r"""Parse the wanted columns of a CSV with polars: from the file, or from normalised text if needed.

    The fast path hands the file to polars as it is. Files with CR-only or ``\r\r\n`` line ends, decimal
    commas between comma separators, or header lines repeated further down (two exports appended) are
    normalised in memory first (line ends, the repeated headers dropped with a warning): one extra copy.
    """

    def __init__(
        self, pl: Any, spath: str, lay: CsvLayout, i_t: int | None, i_xyz: list[int], text_time: bool
    ) -> None:
        self.pl, self.spath, self.lay = pl, spath, lay
        self.i_t, self.i_xyz, self.text_time = i_t, i_xyz, text_time
        self.col_names = [f"column_{i + 1}" for i in range(len(lay.names))]
        self.first_line = lay.skip_lines + 1  # file line of data row 1
        self.cols = ([i_t] if i_t is not None else []) + i_xyz
        self.source: Any = spath
        self.decimal_comma = lay.decimal_comma
        self.cleaned = False

    def read(self) -> Any:
        pl = self.pl
        if self.lay.clean:
            self._clean()
        try:
            return self._read()
        except pl.exceptions.PolarsError as exc:
            error, repeated_header = self._locate_bad_value(exc)
            if self.cleaned or not repeated_header:
                raise error from None
        self._clean()  # the header again further down: two exports appended to one another
        try:
            return self._read()
        except pl.exceptions.PolarsError as exc:
            raise self._locate_bad_value(exc)[0] from None

    def _clean(self) -> None:
        """Normalise line ends, drop repeated header lines, turn decimal commas between commas into points."""
        import warnings

        from ..errors import CadenceWarning

        try:
            with open(self.spath, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise InputFormatError(self.spath, f"cannot read: {exc.strerror or exc}") from None
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        data = re.sub(rb"[\r\n]+", b"\n", data)  # CR, CRLF, CR CR LF; blank lines go too
        lines = data.split(b"\n", self.lay.skip_lines)
        body = lines[-1] if len(lines) > self.lay.skip_lines else b""
        n_repeats = 0
        if self.lay.header:
            hdr = b"\n" + self.lay.header.strip().encode("utf-8", "replace") + b"\n"
            body = b"\n" + body + b"\n"
            n_repeats = body.count(hdr)
            while hdr in body:
                body = body.replace(hdr, b"\n")
            body = body[1:]
        if n_repeats:
            warnings.warn(
                f"{self.spath}: {n_repeats} repeated header line(s) inside the data skipped "
                "(exports appended to one another?)",
                CadenceWarning,
                stacklevel=4,
            )
        if self.lay.decimal_comma and self.lay.delim == ",":
            body = re.sub(rb'"([-+]?\d+),(\d*(?:[eE][-+]?\d+)?)"', rb"\1.\2", body)
            body = re.sub(rb"(?m)(?<![\d.])([-+]?\d+),(\d+(?:[eE][-+]?\d+)?)(?=,|$)", rb"\1.\2", body)
            self.decimal_comma = False
        self.source = body
        self.first_line = 1
        self.cleaned = True

    def _skip(self) -> int:
        return 0 if self.cleaned else self.lay.skip_lines

    def _read(self) -> Any:
        """Parse; "NaN", "nan", "inf" and empty cells parse as floats/nulls, other markers on a retry."""
        pl = self.pl
        schema = {name: pl.String for name in self.col_names}  # a full schema spares polars the inference
        for i in self.i_xyz:
            schema[self.col_names[i]] = pl.Float64
        if self.i_t is not None:
            schema[self.col_names[self.i_t]] = pl.String if self.text_time else pl.Float64
        kwargs = {
            "separator": self.lay.delim,
            "has_header": False,
            "skip_rows": self._skip(),
            "schema": schema,
            "columns": [self.col_names[i] for i in self.cols],
            "decimal_comma": self.decimal_comma,
            "truncate_ragged_lines": True,
        }
        try:
            return pl.read_csv(self.source, **kwargs)
        except pl.exceptions.PolarsError:  # e.g. "NA" or "null" cells (R, pandas exports): slower, but rare
            return pl.read_csv(self.source, null_values=["", "NaN", "nan", "NA", "null"], **kwargs)

    def _locate_bad_value(self, exc: BaseException) -> tuple[InputFormatError, bool]:
        """Find the first value that is not a number (slow path, only on error) and describe it.

        Also says whether that value is the column's own name (a header line repeated in the data).
        """
        pl = self.pl
        path, names = self.spath, self.lay.names
        try:
            df = pl.read_csv(
                self.source,
                separator=self.lay.delim,
                has_header=False,
                skip_rows=self._skip(),
                schema={name: pl.String for name in self.col_names},
                columns=[self.col_names[i] for i in self.cols],
                truncate_ragged_lines=True,
                encoding="utf8-lossy",
                null_values=["", "NaN", "nan", "NA", "null"],
            )
        except pl.exceptions.PolarsError as exc2:
            return InputFormatError(path, f"not a readable CSV file: {_first_line(exc2)}"), False
        what = "data row" if self.cleaned else "line"
        for i in self.cols:
            c = df.get_column(self.col_names[i])
            if i == self.i_t and self.text_time:
                continue
            if self.decimal_comma:
                c = c.str.replace(",", ".", literal=True)
            num = c.str.strip_chars().cast(pl.Float64, strict=False)
            bad = num.is_null() & c.is_not_null()
            if bad.any():
                row = int(bad.arg_max() or 0)
                value = str(c[row]).strip().strip('"')
                return InputFormatError(
                    path,
                    f"non-numeric value {_short(c[row])} in column {_short(names[i], 40)}: expected a number",
                    f"{what} {row + self.first_line}",
                ), bool(self.lay.header) and value == names[i]
        return InputFormatError(path, f"cannot parse the CSV: {_first_line(exc)}"), False


def _text_seconds(pl: Any, column: Any, spath: str, fmt: str, first_line: int) -> NDArray[np.float64]:
    """Unix seconds of a text time column (``fmt`` ``""``: ISO 8601); a value not a time is an error."""
    col = column.str.strip_chars()
    try:
        if fmt:
            parsed = col.str.to_datetime(fmt, strict=False, time_unit="us")
        else:
            parsed = col.str.to_datetime(strict=False, time_unit="us")
    except pl.exceptions.PolarsError:
        parsed = None
    bad = parsed.is_null() & col.is_not_null() if parsed is not None else col.is_not_null()
    if bad.any():
        row = int(bad.arg_max() or 0)
        raise InputFormatError(
            spath,
            f"time {_short(column[row])} is neither a number nor a date-time like the rows before it",
            f"line {row + first_line}",
        )
    assert parsed is not None
    if parsed.dtype.time_zone is not None:  # type: ignore[union-attr]
        parsed = parsed.dt.convert_time_zone("UTC")
    return np.asarray(parsed.dt.epoch("us").cast(pl.Float64).to_numpy(), dtype=np.float64) * 1e-6


class _Rows:
    """Which file data rows survive the reader's checks, to name the right row in an error."""

    def __init__(self, n_rows: int, first_line: int = 2) -> None:
        self.n_rows = n_rows
        self.first_line = first_line
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

    def _sort_local_disorder(
        self, t: NDArray[np.float64], acc: NDArray[np.float64], steps: TimeSteps, spath: str
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], TimeSteps]:
        """Sort rows written slightly out of order (a swapped pair, a late row) and warn; leave time travel.

        Disorder is local when each step back is at most 5 typical sample intervals and at most 1 % of the
        rows step back; anything else is returned unsorted (and refused by the caller).
        """
        back = np.flatnonzero(np.diff(t) < 0)
        if len(back) > max(1, len(t) // 100) or not steps.dt_median > 0:
            return t, acc, steps
        if float(np.max(t[back] - t[back + 1])) > 5 * steps.dt_median:
            return t, acc, steps
        order = np.argsort(t, kind="stable")
        self.kept = order if self.kept is None else self.kept[order]
        import warnings

        from ..errors import CadenceWarning

        warnings.warn(
            f"{spath}: {len(back)} rows out of time order were sorted (each within "
            f"{5 * steps.dt_median:.3g} s of its place)",
            CadenceWarning,
            stacklevel=5,
        )
        t, acc = t[order], acc[order]
        return t, acc, time_steps(t)

    def check_time(
        self, t: NDArray[np.float64], acc: NDArray[np.float64], spath: str
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], TimeSteps]:
        """Sort small local disorder, refuse time travel, drop repeated time stamps (chunked passes)."""
        steps = time_steps(t)
        if steps.first_backwards >= 0:
            t, acc, steps = self._sort_local_disorder(t, acc, steps, spath)
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
        message = units_disagreement(gravity, units.value)
        if message is not None:
            import warnings

            from ..errors import CadenceWarning

            warnings.warn(f"{spath}: {message}", CadenceWarning, stacklevel=4)
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


def _guess_time_unit(name: str, fmt: str, t: NDArray[np.float64]) -> str:
    """Name the unit of a numeric time column: from its name if that gives a plausible rate, else the rate."""
    dt = float(np.median(np.diff(t[: min(len(t), 10_000)])))
    scales = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
    hint = _time_unit_hint(name)
    if fmt == "sensor_logger" and _norm_name(name) == "time":
        hint = "ns"
    if hint is not None and (not dt > 0 or 1e-4 <= dt * scales[hint] <= 2.0):
        return hint
    # an Android logger's "timestamp" in ms or ns (since boot or since 1970) is not seconds at 1 Hz
    # typical accelerometer rates are 10-1000 Hz: pick the unit that puts the interval in 1-100 ms
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if 2e-4 <= dt * scale <= 0.2:
            return unit
    return "s"
