"""A live session, pure: chunks in; steps, the smoothed cadence, band state, cue and the saved rows out.

No I/O and no clock of its own: the caller (``cadence live``) feeds the source's chunks and asks for the state
at the stream's newest time. The cue logic is a small state machine (:class:`CueMachine`) so each feedback
mode is tested second by second.

Feedback modes (``--cue``):

- ``always``: the metronome plays the whole session.
- ``off-band`` (default): *bandwidth feedback* (Sherwood 1988; Winstein & Schmidt 1990 on reduced-frequency
  feedback): the cue comes on once the cadence has been out of the band for ``on_after_s`` (10 s) and goes
  off once it has been back in for ``off_after_s`` (20 s). Seconds without stepping count neither way.
- ``plan`` (``--plan plan.json --session N``): the session's program: cued blocks play, the warm-up is
  silent, and inside the silent blocks the off-band rule applies (the runner holds the cadence alone and
  is only reminded when it drifts out of the band).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ..coach.band import TargetBand
from ..coach.plan import ProgramSegment
from ..errors import ParameterError
from ..gait.streaming import StreamingStepDetector, StreamOptions
from .sources import AccelChunk, CadenceChunk

__all__ = [
    "BandState",
    "CueMachine",
    "CueMode",
    "CueOptions",
    "LiveSession",
    "LiveState",
    "SecondRow",
    "band_state",
    "format_live_line",
]


class CueMode(enum.Enum):
    """When the metronome plays (see the module docstring)."""

    ALWAYS = "always"
    OFF_BAND = "off-band"
    PLAN = "plan"


class BandState(enum.Enum):
    """Where the smoothed cadence is relative to the band."""

    BELOW = "below"
    IN = "in"
    ABOVE = "above"
    NONE = "none"  # not stepping (or no reading yet)


def band_state(cadence_spm: float, band: TargetBand) -> BandState:
    """Classify a cadence (NaN or 0: not stepping) against the band (inclusive)."""
    if not (math.isfinite(cadence_spm) and cadence_spm > 0):
        return BandState.NONE
    if cadence_spm < band.low_spm:
        return BandState.BELOW
    if cadence_spm > band.high_spm:
        return BandState.ABOVE
    return BandState.IN


@dataclass(frozen=True)
class CueOptions:
    """How the cue is decided.

    Parameters
    ----------
    mode : CueMode
        ``always``, ``off-band`` or ``plan``.
    on_after_s : float
        Off-band: seconds out of the band before the cue comes on.
    off_after_s : float
        Off-band: seconds back in the band before it goes off.
    segments : tuple of ProgramSegment
        Plan mode: the session program's blocks (``cadence.coach.plan.parse_program``).

    """

    mode: CueMode = CueMode.OFF_BAND
    on_after_s: float = 10.0
    off_after_s: float = 20.0
    segments: tuple[ProgramSegment, ...] = ()

    def __post_init__(self) -> None:
        if not (0 <= self.on_after_s <= 600 and 0 <= self.off_after_s <= 600):
            raise ParameterError(
                f"on_after_s={self.on_after_s}, off_after_s={self.off_after_s}: need 0-600 s"
            )
        if self.mode is CueMode.PLAN and not self.segments:
            raise ParameterError("the plan cue mode needs the session's program segments")


class CueMachine:
    """The cue state, advanced one step (normally one second) at a time.

    Parameters
    ----------
    options : CueOptions
        Mode and timings.

    """

    def __init__(self, options: CueOptions | None = None) -> None:
        self.options = options if options is not None else CueOptions()
        self.on = self.options.mode is CueMode.ALWAYS
        self._out_s = 0.0
        self._in_s = 0.0
        self._role: str | None = None

    def block(self, t_s: float) -> ProgramSegment | None:
        """Return the plan block that holds session time ``t_s`` (None outside the program or plan)."""
        for seg in self.options.segments:
            if seg.start_s <= t_s < seg.end_s:
                return seg
        return None

    def _off_band(self, state: BandState, dt_s: float) -> bool:
        opt = self.options
        if state in (BandState.BELOW, BandState.ABOVE):
            self._out_s += dt_s
            self._in_s = 0.0
        elif state is BandState.IN:
            self._in_s += dt_s
            self._out_s = 0.0
        if not self.on and self._out_s >= opt.on_after_s:
            self.on = True
        elif self.on and self._in_s >= opt.off_after_s:
            self.on = False
        return self.on

    def step(self, t_s: float, state: BandState, dt_s: float = 1.0) -> bool:
        """Advance to session time ``t_s`` with the band state of the last ``dt_s``; return whether cued."""
        mode = self.options.mode
        if mode is CueMode.ALWAYS:
            self.on = True
            return True
        if mode is CueMode.PLAN:
            seg = self.block(t_s)
            role = seg.role if seg is not None else "after"
            if role != self._role:  # a new block starts with its own cue and fresh counters
                self._out_s = self._in_s = 0.0
                self.on = role == "cued"
                self._role = role
            if role == "cued":
                return True
            if role == "warmup":
                return False
        return self._off_band(state, dt_s)


@dataclass(frozen=True)
class SecondRow:
    """One second of the session log (``--log``)."""

    t_s: float
    cadence_spm: float
    band: BandState
    cue: bool
    tempo_bpm: float


@dataclass(frozen=True)
class LiveState:
    """What the live line shows."""

    elapsed_s: float
    cadence_spm: float
    band: BandState
    cue: bool
    tempo_bpm: float
    n_steps: int
    block: str | None = None


def format_live_line(state: LiveState, target: TargetBand, status: str | None = None) -> str:
    """Return the one live line: elapsed time, smoothed cadence, the band, in/below/above, cue, steps."""
    from .._timefmt import format_duration

    clock = format_duration(float(int(state.elapsed_s)))
    cad = f"{state.cadence_spm:5.1f} spm" if state.band is not BandState.NONE else "    - spm"
    where = {
        BandState.IN: "in band",
        BandState.BELOW: "BELOW  ",
        BandState.ABOVE: "ABOVE  ",
        BandState.NONE: "no steps",
    }[state.band]
    cue = f"cue ON {state.tempo_bpm:g} bpm" if state.cue else "cue off"
    line = f"{clock:>7}  {cad}  band {target.label}  {where:<8}  {cue}  {state.n_steps} steps"
    if state.block:
        line += f"  [{state.block}]"
    if status:
        line += f"  | {status}"
    return line


@dataclass
class _Readings:
    t: list[float] = field(default_factory=list)
    spm: list[float] = field(default_factory=list)


class LiveSession:
    """Steps, cadence and cue of one live session.

    Parameters
    ----------
    band : TargetBand
        The target band.
    cue : CueOptions
        When the metronome plays.
    tempo_bpm : float
        Metronome tempo when cued (a plan's cued blocks use their own tempo).
    stream : StreamOptions, optional
        Options of the streaming step detector.
    smooth_s : float
        The displayed cadence is taken over this many seconds.

    Notes
    -----
    Session time 0 is the first sample. Accelerometer chunks go through
    :class:`~cadence.gait.streaming.StreamingStepDetector`; cadence chunks (footpods, replayed activities)
    are used as they come.

    """

    def __init__(
        self,
        band: TargetBand,
        cue: CueOptions | None = None,
        tempo_bpm: float | None = None,
        *,
        stream: StreamOptions | None = None,
        smooth_s: float = 4.0,
    ) -> None:
        self.band = band
        self.cue = CueMachine(cue)
        self.tempo_bpm = float(tempo_bpm) if tempo_bpm is not None else float(round(band.center_spm))
        self._stream_options = stream
        self.smooth_s = smooth_s
        self.detector: StreamingStepDetector | None = None
        self._readings = _Readings()
        self._t_first: float | None = None  # source time of the first sample (session time 0)
        self._latest = 0.0  # session time of the newest sample
        self.rows: list[SecondRow] = []
        self.kind: str | None = None  # "accel" or "cadence"

    # -- input -----------------------------------------------------------------------------------------------

    def add(self, chunk: AccelChunk | CadenceChunk, arrival_s: float | None = None) -> None:
        """Take one chunk from the source."""
        if isinstance(chunk, AccelChunk):
            if self.detector is None:
                self.kind = "accel"
                self.detector = StreamingStepDetector(
                    self._stream_options, gravity_included=chunk.gravity_included
                )
            ok = np.isfinite(chunk.t_s)
            if self._t_first is None:
                if not ok.any():
                    return
                self._t_first = float(np.min(chunk.t_s[ok]))
            self.detector.feed(chunk.t_s - self._t_first, chunk.acc_ms2, arrival_s=arrival_s)
            if math.isfinite(self.detector.latest_s):
                self._latest = max(self._latest, self.detector.latest_s)
        else:
            self.kind = self.kind or "cadence"
            t = np.asarray(chunk.t_s, dtype=np.float64)
            ok = np.isfinite(t)
            if not ok.any():
                return
            if self._t_first is None:
                self._t_first = float(t[ok].min())
            ts = t[ok] - self._t_first
            new = ts > (self._readings.t[-1] if self._readings.t else -math.inf)
            self._readings.t.extend(ts[new].tolist())
            self._readings.spm.extend(np.asarray(chunk.cadence_spm, dtype=np.float64)[ok][new].tolist())
            if self._readings.t:
                self._latest = max(self._latest, self._readings.t[-1])

    def finish(self) -> None:
        """End of the session: settle the last steps and log the last whole seconds."""
        if self.detector is not None:
            self.detector.flush()
        self.tick()

    # -- state -----------------------------------------------------------------------------------------------

    @property
    def elapsed_s(self) -> float:
        """Session time of the newest sample."""
        return self._latest

    def cadence_at(self, t_s: float) -> float:
        """Smoothed cadence at session time ``t_s`` (NaN: not stepping), from what is known now."""
        if self.detector is not None:
            st = self.detector.step_times_s
            i1 = int(np.searchsorted(st, t_s, side="right"))
            i0 = int(np.searchsorted(st, t_s - self.smooth_s, side="right"))
            w = st[i0:i1]
            if len(w) < 3:
                return float("nan")
            period = (w[-1] - w[0]) / (len(w) - 1)
            if t_s - w[-1] > max(1.5, 2.5 * period):  # stopped
                return float("nan")
            return 60.0 / period
        rt = np.asarray(self._readings.t)
        if not len(rt):
            return float("nan")
        i1 = int(np.searchsorted(rt, t_s, side="right"))
        i0 = int(np.searchsorted(rt, t_s - self.smooth_s, side="right"))
        vals = np.asarray(self._readings.spm[i0:i1])
        vals = vals[np.isfinite(vals)]
        if not len(vals) or np.median(vals) <= 0:
            return float("nan")
        return float(np.median(vals))

    def tick(self) -> LiveState:
        """Log every whole second up to the newest sample; return the state to show."""
        upto = int(math.floor(self._latest))
        while len(self.rows) < upto:
            t = float(len(self.rows) + 1)
            cad = self.cadence_at(t)
            state = band_state(cad, self.band)
            on = self.cue.step(t, state)
            self.rows.append(SecondRow(t, cad, state, on, self._tempo_at(t)))
        cad = self.cadence_at(self._latest)
        seg = self.cue.block(self._latest)
        return LiveState(
            elapsed_s=self._latest,
            cadence_spm=cad,
            band=band_state(cad, self.band),
            cue=self.cue.on,
            tempo_bpm=self._tempo_at(self._latest),
            n_steps=self.detector.n_steps if self.detector is not None else 0,
            block=seg.role if seg is not None else None,
        )

    def _tempo_at(self, t_s: float) -> float:
        seg = self.cue.block(t_s)
        if seg is not None and seg.tempo_bpm is not None:
            return float(seg.tempo_bpm)
        return self.tempo_bpm

    # -- results ---------------------------------------------------------------------------------------------

    @property
    def step_times_s(self) -> NDArray[np.float64]:
        """The session's steps (final after :meth:`finish`), seconds from its start."""
        return self.detector.step_times_s if self.detector is not None else np.empty(0)

    @property
    def detected_at_s(self) -> NDArray[np.float64]:
        """When each step was reported."""
        return self.detector.detected_at_s if self.detector is not None else np.empty(0)

    def summary(self) -> dict[str, object]:
        """Return the ``--json`` summary: steps, cadence, time in/below/above the band, cue, delays."""
        cad = np.array([r.cadence_spm for r in self.rows], dtype=np.float64)
        states = [r.band for r in self.rows]
        judged = sum(s is not BandState.NONE for s in states)

        def pct(kind: BandState) -> float:
            return 100.0 * sum(s is kind for s in states) / judged if judged else float("nan")

        ok = np.isfinite(cad)
        delays = self.detected_at_s - self.step_times_s
        out: dict[str, object] = {
            "duration_s": self._latest,
            "n_steps": int(len(self.step_times_s)) if self.kind == "accel" else None,
            "cadence_median_spm": float(np.median(cad[ok])) if ok.any() else float("nan"),
            "stepping_s": judged,
            "in_band_pct": pct(BandState.IN),
            "below_pct": pct(BandState.BELOW),
            "above_pct": pct(BandState.ABOVE),
            "cue_on_s": sum(r.cue for r in self.rows),
            "low_spm": self.band.low_spm,
            "high_spm": self.band.high_spm,
            "cue": self.cue.options.mode.value,
            "tempo_bpm": self.tempo_bpm,
            "report_delay_median_s": float(np.median(delays)) if len(delays) else float("nan"),
            "report_delay_p90_s": float(np.percentile(delays, 90)) if len(delays) else float("nan"),
        }
        if self.detector is not None:
            st = self.detector.stats
            out["stream"] = {
                "samples": st.n_samples,
                "rate_hz": st.rate_hz,
                "duplicate_samples": st.n_duplicate,
                "late_samples": st.n_late,
                "invalid_samples": st.n_invalid,
                "gaps": st.n_gaps,
                "gap_s": st.gap_s,
                "clock_jumps": st.n_clock_jumps,
                "retracted_steps": self.detector.n_retracted,
            }
        return out
