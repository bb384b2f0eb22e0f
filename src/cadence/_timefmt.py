"""Clock formatting and the one duration parser every command shares (pure; imports only errors).

One spelling of a duration everywhere (metronome ``--duration``, program segments, ``check`` time ranges,
track-list durations): plain seconds (``90``, ``12.5``), a clock ``m:ss`` or ``h:mm:ss`` whose minutes and
seconds are below 60 (``1:30``, ``1:02:03.5``; ``10:75`` is refused), or units (``2h``, ``5m``, ``90s``,
``1m30s``, ``2.5m``).
"""

from __future__ import annotations

import math
import re

from .errors import ParameterError

__all__ = ["DURATION_PATTERN", "format_duration", "parse_duration_s"]

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
