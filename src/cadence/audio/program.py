"""The tempo-program notation of the metronome, plans and checks: parsed once, here.

The notation (``docs/metronome.md``)::

    program  := item ("," item)*
    item     := COUNT "x" "(" program ")"        repeat, e.g. 3x(4m@172, 1m@rest)
              | DURATION "@" TEMPO               a segment, e.g. 5m@160, 90s@172, 10m@160->172
              | BPM                              open-ended last segment, e.g. 172
    DURATION := 1h | 5m | 90s | 2.5m | 1m30s | 1:30 | 1:00:00   (cadence._timefmt.parse_duration_s)
    TEMPO    := BPM | BPM->BPM (linear ramp over the segment) | rest (silence, the beat grid goes on)

Pure: text in, a frozen :class:`Program` out. :mod:`cadence.audio.clicks` places it on the sample grid;
:mod:`cadence.coach.plan` writes sessions in it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .._timefmt import DURATION_PATTERN, parse_duration_s
from ..errors import ParameterError

__all__ = [
    "MAX_BPM",
    "MAX_PROGRAM_S",
    "MIN_BPM",
    "Program",
    "Repeat",
    "Segment",
    "check_bpm",
    "expand_blocks",
    "parse_program",
    "parse_program_blocks",
]

MIN_BPM = 30.0
MAX_BPM = 300.0
#: longest program accepted (nominal), in seconds
MAX_PROGRAM_S = 24 * 3600.0
MAX_SEGMENTS = 10000


@dataclass(frozen=True)
class Segment:
    """One segment of a tempo program.

    Attributes
    ----------
    duration_s : float or None
        Nominal length in seconds; ``None`` for an open-ended last segment (runs until stopped).
        A segment really lasts a whole number of beats: it ends on the first beat of its own grid at or after
        ``duration_s``, and the next segment's first beat falls exactly there (no stumble at the seam).
    start_bpm, end_bpm : float or None
        Tempo at the start and at the nominal end (equal for a constant tempo, linear in time between them
        for a ramp). ``None`` for a rest, which keeps the tempo the previous segment ended on.
    text : str
        The segment as written, for status lines (``"4m@172"``).
    """

    duration_s: float | None
    start_bpm: float | None
    end_bpm: float | None
    text: str

    @property
    def is_rest(self) -> bool:
        """Whether the segment is silent (``rest``)."""
        return self.start_bpm is None


@dataclass(frozen=True)
class Program:
    """A flat sequence of segments (repeats expanded), as parsed from the program notation.

    Attributes
    ----------
    segments : tuple of Segment
        At least one; only the last may be open-ended.
    text : str
        The program as written.
    """

    segments: tuple[Segment, ...]
    text: str

    def __post_init__(self) -> None:
        if not self.segments:
            raise ParameterError("a program needs at least one segment")
        for seg in self.segments[:-1]:
            if seg.duration_s is None:
                raise ParameterError(
                    f"only the last segment may be open-ended: give {seg.text!r} a duration "
                    f"(e.g. 5m@{seg.text})"
                )

    @property
    def duration_s(self) -> float | None:
        """Nominal length in seconds (sum of the segments' durations), or ``None`` when open-ended."""
        if self.segments[-1].duration_s is None:
            return None
        return float(sum(seg.duration_s for seg in self.segments if seg.duration_s is not None))

    @classmethod
    def constant(cls, bpm: float) -> Program:
        """Build an open-ended program at one tempo."""
        check_bpm(bpm)
        text = f"{bpm:g}"
        return cls((Segment(None, float(bpm), float(bpm), text),), text)

    @classmethod
    def ramp(cls, from_bpm: float, to_bpm: float, ramp_s: float) -> Program:
        """Build a linear ramp ``from_bpm`` -> ``to_bpm`` over ``ramp_s`` s, then ``to_bpm`` open-ended."""
        for bpm in (from_bpm, to_bpm):
            check_bpm(bpm)
        if not (math.isfinite(ramp_s) and ramp_s > 0):
            raise ParameterError(f"{ramp_s=} must be > 0 seconds")
        text = f"{_format_duration(ramp_s)}@{from_bpm:g}->{to_bpm:g}, {to_bpm:g}"
        return cls(
            (
                Segment(float(ramp_s), float(from_bpm), float(to_bpm), text.split(", ")[0]),
                Segment(None, float(to_bpm), float(to_bpm), f"{to_bpm:g}"),
            ),
            text,
        )


@dataclass(frozen=True)
class Repeat:
    """``COUNT x (...)`` in a program, kept as written (:func:`parse_program_blocks`).

    Attributes
    ----------
    count : int
        How many times the body runs in all (``3x(...)`` runs it three times), >= 1.
    body : tuple of Segment or Repeat
        The blocks inside the parentheses, in order; a repeat may hold repeats.
    text : str
        The repeat as written (``"3x(4m@172, 1m@rest)"``).
    """

    count: int
    body: tuple[Segment | Repeat, ...]
    text: str

    def expanded(self) -> tuple[Segment, ...]:
        """Return the body's segments, ``count`` times over (inner repeats expanded too)."""
        return expand_blocks(self.body) * self.count


def expand_blocks(blocks: tuple[Segment | Repeat, ...]) -> tuple[Segment, ...]:
    """Flatten blocks from :func:`parse_program_blocks` into the segments they play, in order."""
    out: list[Segment] = []
    for block in blocks:
        out.extend(block.expanded() if isinstance(block, Repeat) else (block,))
    return tuple(out)


def check_bpm(bpm: float, where: str = "") -> None:
    """Raise :class:`ParameterError` unless ``bpm`` is a tempo the metronome plays (30-300 BPM)."""
    if not (math.isfinite(bpm) and MIN_BPM <= bpm <= MAX_BPM):
        raise ParameterError(f"tempo {bpm:g} BPM{where} is outside {MIN_BPM:g}-{MAX_BPM:g} BPM")


def _format_duration(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    return f"{seconds:g}s"


class _Parser:
    """Recursive-descent parser for the program notation; errors name the column and what was expected."""

    _RE_DURATION = re.compile(DURATION_PATTERN, re.IGNORECASE)
    _RE_NUMBER = re.compile(r"\d+(?:\.\d*)?|\.\d+")
    _RE_REPEAT = re.compile(r"(\d+)\s*[x×*]\s*\(", re.IGNORECASE)
    _RE_REST = re.compile(r"(?:rest|silent|silence)\b", re.IGNORECASE)

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.n_segments = 0

    def fail(self, expected: str, at: int | None = None) -> ParameterError:
        at = self.i if at is None else at
        rest = self.text[at:]
        found = repr(rest[:12] + ("..." if len(rest) > 12 else "")) if rest.strip() else "the end"
        return ParameterError(f"program {self.text!r}, column {at + 1}: expected {expected}, found {found}")

    def skip_ws(self) -> None:
        while self.i < len(self.text) and self.text[self.i].isspace():
            self.i += 1

    def peek(self, s: str) -> bool:
        self.skip_ws()
        return self.text.startswith(s, self.i)

    def parse(self) -> list[Segment | Repeat]:
        blocks = self.program(depth=0)
        self.skip_ws()
        if self.i != len(self.text):
            raise self.fail("',' between segments")
        return blocks

    def program(self, depth: int) -> list[Segment | Repeat]:
        blocks = self.item(depth)
        while self.peek(","):
            self.i += 1
            blocks += self.item(depth)
        return blocks

    def item(self, depth: int) -> list[Segment | Repeat]:
        self.skip_ws()
        start = self.i
        if m := self._RE_REPEAT.match(self.text, self.i):
            count = int(m.group(1))
            if count < 1:
                raise self.fail("a repeat count >= 1", at=start)
            self.i = m.end()
            before = self.n_segments
            inner = self.program(depth + 1)
            if not self.peek(")"):
                raise self.fail(f"')' closing the repeat opened at column {start + 1}")
            self.i += 1
            n_inner = self.n_segments - before
            if n_inner * count + before > MAX_SEGMENTS:
                raise ParameterError(f"program {self.text!r} expands to more than {MAX_SEGMENTS} segments")
            self.n_segments += n_inner * (count - 1)
            return [Repeat(count, tuple(inner), self.text[start : self.i].strip())]
        return [self.segment()]

    def segment(self) -> Segment:
        self.skip_ws()
        start = self.i
        m = self._RE_DURATION.match(self.text, self.i)
        if m and self.text.startswith("@", m.end()):
            duration_s = parse_duration_s(m.group(0))
            if not duration_s > 0:
                raise self.fail("a duration > 0", at=start)
            self.i = m.end() + 1
        else:
            num = self._RE_NUMBER.match(self.text, self.i)
            if num and self.text.startswith("@", num.end()):
                raise self.fail("a unit on the duration (e.g. 5m or 30s)", at=num.end())
            duration_s = None
        start_bpm, end_bpm = self.tempo(has_duration=duration_s is not None)
        self.n_segments += 1
        if self.n_segments > MAX_SEGMENTS:
            raise ParameterError(f"program {self.text!r} expands to more than {MAX_SEGMENTS} segments")
        return Segment(duration_s, start_bpm, end_bpm, self.text[start : self.i].strip())

    def tempo(self, has_duration: bool) -> tuple[float | None, float | None]:
        self.skip_ws()
        where = self.i
        if m := self._RE_REST.match(self.text, self.i):
            if not has_duration:
                raise self.fail("a duration before a rest (e.g. 1m@rest)", at=where)
            self.i = m.end()
            return None, None
        expected = "a tempo (BPM like 172, a ramp like 160->172, or rest)"
        if not has_duration:
            expected = "a segment (DURATION@TEMPO like 5m@160, a repeat like 3x(...), or a BPM like 172)"
        m = self._RE_NUMBER.match(self.text, self.i)
        if not m:
            raise self.fail(expected)
        start_bpm = float(m.group(0))
        self.i = m.end()
        self.skip_ws()
        end_bpm, where_end = start_bpm, where
        if self.text.startswith("->", self.i):
            self.i += 2
            self.skip_ws()
            where_end = self.i
            m = self._RE_NUMBER.match(self.text, self.i)
            if not m:
                raise self.fail("the ramp's final BPM after '->'")
            end_bpm = float(m.group(0))
            self.i = m.end()
            self.skip_ws()
            if not has_duration:
                raise self.fail("a duration before a ramp (e.g. 10m@160->172)", at=where)
        if self.i < len(self.text) and self.text[self.i] not in ",)":
            raise self.fail("',' or the end after the tempo")
        _check_bpm_at(self, start_bpm, where)
        _check_bpm_at(self, end_bpm, where_end)
        return start_bpm, end_bpm


def _check_bpm_at(parser: _Parser, bpm: float, at: int) -> None:
    if not MIN_BPM <= bpm <= MAX_BPM:
        raise ParameterError(
            f"program {parser.text!r}, column {at + 1}: tempo {bpm:g} BPM is outside {MIN_BPM:g}-{MAX_BPM:g}"
        )


def parse_program(text: str) -> Program:
    """Parse a tempo program such as ``"5m@160, 3x(4m@172, 1m@rest), 5m@172->160"``.

    Parameters
    ----------
    text : str
        The program in the notation of ``docs/metronome.md``: comma-separated ``DURATION@TEMPO`` segments,
        ``COUNT x (...)`` repeats, ``rest`` for silent segments, ``A->B`` for linear ramps, and optionally a
        bare BPM as an open-ended last segment.

    Returns
    -------
    Program
        The expanded segments.

    Raises
    ------
    ParameterError
        With the column and what was expected, when ``text`` is not a valid program.
    """
    return Program(expand_blocks(parse_program_blocks(text)), text)


def parse_program_blocks(text: str) -> tuple[Segment | Repeat, ...]:
    """Parse a tempo program keeping its repeats, for writers that have repeats of their own (FIT workouts).

    Parameters
    ----------
    text : str
        The program, in the notation of :func:`parse_program`.

    Returns
    -------
    tuple of Segment or Repeat
        The top-level blocks as written; :func:`expand_blocks` gives the segments :func:`parse_program` gives.

    Raises
    ------
    ParameterError
        Exactly as :func:`parse_program` does.
    """
    if not text.strip():
        raise ParameterError("program is empty: give segments like '5m@160, 20m@172'")
    blocks = tuple(_Parser(text).parse())
    segments = expand_blocks(blocks)
    Program(segments, text)  # only the last segment may be open-ended
    total = sum(s.duration_s or 0.0 for s in segments)
    if total > MAX_PROGRAM_S:
        raise ParameterError(
            f"program {text!r} lasts {total / 3600:.1f} h; the limit is {MAX_PROGRAM_S / 3600:g} h"
        )
    return blocks
