"""Music tempo windows for a step rate, and matching track tempos to them (pure: no I/O).

A song fits a step rate when one step lands on every beat (1x), on every other beat (1/2x: 86 BPM for
172 spm) or twice per beat (2x: 344 BPM). :func:`bpm_windows` gives the three windows, :func:`match_tempos`
places track tempos in them, and :func:`closeness_order` / :func:`ramp_order` order the matches.

The tolerance is one number of steps per minute: +/-3 BPM at 1x is +/-1.5 BPM at 1/2x and +/-6 BPM at 2x,
because each of those is +/-3 spm for the runner. A tolerance in percent is a percent of every window's
centre, so it scales the same way.
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import ParameterError

__all__ = [
    "MULTIPLES",
    "BpmWindow",
    "TempoMatches",
    "Tolerance",
    "ToleranceUnit",
    "bpm_windows",
    "closeness_order",
    "match_tempos",
    "ramp_order",
]

#: beats per step: a beat every other step (1/2x), one per step (1x), two per step (2x)
MULTIPLES: tuple[float, ...] = (0.5, 1.0, 2.0)

#: plausible running (and brisk walking) step rates; outside this the windows make no sense
_SPM_RANGE = (60.0, 300.0)


class ToleranceUnit(enum.Enum):
    """How a :class:`Tolerance` value is measured."""

    BPM = "bpm"  # BPM at 1x, i.e. steps per minute; scaled by the multiple at 1/2x and 2x
    PERCENT = "%"  # percent of each window's centre


@dataclass(frozen=True)
class Tolerance:
    """Half-width of the tempo windows.

    Parameters
    ----------
    value : float
        ``>= 0``. In BPM at 1x (the same number in spm) or in percent of the window centre.
    unit : ToleranceUnit
        :attr:`ToleranceUnit.BPM` (default) or :attr:`ToleranceUnit.PERCENT`.
    """

    value: float = 3.0
    unit: ToleranceUnit = ToleranceUnit.BPM

    def __post_init__(self) -> None:
        if not isinstance(self.unit, ToleranceUnit):
            raise ParameterError(f"tolerance unit={self.unit!r} must be a ToleranceUnit")
        value = self.value
        if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
            raise ParameterError(f"tolerance {value=} must be a finite number >= 0")
        if self.unit is ToleranceUnit.PERCENT and value >= 100 / 3:
            # +/-33 % at 1x reaches the 1/2x window's +/-33 %: windows would overlap
            raise ParameterError(f"tolerance {value=}% must be < 33.3%: the windows must not overlap")

    @classmethod
    def parse(cls, text: str) -> Tolerance:
        """Read ``"3"``, ``"3bpm"``, ``"2.5 BPM"`` or ``"4%"``.

        Raises
        ------
        ParameterError
            When the text is not a number with an optional ``bpm`` or ``%`` unit.
        """
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(%|bpm|spm)?\s*", text, flags=re.IGNORECASE)
        if m is None:
            raise ParameterError(f"tolerance {text!r} must be a number of BPM (e.g. 3) or percent (e.g. 2%)")
        unit = ToleranceUnit.PERCENT if m.group(2) == "%" else ToleranceUnit.BPM
        return cls(float(m.group(1)), unit)

    def half_width_bpm(self, centre_bpm: float, multiple: float) -> float:
        """Half-width in BPM of the window centred on ``centre_bpm`` at ``multiple`` beats per step."""
        if self.unit is ToleranceUnit.PERCENT:
            return centre_bpm * self.value / 100.0
        return self.value * multiple

    def __str__(self) -> str:
        return f"{self.value:g}%" if self.unit is ToleranceUnit.PERCENT else f"{self.value:g} BPM"


@dataclass(frozen=True)
class BpmWindow:
    """The tempos (BPM) that fit a step rate at one multiple.

    Attributes
    ----------
    multiple : float
        Beats per step: 0.5, 1 or 2.
    target_bpm : float
        ``multiple x cadence_spm``: the tempo that matches the target step rate exactly.
    low_bpm, high_bpm : float
        Inclusive bounds. For a ramp the window spans the warm-up tempo to the target tempo, plus the
        tolerance.
    """

    multiple: float
    target_bpm: float
    low_bpm: float
    high_bpm: float

    def contains(self, tempo_bpm: float) -> bool:
        """Whether ``tempo_bpm`` is inside the window (bounds included)."""
        return bool(self.low_bpm <= tempo_bpm <= self.high_bpm)


def _check_spm(name: str, value: float) -> float:
    lo, hi = _SPM_RANGE
    if not (isinstance(value, int | float | np.floating | np.integer) and lo <= value <= hi):
        raise ParameterError(f"{name}={value!r} must be a step rate between {lo:g} and {hi:g} spm")
    return float(value)


def _multiple_name(multiple: float) -> str:
    return "1/2x" if multiple == 0.5 else f"{multiple:g}x"


def bpm_windows(
    cadence_spm: float, tolerance: Tolerance | None = None, *, from_spm: float | None = None
) -> tuple[BpmWindow, ...]:
    """BPM windows at 1/2x, 1x and 2x a step rate.

    Parameters
    ----------
    cadence_spm : float
        Target step rate, steps per minute (60-300).
    tolerance : Tolerance, optional
        Window half-width; default +/-3 BPM at 1x (+/-1.5 at 1/2x, +/-6 at 2x).
    from_spm : float, optional
        Warm-up step rate for a ramp: each window then spans ``multiple x from_spm`` to ``multiple x
        cadence_spm``, widened by the tolerance at both ends.

    Returns
    -------
    tuple of BpmWindow
        Ordered by multiple (1/2x, 1x, 2x); the windows never overlap.

    Raises
    ------
    ParameterError
        A step rate out of range, or a tolerance or ramp so wide that two windows would overlap (a tempo
        would then fit two multiples).
    """
    tolerance = Tolerance() if tolerance is None else tolerance
    target = _check_spm("cadence_spm", cadence_spm)
    start = target if from_spm is None else _check_spm("from_spm", from_spm)
    lo_spm, hi_spm = min(start, target), max(start, target)
    windows = []
    for multiple in MULTIPLES:
        low = multiple * lo_spm - tolerance.half_width_bpm(multiple * lo_spm, multiple)
        high = multiple * hi_spm + tolerance.half_width_bpm(multiple * hi_spm, multiple)
        windows.append(BpmWindow(multiple, multiple * target, max(low, 0.0), high))
    for below, above in zip(windows, windows[1:], strict=False):
        if below.high_bpm >= above.low_bpm:
            what = (
                f"ramp from {start:g} spm and tolerance {tolerance}"
                if from_spm is not None
                else (f"tolerance {tolerance}")
            )
            pair = f"{_multiple_name(below.multiple)} and {_multiple_name(above.multiple)}"
            raise ParameterError(
                f"{what} make the {pair} windows overlap "
                f"({below.high_bpm:.1f} >= {above.low_bpm:.1f} BPM); narrow it"
            )
    return tuple(windows)


@dataclass(frozen=True)
class TempoMatches:
    """Where each track tempo lands in a set of windows (arrays of the same length as the tempos).

    Attributes
    ----------
    tempo_bpm : ndarray of float
        The tempos given (NaN: unknown).
    matched : ndarray of bool
        Tempo inside one of the windows.
    multiple : ndarray of float
        Beats per step of that window (NaN when not matched).
    target_bpm : ndarray of float
        Centre of that window (NaN when not matched).
    offset_bpm : ndarray of float
        ``tempo_bpm - target_bpm`` (NaN when not matched).
    track_spm : ndarray of float
        Step rate the track sets: ``tempo_bpm / multiple`` (NaN when not matched).
    offset_spm : ndarray of float
        ``track_spm - cadence_spm``: how far off the target the runner steps to this track. Equal offsets
        at different multiples are equally close.
    """

    tempo_bpm: NDArray[np.float64]
    matched: NDArray[np.bool_]
    multiple: NDArray[np.float64]
    target_bpm: NDArray[np.float64]
    offset_bpm: NDArray[np.float64]
    track_spm: NDArray[np.float64]
    offset_spm: NDArray[np.float64]

    @property
    def n_matched(self) -> int:
        """Number of tempos inside a window."""
        return int(np.count_nonzero(self.matched))


def match_tempos(tempo_bpm: ArrayLike, windows: tuple[BpmWindow, ...]) -> TempoMatches:
    """Place track tempos in the windows from :func:`bpm_windows`.

    Parameters
    ----------
    tempo_bpm : array_like of float, shape (n,)
        Track tempos; NaN, zero or negative tempos (unknown) match nothing.
    windows : tuple of BpmWindow
        Non-overlapping windows, e.g. from :func:`bpm_windows`.

    Returns
    -------
    TempoMatches
        Per tempo: the window it lands in (if any) and the distance from that window's target.
    """
    tempo = np.atleast_1d(np.asarray(tempo_bpm, dtype=np.float64))
    if tempo.ndim != 1:
        raise ParameterError(f"tempo_bpm must be one-dimensional, got shape {tempo.shape}")
    n = tempo.size
    multiple = np.full(n, np.nan)
    target = np.full(n, np.nan)
    with np.errstate(invalid="ignore"):
        for w in windows:
            inside = (tempo >= w.low_bpm) & (tempo <= w.high_bpm) & (tempo > 0) & np.isnan(multiple)
            multiple[inside] = w.multiple
            target[inside] = w.target_bpm
    matched = ~np.isnan(multiple)
    offset_bpm = tempo - target
    track_spm = tempo / multiple
    cadence_spm = target / multiple
    return TempoMatches(
        tempo_bpm=tempo,
        matched=matched,
        multiple=multiple,
        target_bpm=target,
        offset_bpm=offset_bpm,
        track_spm=track_spm,
        offset_spm=track_spm - cadence_spm,
    )


def _multiple_rank(multiple: NDArray[np.float64]) -> NDArray[np.int64]:
    # on a tie prefer a step per beat, then two steps per beat, then a step every other beat
    rank = np.full(multiple.shape, 3, dtype=np.int64)
    rank[multiple == 1.0] = 0
    rank[multiple == 2.0] = 1
    rank[multiple == 0.5] = 2
    return rank


def closeness_order(matches: TempoMatches) -> NDArray[np.intp]:
    """Return the indices of the matched tempos, closest to the target step rate first.

    Closeness is ``|offset_spm|`` (so 87 BPM at 1/2x, 2 spm off, comes after 173 BPM at 1x, 1 spm off);
    ties go to 1x, then 2x, then 1/2x, then to the original order.
    """
    idx = np.flatnonzero(matches.matched)
    keys = (
        np.arange(idx.size),
        _multiple_rank(matches.multiple[idx]),
        np.abs(matches.offset_spm[idx]),
    )
    return idx[np.lexsort(keys)]


def ramp_order(matches: TempoMatches, from_spm: float) -> NDArray[np.intp]:
    """Return the indices of the matched tempos as a ramp from a warm-up step rate to the target.

    The tracks are ordered by the step rate they set (``track_spm``), starting nearest ``from_spm`` and
    ending at the target (ascending when warming up to a higher rate, descending for a cool-down); ties
    as in :func:`closeness_order`. Use with windows from ``bpm_windows(..., from_spm=from_spm)``.
    """
    idx = np.flatnonzero(matches.matched)
    if idx.size == 0:
        return idx
    cadence_spm = float(matches.target_bpm[idx[0]] / matches.multiple[idx[0]])
    direction = 1.0 if cadence_spm >= float(from_spm) else -1.0
    keys = (
        np.arange(idx.size),
        _multiple_rank(matches.multiple[idx]),
        direction * matches.track_spm[idx],
    )
    return idx[np.lexsort(keys)]
