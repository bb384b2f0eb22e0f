"""Clock formatting and the one duration parser every command shares (pure; imports only errors).

One spelling of a duration everywhere (metronome ``--duration``, program segments, ``check`` time ranges,
track-list durations): plain seconds (``90``, ``12.5``), a clock ``m:ss`` or ``h:mm:ss`` whose minutes and
seconds are below 60 (``1:30``, ``1:02:03.5``; ``10:75`` is refused), or units (``2h``, ``5m``, ``90s``,
``1m30s``, ``2.5m``).
"""

from __future__ import annotations

import datetime as dt
import math
import re

from .errors import ParameterError

__all__ = [
    "DURATION_PATTERN",
    "UNIT_M",
    "UNIT_NAME",
    "default_units",
    "format_duration",
    "format_local",
    "format_pace",
    "format_utc_offset",
    "local_time",
    "parse_duration_s",
    "parse_tz",
]

_NUMBER = r"\d+(?:\.\d*)?|\.\d+"
_CLOCK = r"\d+:[0-5]\d(?::[0-5]\d)?(?:\.\d+)?"
_UNITS = rf"(?:(?:{_NUMBER})[hms])+"
#: a duration in clock or unit spelling (not plain seconds), for parsers that find durations inside a text
DURATION_PATTERN = rf"{_CLOCK}|{_UNITS}"
_RE_NUMBER = re.compile(_NUMBER)
_RE_CLOCK = re.compile(_CLOCK)
_RE_UNITS = re.compile(_UNITS)
_RE_UNIT_PART = re.compile(rf"({_NUMBER})([hms])")
_UNIT_S = {"h": 3600.0, "m": 60.0, "s": 1.0}


def format_duration(seconds: float) -> str:
    """Format seconds as a clock: ``3725.4`` -> ``"1:02:05"``, ``370`` -> ``"6:10"``, ``nan`` -> ``"-"``."""
    if not math.isfinite(seconds):
        return "-"
    total = int(round(seconds))
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def parse_duration_s(text: str, *, allow_zero: bool = False, what: str = "duration") -> float:
    """Parse a duration: plain seconds (``"90"``), ``m:ss`` / ``h:mm:ss`` or units (``"1m30s"``, ``"2h"``).

    Parameters
    ----------
    text : str
        The duration as written (case and surrounding space ignored).
    allow_zero : bool
        Accept 0 (a time from the start of a recording); otherwise the duration must be > 0.
    what : str
        What the text is, for the error message (``"duration"``, ``"time"``).

    Returns
    -------
    float
        Seconds.

    Raises
    ------
    ParameterError
        When ``text`` is not a duration in one of the spellings above, or is not positive.
    """
    s = text.strip().lower()
    seconds: float | None = None
    if _RE_NUMBER.fullmatch(s):
        seconds = float(s)
    elif _RE_CLOCK.fullmatch(s):
        seconds = 0.0
        for part in s.split(":"):
            seconds = 60.0 * seconds + float(part)
    elif _RE_UNITS.fullmatch(s):
        seconds = sum(float(n) * _UNIT_S[u] for n, u in _RE_UNIT_PART.findall(s))
    if seconds is None or not math.isfinite(seconds):
        raise ParameterError(f"{what} {text!r}: expected seconds (90), m:ss (1:30) or units (1m30s, 2h)")
    if not (seconds >= 0 if allow_zero else seconds > 0):
        raise ParameterError(f"{what} {text!r} must be {'>= 0' if allow_zero else '> 0'}")
    return seconds


_RE_OFFSET = re.compile(r"(?:utc|gmt)?\s*([+-])(\d{1,2})(?::?(\d{2}))?")


def parse_tz(text: str) -> dt.tzinfo:
    """Parse a time zone: an IANA name (``Europe/Paris``, ``Pacific/Auckland``), ``UTC``, or an offset.

    Parameters
    ----------
    text : str
        ``"Europe/Paris"``, ``"UTC"``, ``"+13:00"``, ``"-0800"``, ``"UTC-5"``.

    Returns
    -------
    tzinfo

    Raises
    ------
    ParameterError
        Not a zone name this machine knows, nor an offset within +-14 h.
    """
    s = text.strip()
    if s.lower() in ("utc", "z", "gmt"):
        return dt.UTC
    m = _RE_OFFSET.fullmatch(s.lower())
    if m:
        sign, hours, minutes = m.group(1), int(m.group(2)), int(m.group(3) or 0)
        offset = dt.timedelta(hours=hours, minutes=minutes)
        if offset > dt.timedelta(hours=14) or minutes >= 60:
            raise ParameterError(f"time zone {text!r}: offsets run from -12:00 to +14:00")
        return dt.timezone(-offset if sign == "-" else offset)
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(s)
    except (ZoneInfoNotFoundError, ValueError):
        raise ParameterError(
            f"time zone {text!r}: expected a zone name (Europe/Paris), UTC, or an offset (+13:00)"
        ) from None


def local_time(
    start_utc: dt.datetime, utc_offset_s: float | None, tz: dt.tzinfo | None = None
) -> tuple[dt.datetime, str]:
    """Return the local wall-clock time of an activity, and where its offset came from.

    Parameters
    ----------
    start_utc : datetime
        The start, timezone-aware (naive datetimes are taken as UTC).
    utc_offset_s : float or None
        The file's own offset (FIT ``local_timestamp``); it wins when given.
    tz : tzinfo, optional
        The zone for files without an offset (``--tz``); the machine's zone when ``None``.

    Returns
    -------
    local : datetime
        ``start_utc`` on the local clock (aware, carrying its offset).
    source : str
        ``"file"``, ``"--tz"`` or ``"machine zone"``.
    """
    start = start_utc if start_utc.tzinfo is not None else start_utc.replace(tzinfo=dt.UTC)
    if utc_offset_s is not None:
        return start.astimezone(dt.timezone(dt.timedelta(seconds=utc_offset_s))), "file"
    if tz is not None:
        return start.astimezone(tz), "--tz"
    return start.astimezone(), "machine zone"


def format_utc_offset(moment: dt.datetime) -> str:
    """``"UTC+13:00"``, ``"UTC-08:00"``, ``"UTC"`` for an aware datetime."""
    off = moment.utcoffset() or dt.timedelta(0)
    if not off:
        return "UTC"
    total = int(off.total_seconds())
    sign = "+" if total >= 0 else "-"
    h, rem = divmod(abs(total), 3600)
    return f"UTC{sign}{h:02d}:{rem // 60:02d}"


def format_local(moment: dt.datetime) -> str:
    """``"Tue 07 Jan 2020 11:33 UTC+13:00"``: the local clock and its offset."""
    return f"{moment:%a %d %b %Y %H:%M} {format_utc_offset(moment)}"


#: metres in one unit of distance, by ``--units``
UNIT_M = {"metric": 1000.0, "imperial": 1609.344}
#: the name of that unit
UNIT_NAME = {"metric": "km", "imperial": "mi"}


def format_pace(speed_ms: float, units: str = "metric") -> str:
    """Pace as a clock per km (or mile): ``3.0`` m/s -> ``"5:33"`` (``"8:56"`` per mile); ``"-"`` if none."""
    if not (math.isfinite(speed_ms) and speed_ms > 0):
        return "-"
    return format_duration(UNIT_M[units] / speed_ms)


def default_units() -> str:
    """Return ``"imperial"`` where the locale measures in miles (US, Liberia, Myanmar), else ``"metric"``.

    Read from ``LC_MEASUREMENT``, then ``LC_ALL`` / ``LANG`` (``en_US.UTF-8`` -> imperial); ``C`` and unset
    are metric.
    """
    import os

    for var in ("LC_ALL", "LC_MEASUREMENT", "LANG"):
        value = os.environ.get(var, "")
        if value:
            region = value.split(".")[0].split("@")[0]
            return "imperial" if region.endswith(("_US", "_LR", "_MM")) else "metric"
    return "metric"
