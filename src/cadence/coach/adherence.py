"""Adherence to a cadence target: share of running time in the band, per lap, and in silent segments.

Pure functions of an analyzed run (:class:`~cadence.pipeline.ActivityResult`); no I/O. Times of segments
are seconds from the start of the recording, pauses included (the clock a metronome app runs on).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .._timefmt import format_duration, parse_duration_s
from ..errors import ParameterError
from ..gait.analysis import time_in_band_s, weighted_mean

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from ..pipeline import ActivityResult

__all__ = [
    "MIN_SEGMENT_RUNNING_S",
    "Adherence",
    "BandShare",
    "SilentHold",
    "band_from_target",
    "check_adherence",
    "parse_time_ranges",
]

#: a silent segment with less running than this cannot tell whether the cadence held
MIN_SEGMENT_RUNNING_S = 30.0


@dataclass(frozen=True)
class BandShare:
    """Running time below, inside and above the band over one stretch of a run.

    ``below_pct + in_band_pct + above_pct == 100`` whenever ``running_time_s > 0`` (all ``nan`` otherwise).
    """

    label: str
    start_s: float
    end_s: float
    running_time_s: float
    cadence_spm: float
    below_pct: float
    in_band_pct: float
    above_pct: float

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return {
            "label": self.label,
            "start_s": self.start_s,
            "end_s": self.end_s,
            "running_time_s": self.running_time_s,
            "cadence_spm": self.cadence_spm,
            "below_pct": self.below_pct,
            "in_band_pct": self.in_band_pct,
            "above_pct": self.above_pct,
        }


@dataclass(frozen=True)
class SilentHold:
    """A stretch without the metronome and whether the cadence held there.

    ``held`` is ``True`` when the running cadence over the segment stayed at or above the band's low end,
    ``False`` when it fell below, ``None`` when the segment has less than 30 s of running.
    """

    share: BandShare
    held: bool | None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return {**self.share.to_dict(), "held": self.held}


@dataclass(frozen=True)
class Adherence:
    """How one run kept to a band ``[low_spm, high_spm]``: overall, per lap and in silent segments."""

    source: str
    session_index: int
    low_spm: float
    high_spm: float
    overall: BandShare
    laps: tuple[BandShare, ...]
    silent: tuple[SilentHold, ...]
    cued_cadence_spm: float = float("nan")

    @property
    def n_held(self) -> int:
        """Silent segments where the cadence held."""
        return sum(1 for s in self.silent if s.held)

    @property
    def n_judged(self) -> int:
        """Silent segments with enough running to judge."""
        return sum(1 for s in self.silent if s.held is not None)


def band_from_target(target_spm: float, tolerance_spm: float) -> tuple[float, float]:
    """``target ± tolerance`` as a (low, high) band, validated."""
    if not (math.isfinite(target_spm) and 60 <= target_spm <= 260):
        raise ParameterError(f"target {target_spm:g} must be a step rate of 60-260 spm")
    if not (math.isfinite(tolerance_spm) and 0 <= tolerance_spm <= 30):
        raise ParameterError(f"tolerance {tolerance_spm:g} must be 0-30 spm")
    return target_spm - tolerance_spm, target_spm + tolerance_spm


def parse_time_ranges(text: str) -> tuple[tuple[float, float], ...]:
    """Parse ``"10m-15m,20m-25m"`` (or ``"10:00-15:00"``) into ``((600, 900), (1200, 1500))`` seconds.

    Raises
    ------
    ParameterError
        Malformed text, an empty or reversed range.

    """
    out = []
    for part in str(text).split(","):
        if part.count("-") != 1:
            raise ParameterError(f"segment {part.strip()!r} in {text!r} must be START-END, e.g. 10m-15m")
        a_text, b_text = part.split("-")
        try:
            a = parse_duration_s(a_text, allow_zero=True, what="time")
            b = parse_duration_s(b_text, allow_zero=True, what="time")
        except ParameterError as exc:
            raise ParameterError(f"{exc} (in {text!r})") from None
        if not b > a:
            raise ParameterError(f"segment {part.strip()!r} in {text!r} must end after it starts")
        out.append((a, b))
    return tuple(out)


def _share(
    result: ActivityResult, low: float, high: float, mask: NDArray[np.bool_], label: str, a: float, b: float
) -> BandShare:
    s = result.summary
    below, inside, above = time_in_band_s(s, low, high, mask)
    total = below + inside + above
    if total > 0:
        cad = weighted_mean(s.record_cadence_spm, np.where(mask & s.record_running, s.record_weight_s, 0.0))
        pct = (100.0 * below / total, 100.0 * inside / total, 100.0 * above / total)
    else:
        cad, pct = float("nan"), (float("nan"),) * 3
    return BandShare(label, float(a), float(b), total, cad, *pct)


def check_adherence(
    result: ActivityResult,
    low_spm: float,
    high_spm: float,
    silent_s: Sequence[tuple[float, float]] = (),
    cued_s: Sequence[tuple[float, float]] = (),
) -> Adherence:
    """Share of running time below, in and above ``[low_spm, high_spm]``: whole run, laps, silent segments.

    Parameters
    ----------
    result : ActivityResult
        An analyzed run (its per-record running classification and weights are used).
    low_spm, high_spm : float
        The band, inclusive.
    silent_s : sequence of (start_s, end_s)
        Stretches run without the metronome, in seconds from the start of the recording.
    cued_s : sequence of (start_s, end_s)
        Stretches run with it (optional): their mean cadence is reported for comparison.

    Returns
    -------
    Adherence
        Percentages of running time (pauses, stops and walk breaks excluded), per lap from
        ``trace.lap_start_s``, and for each silent segment whether the cadence held (mean >= ``low_spm``).

    Raises
    ------
    ParameterError
        ``low_spm > high_spm`` or a reversed segment.

    """
    if not low_spm <= high_spm:
        raise ParameterError(f"band {low_spm:g}-{high_spm:g}: the low end must not exceed the high end")
    trace = result.trace
    t = trace.t_s
    end = float(t[-1]) if t.size else 0.0
    everything = np.ones(t.size, dtype=bool)
    overall = _share(result, low_spm, high_spm, everything, "run", 0.0, end)

    laps: list[BandShare] = []
    starts = np.asarray(trace.lap_start_s, dtype=float)
    if starts.size > 1:
        bounds = np.append(starts, np.inf)
        # a record stands for the time just before it: it belongs to the lap with start < t <= next start
        lap_of = np.maximum(np.searchsorted(bounds, t, side="left") - 1, 0)
        for k in range(starts.size):
            lap_end = float(min(bounds[k + 1], end))
            laps.append(
                _share(result, low_spm, high_spm, lap_of == k, f"lap {k + 1}", float(starts[k]), lap_end)
            )

    def segment_mask(a: float, b: float) -> NDArray[np.bool_]:
        if not b > a:
            raise ParameterError(f"segment {a:g}-{b:g} s must end after it starts")
        return (t > a) & (t <= b)  # a record stands for the time just before it

    silent: list[SilentHold] = []
    for a, b in silent_s:
        label = f"{format_duration(a)}-{format_duration(b)}"
        share = _share(result, low_spm, high_spm, segment_mask(a, b), label, a, b)
        held = None if share.running_time_s < MIN_SEGMENT_RUNNING_S else bool(share.cadence_spm >= low_spm)
        silent.append(SilentHold(share, held))

    cued_cad = float("nan")
    if cued_s:
        mask = np.zeros(t.size, dtype=bool)
        for a, b in cued_s:
            mask |= segment_mask(a, b)
        cued_cad = _share(result, low_spm, high_spm, mask, "cued", 0.0, end).cadence_spm

    return Adherence(
        source=trace.source,
        session_index=trace.session_index,
        low_spm=float(low_spm),
        high_spm=float(high_spm),
        overall=overall,
        laps=tuple(laps),
        silent=tuple(silent),
        cued_cadence_spm=cued_cad,
    )
