"""Sample-accurate click tracks: click sounds and block-wise synthesis of a tempo program (numpy only).

A click track is defined by its *onsets*, never by accumulated periods: beat ``k`` of a segment that starts at
exact sample position ``s0`` (a float) with a constant tempo lies at sample ``round(s0 + k * 60 * fs / bpm)``,
so a plain ``172`` BPM session has click ``k`` at ``round(k * 60 * fs / 172)`` from the session's start,
however long it runs. Any block ``[start, stop)`` of the audio is synthesised on demand from the onsets that
fall in it, which keeps an hour-long session out of memory and makes a live audio callback a plain "render
the block at this absolute sample index".

The program notation is parsed by :mod:`cadence.audio.program`.

Rounding is round-half-up (``floor(x + 0.5)``).
"""

from __future__ import annotations

import bisect
import enum
import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..errors import ParameterError
from .program import MAX_PROGRAM_S, Program, check_bpm, parse_program

__all__ = [
    "ClickOptions",
    "ClickSound",
    "ClickTrack",
    "TrackPosition",
    "click_sound",
    "click_track",
]

MIN_FS_HZ = 8000
MAX_FS_HZ = 384000
_SNAP_EPS = 1e-9  # beats: tolerance when snapping a segment's end to its beat grid


# ---------------------------------------------------------------------------------------------------------
# Schedule: segments placed on the sample grid
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Piece:
    """A segment (or the part of one after a tempo nudge) placed on the timeline.

    Beat ``j`` (0-based, local) lies at the exact position ``start_smp + fs * tau(j)`` where ``tau`` inverts
    the integrated tempo ``phi(t) = (bpm0 * t + slope * t**2 / 2) / 60`` beats while the ramp runs (until
    ``ramp_s``, where the tempo reaches ``end_bpm``), and ``phi(ramp_s) + end_bpm * (t - ramp_s) / 60`` after
    it (a ramp holds its final tempo until its last beat). Its onset is that position rounded half up.
    """

    segment: int  # index into Program.segments
    start_smp: float
    end_smp: float  # exact position of the beat after the last (start of the next piece); inf if open
    first_beat: int  # global beat index of local beat 0
    n_beats: int | None  # None: open-ended
    bpm0: float
    slope: float  # BPM per second while the ramp runs (0 for a constant tempo)
    end_bpm: float  # nominal tempo at the segment's end (what a following rest inherits)
    nominal_end_smp: float  # start of segment + nominal duration (inf if open)
    muted: bool

    @property
    def ramp_s(self) -> float:
        """Seconds from the piece's start until the ramp reaches ``end_bpm`` (0 for a constant tempo)."""
        return (self.end_bpm - self.bpm0) / self.slope if self.slope else 0.0

    def tempo_at(self, t_s: float) -> float:
        if not self.slope:
            return self.bpm0
        return self.bpm0 + self.slope * min(t_s, self.ramp_s)

    def beats_at(self, t_s: np.ndarray | float) -> np.ndarray | float:
        if not self.slope:
            return self.bpm0 * np.asarray(t_s) / 60.0
        tc = np.minimum(t_s, self.ramp_s)
        return (self.bpm0 * tc + 0.5 * self.slope * np.square(tc) + self.end_bpm * (t_s - tc)) / 60.0

    def positions(self, js: np.ndarray, fs_hz: int) -> np.ndarray:
        """Exact (fractional) sample positions of local beats ``js`` (int64)."""
        if not self.slope:
            # j * (60 fs) is an exact integer; one correctly rounded division -> round(k*60*fs/bpm) exactly
            return self.start_smp + (js * (60 * fs_hz)) / self.bpm0
        b = self.bpm0 / 60.0
        a = self.slope / 120.0
        ramp_s = self.ramp_s
        j_ramp = float(self.beats_at(ramp_s))
        jr = np.minimum(js, j_ramp)
        tau = 2.0 * jr / (b + np.sqrt(b * b + 4.0 * a * jr))  # stable root of a t^2 + b t - j = 0
        tau = np.where(js > j_ramp, ramp_s + (js - j_ramp) * 60.0 / self.end_bpm, tau)
        return self.start_smp + fs_hz * tau

    def onsets(self, js: np.ndarray, fs_hz: int) -> np.ndarray:
        """Onset samples (int64) of local beats ``js``: their exact positions rounded half up.

        A constant tempo from the session's start whose BPM is a ratio ``p/q`` with ``q <= 1000`` (any BPM
        written with up to three decimals) is done in integer arithmetic, ``(2 k 60 fs q + p) // (2 p)``, so
        even exact half-sample ties (e.g. 35.2 BPM at 19602 Hz) round as the exact value says.
        """
        if not self.slope and self.start_smp == 0.0:
            ratio = Fraction(self.bpm0).limit_denominator(1000)
            if (
                float(ratio) == self.bpm0
                and len(js)
                and int(js[-1]) * 120 * fs_hz * ratio.denominator < 2**62
            ):
                p, q = ratio.numerator, ratio.denominator
                return (js * (120 * fs_hz * q) + p) // (2 * p)
        return _onset(self.positions(js, fs_hz))

    def beats_in(self, start: int, stop: int, fs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Onsets, global beat indices and muted flags of this piece's beats in ``[start, stop)``."""
        length_s = (self.end_smp - self.start_smp) / fs
        t_a = min(max(0.0, (start - 1.0 - self.start_smp) / fs), length_s)
        t_b = min(max(0.0, (stop + 1.0 - self.start_smp) / fs), length_s)
        j_lo = max(0, math.floor(float(self.beats_at(t_a))) - 1)
        j_hi = math.ceil(float(self.beats_at(t_b))) + 2
        if self.n_beats is not None:
            j_hi = min(j_hi, self.n_beats)
        js = np.arange(j_lo, max(j_lo, j_hi), dtype=np.int64)
        onsets = self.onsets(js, fs)
        keep = (onsets >= start) & (onsets < stop)
        onsets, js = onsets[keep], js[keep]
        return onsets, js + self.first_beat, np.full(len(js), self.muted)


def _onset(pos: np.ndarray) -> np.ndarray:
    return np.floor(pos + 0.5).astype(np.int64)


def _place(
    segment: int,
    start_smp: float,
    first_beat: int,
    bpm0: float,
    slope: float,
    end_bpm: float,
    remaining_s: float | None,
    muted: bool,
    fs_hz: int,
) -> _Piece:
    """Place a segment whose grid starts at ``start_smp``; it ends on its first beat after ``remaining_s``."""
    if remaining_s is None:
        return _Piece(segment, start_smp, math.inf, first_beat, None, bpm0, slope, end_bpm, math.inf, muted)
    nominal_end = start_smp + remaining_s * fs_hz
    probe = _Piece(segment, start_smp, math.inf, first_beat, None, bpm0, slope, end_bpm, nominal_end, muted)
    n_beats = max(1, math.ceil(float(probe.beats_at(remaining_s)) - _SNAP_EPS))
    end_smp = float(probe.positions(np.array([n_beats], dtype=np.int64), fs_hz)[0])
    return _Piece(segment, start_smp, end_smp, first_beat, n_beats, bpm0, slope, end_bpm, nominal_end, muted)


def _place_segments(
    program: Program,
    first_segment: int,
    start_smp: float,
    first_beat: int,
    prev_bpm: float | None,
    offset_bpm: float,
    fs_hz: int,
) -> list[_Piece]:
    pieces: list[_Piece] = []
    for index in range(first_segment, len(program.segments)):
        seg = program.segments[index]
        if seg.is_rest:
            assert seg.duration_s is not None
            if prev_bpm is None:  # a rest before any tempo: plain silence of exactly its length
                end = start_smp + seg.duration_s * fs_hz
                pieces.append(_Piece(index, start_smp, end, first_beat, 0, 0.0, 0.0, 0.0, end, True))
                start_smp = end
                continue
            bpm0, slope, end_bpm, muted = prev_bpm, 0.0, prev_bpm, True
        else:
            assert seg.start_bpm is not None and seg.end_bpm is not None
            bpm0, end_bpm, muted = seg.start_bpm + offset_bpm, seg.end_bpm + offset_bpm, False
            slope = 0.0
            if seg.duration_s is not None and seg.end_bpm != seg.start_bpm:
                slope = (seg.end_bpm - seg.start_bpm) / seg.duration_s
        piece = _place(index, start_smp, first_beat, bpm0, slope, end_bpm, seg.duration_s, muted, fs_hz)
        pieces.append(piece)
        if piece.n_beats is None:
            break
        start_smp, first_beat, prev_bpm = piece.end_smp, first_beat + piece.n_beats, end_bpm
    return pieces


# ---------------------------------------------------------------------------------------------------------
# Sounds
# ---------------------------------------------------------------------------------------------------------


class ClickSound(enum.Enum):
    """The sound of one click."""

    CLICK = "click"  #: a short, bright tick (10 ms)
    BEEP = "beep"  #: a pure tone (50 ms)
    WOODBLOCK = "woodblock"  #: a woody knock: two damped partials (60 ms)

    @property
    def default_pitch_hz(self) -> float:
        """The pitch used when none is given."""
        return {"click": 2500.0, "beep": 880.0, "woodblock": 1000.0}[self.value]


#: (partial frequency ratio, relative amplitude, decay time constant s) per sound, and length in seconds
_SOUND_SPECS: dict[ClickSound, tuple[tuple[tuple[float, float, float], ...], float]] = {
    ClickSound.CLICK: (((1.0, 1.0, 0.0015), (2.3, 0.5, 0.0008)), 0.010),
    ClickSound.BEEP: (((1.0, 1.0, math.inf),), 0.050),
    ClickSound.WOODBLOCK: (((1.0, 1.0, 0.012), (2.63, 0.45, 0.005)), 0.060),
}
#: accented clicks sound a fifth higher
ACCENT_PITCH_RATIO = 1.5


def click_sound(sound: ClickSound, fs_hz: int, pitch_hz: float, level_db: float) -> np.ndarray:
    """Synthesise one click.

    Parameters
    ----------
    sound : ClickSound
        Which sound.
    fs_hz : int
        Sampling rate.
    pitch_hz : float
        Frequency of the fundamental partial.
    level_db : float
        Peak level in dB relative to full scale (<= 0).

    Returns
    -------
    ndarray, shape (n,), float32
        The click. Overtones at or above 0.45 ``fs_hz`` are left out (they would alias). Every partial
        starts in cosine phase with its envelope at 1, so sample 0 is the peak (``10 ** (level_db / 20)``):
        the onset is unambiguous to the sample. The last 20 % fade out with a half-cosine, so the click ends
        in silence; after it the track is exactly zero.
    """
    partials, length_s = _SOUND_SPECS[sound]
    n = max(8, round(length_s * fs_hz))
    t = np.arange(n) / fs_hz
    wave = np.zeros(n)
    for ratio, amp, decay_s in partials:
        if ratio > 1.0 and ratio * pitch_hz >= 0.45 * fs_hz:
            continue  # an overtone above the band would alias: leave it out
        env = np.ones(n) if math.isinf(decay_s) else np.exp(-t / decay_s)
        wave += amp * env * np.cos(2.0 * np.pi * ratio * pitch_hz * t)
    n_fade = max(2, n // 5)
    wave[n - n_fade :] *= 0.5 * (1.0 + np.cos(np.pi * np.arange(1, n_fade + 1) / (n_fade + 1)))
    wave *= 10.0 ** (level_db / 20.0) / wave[0]
    return wave.astype(np.float32)


@dataclass(frozen=True)
class ClickOptions:
    """How clicks sound and which beats click.

    Attributes
    ----------
    sound : ClickSound
        The click sound.
    pitch_hz : float or None
        Fundamental frequency; ``None`` for the sound's default (click 2500, beep 880, woodblock 1000 Hz).
        Accented clicks are a fifth higher (x1.5).
    level_db : float
        Peak level of a normal click in dBFS (-60..0).
    accent_every : int
        Accent every N-th click (counted from the first click of the session), 0 for no accents.
    accent_db : float
        How much louder an accented click is, in dB (the accent's peak must stay <= 0 dBFS).
    half_time : bool
        Click on every other beat (every other step), keeping the beat grid.
    """

    sound: ClickSound = ClickSound.WOODBLOCK
    pitch_hz: float | None = None
    level_db: float = -6.0
    accent_every: int = 0
    accent_db: float = 4.0
    half_time: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.sound, ClickSound):
            raise ParameterError(
                f"sound={self.sound!r} must be one of {', '.join(s.value for s in ClickSound)}"
            )
        if self.pitch_hz is not None and not (100.0 <= self.pitch_hz <= 5000.0):
            raise ParameterError(f"pitch_hz={self.pitch_hz:g} must be within 100-5000 Hz")
        if not -60.0 <= self.level_db <= 0.0:
            raise ParameterError(f"level_db={self.level_db:g} must be within -60..0 dBFS")
        if not (isinstance(self.accent_every, int) and self.accent_every >= 0):
            raise ParameterError(
                f"accent_every={self.accent_every!r} must be an integer >= 0 (0: no accents)"
            )
        if not 0.0 <= self.accent_db <= 20.0:
            raise ParameterError(f"accent_db={self.accent_db:g} must be within 0..20 dB")
        if self.accent_every and self.level_db + self.accent_db > 0.0:
            raise ParameterError(
                f"level_db + accent_db = {self.level_db + self.accent_db:g} dBFS would clip: lower either"
            )

    @property
    def pitch(self) -> float:
        """The fundamental frequency in Hz actually used."""
        return self.sound.default_pitch_hz if self.pitch_hz is None else float(self.pitch_hz)


# ---------------------------------------------------------------------------------------------------------
# Click track
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrackPosition:
    """Where a session is at one sample: for status lines.

    Attributes
    ----------
    segment : int
        0-based index of the segment (repeats expanded).
    n_segments : int
        Number of segments in the program.
    segment_text : str
        The segment as written.
    tempo_bpm : float
        Tempo at that point (including nudges); for a rest, the tempo of its silent grid.
    muted : bool
        Whether the segment is a rest.
    beat : int
        Global index of the last beat at or before the sample.
    """

    segment: int
    n_segments: int
    segment_text: str
    tempo_bpm: float
    muted: bool
    beat: int


@dataclass(frozen=True)
class ClickTrack:
    """A click track that renders any block of samples on demand, exactly the same however it is cut.

    Build it with :func:`click_track`. ``render(a, b)`` returns samples ``[a, b)`` of the session; rendering
    ``[0, n)`` in one go or in any number of blocks gives identical samples.

    Attributes
    ----------
    program : Program
        The tempo program.
    fs_hz : int
        Sampling rate.
    options : ClickOptions
        Sound and accent options.
    n_samples : int or None
        Length of the session in samples (``None``: open-ended, runs until stopped).
    offset_bpm : float
        Sum of the tempo nudges applied so far (see :meth:`nudged`).
    """

    program: Program
    fs_hz: int
    options: ClickOptions
    n_samples: int | None
    offset_bpm: float = 0.0
    _limit: int | None = field(default=None, repr=False, compare=False)
    _pieces: tuple[_Piece, ...] = field(default=(), repr=False, compare=False)
    _waves: tuple[np.ndarray, np.ndarray] = field(
        default=(np.zeros(0), np.zeros(0)), repr=False, compare=False
    )
    _ends: tuple[float, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # piece ends, increasing: a block finds its first piece by bisection (programs may have many segments)
        object.__setattr__(self, "_ends", tuple(p.end_smp for p in self._pieces))

    @property
    def duration_s(self) -> float | None:
        """Session length in seconds, or ``None`` when open-ended."""
        return None if self.n_samples is None else self.n_samples / self.fs_hz

    @property
    def max_click_len(self) -> int:
        """Length in samples of the longest click sound."""
        return max(len(w) for w in self._waves)

    def beats(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every beat of the grid whose onset falls in ``[start, stop)``, clicked or not.

        Returns
        -------
        onsets : ndarray of int64
            Onset sample indices, increasing.
        beat : ndarray of int64
            Global beat index of each.
        muted : ndarray of bool
            True for beats in a rest.
        """
        start, stop = int(start), int(stop)
        if self.n_samples is not None:
            stop = min(stop, self.n_samples)
        return _beats_in_pieces(self._pieces, self._ends, start, stop, self.fs_hz)

    def onsets(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the audible clicks whose onset falls in ``[start, stop)``.

        Returns
        -------
        onsets : ndarray of int64
            Onset sample indices, increasing.
        accent : ndarray of bool
            Whether each click is accented.
        """
        onsets, beat, muted = self.beats(start, stop)
        keep = ~muted
        click_index = beat
        if self.options.half_time:
            keep &= beat % 2 == 0
            click_index = beat // 2
        accent = np.zeros(len(onsets), dtype=bool)
        if self.options.accent_every:
            accent = click_index % self.options.accent_every == 0
        return onsets[keep], accent[keep]

    def render(self, start: int, stop: int) -> np.ndarray:
        """Synthesise samples ``[start, stop)`` of the session (zeros before 0 and after the end).

        Returns
        -------
        ndarray, shape (stop - start,), float32
        """
        start, stop = int(start), int(stop)
        out = np.zeros(max(0, stop - start), dtype=np.float32)
        if stop <= start:
            return out
        onsets, accent = self.onsets(start - self.max_click_len + 1, stop)
        normal, accented = self._waves
        for onset, acc in zip(onsets.tolist(), accent.tolist(), strict=True):
            wave = accented if acc else normal
            rel = onset - start
            lo, hi = max(0, -rel), min(len(wave), stop - start - rel)
            if hi > lo:
                out[rel + lo : rel + hi] += wave[lo:hi]
        if self.n_samples is not None and stop > self.n_samples:
            out[max(0, self.n_samples - start) :] = 0.0
        return out

    def cue_changes(self) -> tuple[tuple[int, bool], ...]:
        """Where the clicks stop or come back: ``(sample, cue_on)`` at each switch between clicks and rest.

        ``sample`` is the first (silent or clicked) beat of the new block, on the sample grid; ``cue_on`` is
        True where the clicks come back (a rest, or the lead-in silence, ends). Switches at or after the end
        of the session are left out.
        """
        out: list[tuple[int, bool]] = []
        muted = self._pieces[0].muted if self._pieces else False
        for piece in self._pieces[1:]:
            if piece.muted != muted:
                sample = int(_onset(np.array([piece.start_smp]))[0])
                if self.n_samples is None or sample < self.n_samples:
                    out.append((sample, not piece.muted))
                muted = piece.muted
        return tuple(out)

    def position(self, sample: int) -> TrackPosition:
        """Segment, tempo and beat at ``sample``."""
        piece = self._pieces[-1]
        for p in self._pieces:
            if p.end_smp > sample:
                piece = p
                break
        t_s = max(0.0, (sample - piece.start_smp) / self.fs_hz)
        beat = piece.first_beat + max(0, math.floor(float(piece.beats_at(t_s)) + 1e-9))
        if piece.n_beats is not None:
            beat = min(beat, piece.first_beat + max(0, piece.n_beats - 1))
        seg = self.program.segments[piece.segment]
        return TrackPosition(
            piece.segment,
            len(self.program.segments),
            seg.text,
            piece.tempo_at(t_s) if piece.n_beats != 0 else math.nan,
            piece.muted,
            beat,
        )

    def nudged(self, at_sample: int, delta_bpm: float) -> ClickTrack:
        """Return the session with the tempo changed by ``delta_bpm`` from the first beat at/after a sample.

        Everything before that beat is unchanged (sample for sample); from it on, the grid is re-anchored at
        that beat's exact position with the nudged tempo, and every later segment is shifted by the same
        amount, so the clicks stay sample-accurate from the nudge on.

        Raises
        ------
        ParameterError
            When a nudged tempo would leave the allowed range.
        """
        pieces = _nudge_pieces(self.program, self._pieces, at_sample, delta_bpm, self.offset_bpm, self.fs_hz)
        if pieces is None:
            return self  # the session is over: nothing to nudge
        return self._with(pieces, self.offset_bpm + delta_bpm)

    def _with(self, pieces: tuple[_Piece, ...], offset_bpm: float) -> ClickTrack:
        for p in pieces:
            if p.n_beats != 0 and not p.muted:
                check_bpm(p.bpm0, " after the nudge")
                check_bpm(p.end_bpm, " after the nudge")
        n_samples = _session_samples(pieces, self._limit)
        return ClickTrack(
            self.program, self.fs_hz, self.options, n_samples, offset_bpm, self._limit, pieces, self._waves
        )


def _beats_in_pieces(
    pieces: tuple[_Piece, ...], ends: tuple[float, ...], start: int, stop: int, fs: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Onsets, global beat indices and muted flags of every beat in ``[start, stop)``, over all pieces."""
    outs: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    if stop > start:
        first = bisect.bisect_right(ends, start - 1.0)  # pieces are in order: bisect to the first one
        for piece in pieces[max(0, first - 1) :]:
            if piece.start_smp - 1.0 >= stop:
                break
            if piece.end_smp + 1.0 <= start or piece.n_beats == 0:
                continue
            outs.append(piece.beats_in(start, stop, fs))
    if not outs:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), np.zeros(0, dtype=bool)
    return (
        np.concatenate([o[0] for o in outs]),
        np.concatenate([o[1] for o in outs]),
        np.concatenate([o[2] for o in outs]),
    )


def _nudge_pieces(
    program: Program,
    pieces: tuple[_Piece, ...],
    at_sample: int,
    delta_bpm: float,
    offset_bpm: float,
    fs: int,
) -> tuple[_Piece, ...] | None:
    """Re-place the pieces with the tempo changed by ``delta_bpm`` from the first beat at/after a sample.

    Returns ``None`` when the session is over (no beat left to nudge).
    """
    for index, piece in enumerate(pieces):
        if piece.end_smp <= at_sample and piece.n_beats is not None:
            continue
        if piece.n_beats == 0:  # silence before the first tempo: shift everything after it
            rest = _place_segments(
                program, piece.segment + 1, piece.end_smp, piece.first_beat, None,
                offset_bpm + delta_bpm, fs,
            )  # fmt: skip
            return pieces[: index + 1] + tuple(rest)
        # first local beat with onset >= at_sample
        t_s = max(0.0, (at_sample - 1.0 - piece.start_smp) / fs)
        j = max(0, math.floor(float(piece.beats_at(t_s))) - 1)
        while piece.onsets(np.array([j], dtype=np.int64), fs)[0] < at_sample:
            j += 1
        if piece.n_beats is not None and j >= piece.n_beats:
            continue
        anchor = float(piece.positions(np.array([j], dtype=np.int64), fs)[0])
        t_j = (anchor - piece.start_smp) / fs
        bpm0 = piece.tempo_at(t_j) + delta_bpm
        check_bpm(bpm0, " after the nudge")
        remaining_s = None if math.isinf(piece.nominal_end_smp) else (piece.nominal_end_smp - anchor) / fs
        slope = piece.slope if remaining_s is not None and t_j < piece.ramp_s else 0.0
        head = list(pieces[:index])
        if j > 0:
            head.append(_place_truncated(piece, j, anchor))
        new = _place(
            piece.segment, anchor, piece.first_beat + j, bpm0, slope, piece.end_bpm + delta_bpm,
            remaining_s, piece.muted, fs,
        )  # fmt: skip
        tail: list[_Piece] = []
        if new.n_beats is not None:
            check_bpm(new.end_bpm, " after the nudge")
            tail = _place_segments(
                program, piece.segment + 1, new.end_smp, new.first_beat + new.n_beats, new.end_bpm,
                offset_bpm + delta_bpm, fs,
            )  # fmt: skip
        return tuple(head) + (new,) + tuple(tail)
    return None  # the session is over: nothing to nudge


def _session_samples(pieces: tuple[_Piece, ...], limit: int | None) -> int | None:
    end_smp = pieces[-1].end_smp
    n_samples = None if math.isinf(end_smp) else int(math.floor(end_smp + 0.5))
    if limit is not None:
        n_samples = limit if n_samples is None else min(n_samples, limit)
    return n_samples


def _place_truncated(piece: _Piece, n_beats: int, end_smp: float) -> _Piece:
    return _Piece(
        piece.segment, piece.start_smp, end_smp, piece.first_beat, n_beats, piece.bpm0, piece.slope,
        piece.end_bpm, piece.nominal_end_smp, piece.muted,
    )  # fmt: skip


def click_track(
    program: Program | str | float,
    fs_hz: int,
    options: ClickOptions | None = None,
    duration_s: float | None = None,
) -> ClickTrack:
    """Build a sample-accurate click track.

    Parameters
    ----------
    program : Program, str or float
        A tempo in BPM (open-ended), a program in the notation of ``docs/metronome.md``, or a parsed
        :class:`Program`.
    fs_hz : int
        Sampling rate (8000-384000 Hz).
    options : ClickOptions, optional
        Sound, accents and half-time.
    duration_s : float, optional
        Stop after this many seconds (rounded to the nearest sample). Without it the session lasts as long as
        the program (segments end on whole beats), or is open-ended for an open-ended program.

    Returns
    -------
    ClickTrack
        Render blocks with :meth:`ClickTrack.render`.

    Raises
    ------
    ParameterError
        For an invalid program, sampling rate, duration or option.

    Notes
    -----
    Beat ``k`` of a segment starting at exact position ``s0`` (samples, fractional) lies at
    ``floor(s0 + fs * tau_k + 1/2)`` where ``tau_k`` solves ``(b0 tau + s tau^2 / 2) / 60 = k`` (``b0`` the
    segment's starting tempo, ``s`` its ramp slope in BPM/s): the integral of the tempo, so a linear BPM ramp
    has a linearly changing period only approximately, and a constant tempo gives ``k * 60 * fs / bpm``
    exactly. Positions are computed from the segment's start, never accumulated beat by beat; only segment
    starts (one per segment) carry float rounding (~1e-8 samples).
    """
    if (
        isinstance(fs_hz, bool)
        or not isinstance(fs_hz, int | np.integer)
        or not MIN_FS_HZ <= fs_hz <= MAX_FS_HZ
    ):
        raise ParameterError(f"{fs_hz=} must be an integer sampling rate within {MIN_FS_HZ}-{MAX_FS_HZ} Hz")
    fs_hz = int(fs_hz)
    options = ClickOptions() if options is None else options
    if isinstance(program, str):
        program = parse_program(program)
    elif not isinstance(program, Program):
        program = Program.constant(float(program))
    if all(seg.is_rest for seg in program.segments):
        # a silent session is a valid plan (faded feedback), but there is nothing to play
        raise ParameterError(
            f"program {program.text!r} has only rests: nothing to play; give at least one tempo"
        )
    pitch = options.pitch
    if pitch * (ACCENT_PITCH_RATIO if options.accent_every else 1.0) >= 0.45 * fs_hz:
        raise ParameterError(
            f"pitch {pitch:g} Hz is too high for {fs_hz} Hz sampling: its partials would alias; "
            "lower --pitch or raise the sampling rate"
        )
    pieces = tuple(_place_segments(program, 0, 0.0, 0, None, 0.0, fs_hz))
    limit = None
    if duration_s is not None:
        if not (math.isfinite(duration_s) and duration_s > 0):
            raise ParameterError(f"{duration_s=} must be > 0 seconds")
        if duration_s > MAX_PROGRAM_S:  # an export of weeks would fill the disk
            raise ParameterError(
                f"duration {duration_s / 3600:.1f} h is too long; the limit is {MAX_PROGRAM_S / 3600:g} h"
            )
        limit = max(1, int(math.floor(duration_s * fs_hz + 0.5)))
    normal = click_sound(options.sound, fs_hz, pitch, options.level_db)
    accented = click_sound(
        options.sound, fs_hz, pitch * ACCENT_PITCH_RATIO, options.level_db + options.accent_db
    )
    n_samples = _session_samples(pieces, limit)
    return ClickTrack(program, fs_hz, options, n_samples, 0.0, limit, pieces, (normal, accented))
