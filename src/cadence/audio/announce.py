"""Audible block changes: a short tone pattern where the metronome stops or comes back (``--announce``).

Two rising beeps say "the clicks come back", two falling beeps say "a silent block starts". Both are played
inside the silent block, never on top of a click: the rising pair ends :data:`LEAD_S` before the first click
of the cued block, the falling pair starts on the first silent beat. The clicks stay exactly where they are
(the tones are added to the rendered samples). Pure numpy, like :mod:`cadence.audio.clicks`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import ParameterError
from .clicks import ClickTrack

__all__ = ["AnnouncedTrack", "announce_tones", "announced"]

#: the two beeps: pitches (Hz, low and high: a fifth apart), length and gap (s)
LOW_HZ = 660.0
HIGH_HZ = 990.0
BEEP_S = 0.12
GAP_S = 0.08
#: the rising pair ends this long before the clicks come back
LEAD_S = 0.3


def announce_tones(fs_hz: int, rising: bool, level_db: float = -9.0) -> np.ndarray:
    """Return two Hann-windowed sine beeps, low then high (``rising``) or high then low.

    Parameters
    ----------
    fs_hz : int
        Sampling rate.
    rising : bool
        Low-high (the cue comes back) or high-low (a silent block starts).
    level_db : float
        Peak level, dBFS.

    Returns
    -------
    ndarray, shape (n,), float32
        ``2 * BEEP_S + GAP_S`` seconds (0.32 s).
    """
    if not math.isfinite(level_db) or level_db > 0:
        raise ParameterError(f"{level_db=} must be <= 0 dBFS")
    n_beep, n_gap = round(BEEP_S * fs_hz), round(GAP_S * fs_hz)
    t = np.arange(n_beep) / fs_hz
    window = np.hanning(n_beep)
    amp = 10.0 ** (level_db / 20.0)
    first, second = (LOW_HZ, HIGH_HZ) if rising else (HIGH_HZ, LOW_HZ)
    beeps = [amp * window * np.sin(2 * np.pi * f * t) for f in (first, second)]
    return np.concatenate([beeps[0], np.zeros(n_gap), beeps[1]]).astype(np.float32)


@dataclass(frozen=True)
class AnnouncedTrack:
    """A :class:`ClickTrack` with the tone patterns added at its block changes; renders like one.

    Attributes
    ----------
    track : ClickTrack
        The click track (its clicks are unchanged).
    tones : tuple of (int, bool)
        Start sample of each pattern and whether it rises.
    """

    track: ClickTrack
    tones: tuple[tuple[int, bool], ...]
    _waves: dict[bool, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @property
    def fs_hz(self) -> int:
        """Sampling rate."""
        return self.track.fs_hz

    @property
    def n_samples(self) -> int | None:
        """Length in samples (the click track's)."""
        return self.track.n_samples

    def onsets(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the click onsets in ``[start, stop)`` (see :meth:`ClickTrack.onsets`)."""
        return self.track.onsets(start, stop)

    def render(self, start: int, stop: int) -> np.ndarray:
        """Synthesise samples ``[start, stop)``: the clicks plus every pattern overlapping the block."""
        out = self.track.render(start, stop)
        for at, rising in self.tones:
            wave = self._waves[rising]
            lo, hi = max(start, at), min(stop, at + len(wave))
            if hi > lo:
                out[lo - start : hi - start] += wave[lo - at : hi - at]
        if self.n_samples is not None and stop > self.n_samples:
            out[max(0, self.n_samples - start) :] = 0.0
        return out


def announced(track: ClickTrack, level_db: float = -9.0) -> AnnouncedTrack:
    """Add the tone patterns at ``track``'s block changes.

    Parameters
    ----------
    track : ClickTrack
        The click track.
    level_db : float
        Peak level of the beeps, dBFS (default -9, a little under the -6 dBFS clicks).

    Returns
    -------
    AnnouncedTrack
        Renders like ``track``; each rising pair ends ``LEAD_S`` before its cued block and starts no earlier
        than the silent block (shorter blocks get the pattern cut at its start), each falling pair starts on
        the first silent beat.
    """
    fs = track.fs_hz
    waves = {True: announce_tones(fs, True, level_db), False: announce_tones(fs, False, level_db)}
    n_tone, lead = len(waves[True]), round(LEAD_S * fs)
    tones: list[tuple[int, bool]] = []
    prev = 0  # start of the current block
    for sample, cue_on in track.cue_changes():
        if cue_on:
            tones.append((max(prev, sample - lead - n_tone), True))
        else:
            tones.append((sample, False))
        prev = sample
    return AnnouncedTrack(track, tuple(tones), waves)
