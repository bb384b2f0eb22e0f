"""A progression plan to a higher cadence: steps of about +2.5 %, metronome sessions, faded feedback.

Pure functions (no I/O): :func:`make_plan` builds the plan, :func:`parse_program` /
:func:`format_program` handle the metronome program notation, :func:`plan_ics` renders an iCalendar file's
bytes. The structure and the evidence are described in docs/targets.md.

Program notation
----------------
A session's metronome program is a comma-separated list of blocks, run in order::

    5m@silent, 5x(3m@168, 2m@silent)

``DURATION@SPM`` plays the metronome at SPM beats per minute (one beat per step) for DURATION;
``DURATION@silent`` is a block without clicks. DURATION is minutes and/or seconds: ``5m``, ``30s``,
``4m30s``, ``1.5m``. ``Nx(...)`` repeats the blocks inside N times. The first block, when silent, is the
warm-up; every later silent block is a stretch where the runner should hold the cadence without the cue
(``cadence check --program`` checks exactly those).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from enum import Enum

from ..errors import ParameterError
from .target import TargetWarning, round_half_up, target_range

__all__ = [
    "Feedback",
    "Plan",
    "PlanOptions",
    "PlanSession",
    "PlanStep",
    "ProgramSegment",
    "format_program",
    "make_plan",
    "parse_program",
    "plan_ics",
    "silent_segments",
]

BLOCK_S = 300  # the main part of a session is built of 5-minute blocks
MIN_FADE_SESSIONS = 4  # the final step has at least this many sessions to fade the cue out


class Feedback(Enum):
    """How much of a session's main part is cued; the value is (cued minutes per 5-minute block, label)."""

    FULL = (5, "metronome on for the whole run")
    ALTERNATE_4_1 = (4, "alternate 4 min with the metronome, 1 min without")
    ALTERNATE_3_2 = (3, "alternate 3 min with the metronome, 2 min without")
    ALTERNATE_2_3 = (2, "alternate 2 min with the metronome, 3 min without")
    SPOT_CHECK = (1, "mostly silent: 1 min of metronome every 5 min as a spot check")
    SILENT = (0, "no metronome: hold the cadence by feel, then check the run")

    @property
    def cued_min_per_block(self) -> int:
        """Cued minutes in each 5-minute block."""
        return int(self.value[0])

    @property
    def label(self) -> str:
        """Plain-words description."""
        return str(self.value[1])

    @property
    def code(self) -> str:
        """Stable lower-case name for JSON."""
        return self.name.lower()


#: fade levels a non-final step may use (each new tempo is learned with the cue mostly on)
STEP_FADE = (Feedback.FULL, Feedback.ALTERNATE_4_1, Feedback.ALTERNATE_3_2)
#: the final step fades all the way to silent (Willy 2016: feedback removed over the last sessions)
FINAL_FADE = tuple(Feedback)


@dataclass(frozen=True)
class ProgramSegment:
    """One block of a metronome program: ``[start_s, end_s)`` from the start of the run, and its tempo.

    ``tempo_bpm`` is ``None`` for a silent block; ``role`` is ``"warmup"`` (a leading silent block),
    ``"cued"`` or ``"silent"``.
    """

    start_s: float
    end_s: float
    tempo_bpm: float | None
    role: str


def parse_program(text: str) -> tuple[ProgramSegment, ...]:
    """Time the blocks of a metronome program (the notation of :func:`cadence.audio.clicks.parse_program`).

    The metronome's own parser reads the notation, so a plan session's program plays unchanged in
    ``cadence metronome --program``; this only lays its segments on the run's clock and names their role.
    A ramp counts as cued at its end tempo; an open-ended last segment lasts until the end of the run.

    Raises
    ------
    ParameterError
        Malformed notation (with the column), or a tempo outside the metronome's range.
    """
    from ..audio.program import parse_program as parse_click_program

    program = parse_click_program(str(text))
    out: list[ProgramSegment] = []
    t = 0.0
    for i, seg in enumerate(program.segments):
        dur = math.inf if seg.duration_s is None else float(seg.duration_s)
        tempo = seg.end_bpm
        role = "cued" if tempo is not None else ("warmup" if i == 0 else "silent")
        prev = out[-1] if out else None
        if prev is not None and prev.tempo_bpm == tempo and prev.role == role:
            out[-1] = ProgramSegment(prev.start_s, t + dur, tempo, role)  # merge equal neighbours
        else:
            out.append(ProgramSegment(t, t + dur, tempo, role))
        t += dur
    return tuple(out)


def silent_segments(segments: tuple[ProgramSegment, ...]) -> tuple[tuple[float, float], ...]:
    """Return the ``(start_s, end_s)`` of the silent blocks after the warm-up (to hold without cue)."""
    return tuple((s.start_s, s.end_s) for s in segments if s.role == "silent")


def _fmt_dur(seconds: float) -> str:
    s = int(round(seconds))
    m, r = divmod(s, 60)
    if r == 0:
        return f"{m}m"
    return f"{m}m{r}s" if m else f"{r}s"


def format_program(warmup_s: float, main_s: float, tempo_bpm: int, feedback: Feedback) -> str:
    """Build one plan session's program: a silent warm-up, then the main part at ``feedback``."""
    parts = [f"{_fmt_dur(warmup_s)}@silent"] if warmup_s > 0 else []
    n_blocks = int(main_s // BLOCK_S)
    cued = feedback.cued_min_per_block
    if feedback is Feedback.FULL:
        parts.append(f"{_fmt_dur(main_s)}@{tempo_bpm}")
    elif feedback is Feedback.SILENT:
        parts.append(f"{_fmt_dur(main_s)}@silent")
    else:
        parts.append(f"{n_blocks}x({cued}m@{tempo_bpm}, {5 - cued}m@silent)")
    return ", ".join(parts)


@dataclass(frozen=True)
class PlanOptions:
    """How a plan is laid out.

    Parameters
    ----------
    increase_pct : float
        The final increase over the baseline, in percent (default 7.5, as in Willy 2016).
    step_pct : float
        The increase per step (default 2.5 %).
    sessions_per_week : int
        Metronome sessions per week, 1-7 (default 3); spread evenly over the week.
    weeks_per_step : int
        Weeks at each step, 1 or 2 (default 1). The final step lasts twice as long (and at least 4
        sessions): its feedback fades out.
    session_min : int
        Length of each session in minutes, a multiple of 5 from 15 to 120 (default 30).
    warmup_min : int
        Silent warm-up at the start of each session, in minutes (default 5); the rest of the session must be
        at least 10 minutes in whole 5-minute blocks.
    tolerance_spm : float
        Half-width of the band ``cadence check`` uses around each session's tempo (default 3 spm).
    retention_check : bool
        Add a silent check run four weeks after the last session (Willy 2016 measured retention at one month).

    """

    increase_pct: float = 7.5
    step_pct: float = 2.5
    sessions_per_week: int = 3
    weeks_per_step: int = 1
    session_min: int = 30
    warmup_min: int = 5
    tolerance_spm: float = 3.0
    retention_check: bool = True

    def __post_init__(self) -> None:
        if not (math.isfinite(self.increase_pct) and 0 < self.increase_pct <= 30):
            raise ParameterError(f"increase_pct={self.increase_pct:g} must be > 0 and at most 30 %")
        if not (math.isfinite(self.step_pct) and 0.5 <= self.step_pct <= 10):
            raise ParameterError(f"step_pct={self.step_pct:g} must be 0.5-10 %")
        if not 1 <= self.sessions_per_week <= 7:
            raise ParameterError(f"sessions_per_week={self.sessions_per_week} must be 1-7")
        if self.weeks_per_step not in (1, 2):
            raise ParameterError(f"weeks_per_step={self.weeks_per_step} must be 1 or 2")
        if not (15 <= self.session_min <= 120 and self.session_min % 5 == 0):
            raise ParameterError(f"session_min={self.session_min} must be a multiple of 5 from 15 to 120")
        main_min = self.session_min - self.warmup_min
        if self.warmup_min != int(self.warmup_min) or not (main_min >= 10 and main_min % 5 == 0):
            raise ParameterError(
                f"warmup_min={self.warmup_min} must be whole minutes leaving a main part of at least 10 min "
                "in 5-minute blocks (e.g. 0, 5 or 10)"
            )
        if not (math.isfinite(self.tolerance_spm) and 0 <= self.tolerance_spm <= 20):
            raise ParameterError(f"tolerance_spm={self.tolerance_spm:g} must be 0-20")


@dataclass(frozen=True)
class PlanStep:
    """One step of the progression: its increase, tempo and when it starts."""

    index: int
    pct: float
    target_spm: int
    start_date: dt.date
    weeks: int


@dataclass(frozen=True)
class PlanSession:
    """One metronome session of a plan.

    Attributes
    ----------
    index : int
        1-based session number.
    date : datetime.date
        When to run it.
    week, step : int
        1-based week of the plan and step of the progression.
    target_spm : int
        The tempo of this session (metronome beats per minute = steps per minute).
    pct : float
        The increase over the baseline it stands for.
    feedback : Feedback
        How much of the main part is cued.
    program : str
        The metronome program (notation in the module docstring).
    cued_s, silent_s : float
        Seconds with and without the metronome after the warm-up.
    kind : str
        ``"training"`` or ``"retention_check"``.

    """

    index: int
    date: dt.date
    week: int
    step: int
    target_spm: int
    pct: float
    feedback: Feedback
    program: str
    cued_s: float
    silent_s: float
    kind: str = "training"


@dataclass(frozen=True)
class Plan:
    """A progression plan: baseline, steps, sessions and the guard rails that fired."""

    baseline_spm: float
    options: PlanOptions
    final_target_spm: int
    steps: tuple[PlanStep, ...]
    sessions: tuple[PlanSession, ...]
    warnings: tuple[TargetWarning, ...] = ()


def _fade_levels(n_sessions: int, levels: tuple[Feedback, ...]) -> list[Feedback]:
    """Spread ``levels`` over ``n_sessions``: the first session gets the first level, the last the last."""
    if n_sessions == 1:
        return [levels[0]]
    m = len(levels)
    return [levels[round_half_up(i * (m - 1) / (n_sessions - 1))] for i in range(n_sessions)]


def make_plan(
    baseline_spm: float,
    options: PlanOptions | None = None,
    *,
    start_date: dt.date,
    max_sustained_spm: float = float("nan"),
) -> Plan:
    """Build a progression from ``baseline_spm`` up to ``+options.increase_pct``.

    Parameters
    ----------
    baseline_spm : float
        Current running cadence, steps per minute.
    options : PlanOptions, optional
        Layout (defaults: +7.5 % in steps of 2.5 %, 3 sessions a week, one week per step).
    start_date : datetime.date
        Date of the first session.
    max_sustained_spm : float, optional
        Highest one-minute running cadence from the runner's runs (for the guard rail).

    Returns
    -------
    Plan
        Steps of ``step_pct`` (the last one may be smaller) every ``weeks_per_step`` weeks, the final step
        twice as long; each step's sessions fade the metronome from fully on to partly on, and the final
        step's fade all the way to silent; plus an optional silent retention check four weeks later.

    Raises
    ------
    ParameterError
        Bad baseline or options.

    Notes
    -----
    Modelled on Willy et al. (2016), Scand J Med Sci Sports 26:197-205: +7.5 % cued over 8 sessions,
    feedback faded over the last 4, retained one month later. See docs/targets.md.

    """
    opts = options or PlanOptions()
    rng = target_range(
        baseline_spm, (opts.increase_pct, opts.increase_pct), max_sustained_spm=max_sustained_spm
    )
    b = rng.baseline_spm
    n_steps = max(1, math.ceil(opts.increase_pct / opts.step_pct - 1e-9))
    pcts = [min(opts.step_pct * (j + 1), opts.increase_pct) for j in range(n_steps)]
    offsets = [(k * 7) // opts.sessions_per_week for k in range(opts.sessions_per_week)]
    warmup_s = 60.0 * opts.warmup_min
    main_s = 60.0 * (opts.session_min - opts.warmup_min)  # a whole number of 5-minute blocks
    steps: list[PlanStep] = []
    sessions: list[PlanSession] = []
    week0 = 0
    for j, pct in enumerate(pcts):
        final = j == n_steps - 1
        weeks = opts.weeks_per_step * (2 if final else 1)
        if final:  # the fade-out needs at least MIN_FADE_SESSIONS sessions (Willy 2016 faded over 4)
            weeks = max(weeks, math.ceil(MIN_FADE_SESSIONS / opts.sessions_per_week))
        tempo = round_half_up(b * (100.0 + pct) / 100.0)
        step_start = start_date + dt.timedelta(weeks=week0)
        steps.append(PlanStep(j + 1, pct, tempo, step_start, weeks))
        dates = [step_start + dt.timedelta(weeks=w, days=d) for w in range(weeks) for d in offsets]
        levels = _fade_levels(len(dates), FINAL_FADE if final else STEP_FADE)
        for date, level in zip(dates, levels, strict=True):
            cued = main_s * level.cued_min_per_block / 5.0
            sessions.append(
                PlanSession(
                    index=len(sessions) + 1,
                    date=date,
                    week=(date - start_date).days // 7 + 1,
                    step=j + 1,
                    target_spm=tempo,
                    pct=pct,
                    feedback=level,
                    program=format_program(warmup_s, main_s, tempo, level),
                    cued_s=cued,
                    silent_s=main_s - cued,
                )
            )
        week0 += weeks
    if opts.retention_check:
        last = sessions[-1]
        date = last.date + dt.timedelta(weeks=4)
        sessions.append(
            PlanSession(
                index=len(sessions) + 1,
                date=date,
                week=(date - start_date).days // 7 + 1,
                step=n_steps,
                target_spm=last.target_spm,
                pct=last.pct,
                feedback=Feedback.SILENT,
                program=format_program(warmup_s, main_s, last.target_spm, Feedback.SILENT),
                cued_s=0.0,
                silent_s=main_s,
                kind="retention_check",
            )
        )
    return Plan(
        baseline_spm=b,
        options=opts,
        final_target_spm=steps[-1].target_spm,
        steps=tuple(steps),
        sessions=tuple(sessions),
        warnings=rng.warnings,
    )


def session_summary(session: PlanSession) -> str:
    """One line for a calendar title or a table: ``"Cadence 168 spm: metronome on for the whole run"``."""
    what = "retention check" if session.kind == "retention_check" else session.feedback.label
    return f"Cadence {session.target_spm} spm (+{session.pct:g} %): {what}"


def check_command(session: PlanSession, tolerance_spm: float) -> str:
    """Return the ``cadence check`` command that scores a run of this session."""
    return (
        f"cadence check RUN.fit --target {session.target_spm} --tolerance {tolerance_spm:g} "
        f"--program '{session.program}'"
    )


def plan_ics(plan: Plan, *, start_time: dt.time | None = None, dtstamp: dt.datetime | None = None) -> bytes:
    """Render ``plan`` as an iCalendar file: one VEVENT per session.

    Parameters
    ----------
    plan : Plan
        From :func:`make_plan`.
    start_time : datetime.time, optional
        Time of day of every session (local "floating" time, as calendar apps show it wherever you are);
        the event then lasts the session length. Without it the events are all-day.
    dtstamp : datetime, optional
        The DTSTAMP of every event (default: now, UTC).

    Returns
    -------
    bytes
        RFC 5545 text (CRLF line ends), as written by the ``icalendar`` package.

    """
    import icalendar

    stamp = dtstamp or dt.datetime.now(dt.UTC)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//cadence//cadence plan//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"Cadence plan {plan.baseline_spm:.0f} -> {plan.final_target_spm} spm")
    uid_base = f"{plan.sessions[0].date:%Y%m%d}-{plan.baseline_spm:.1f}-{plan.final_target_spm}"
    tol = plan.options.tolerance_spm
    for s in plan.sessions:
        ev = icalendar.Event()
        ev.add("uid", f"cadence-plan-{uid_base}-{s.index}@cadence")
        ev.add("dtstamp", stamp)
        if start_time is None:
            ev.add("dtstart", s.date)
            ev.add("dtend", s.date + dt.timedelta(days=1))
        else:
            begin = dt.datetime.combine(s.date, start_time.replace(tzinfo=None))
            ev.add("dtstart", begin)
            ev.add("dtend", begin + dt.timedelta(minutes=plan.options.session_min))
        ev.add("summary", session_summary(s))
        lines = [
            f"Session {s.index} of {len(plan.sessions)}, step {s.step} of {len(plan.steps)}.",
            f"Tempo {s.target_spm} steps/min (+{s.pct:g} % over {plan.baseline_spm:.0f}).",
            f"Feedback: {s.feedback.label}.",
            f"Metronome program: {s.program}",
            f"Afterwards: {check_command(s, tol)}",
        ]
        ev.add("description", "\n".join(lines))
        ev.add("transp", "TRANSPARENT")
        cal.add_component(ev)
    return bytes(cal.to_ical())
