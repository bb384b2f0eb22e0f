"""Structured watch workouts with cadence targets: a metronome program and a target band -> FIT workout steps.

:func:`workout_from_program` is a pure conversion of a program (the metronome's notation, repeats kept) and a
band into :class:`WorkoutStep` s; :func:`workout_fit_bytes` encodes them as a FIT workout file with Garmin's
official FIT SDK (``garmin-fit-sdk``). Writing the bytes to a file is the CLI's job. See docs/workouts.md.

Step mapping
------------
- A leading rest (the plan's silent warm-up) is a *warm-up* step: its duration, no target (``target_type``
  open), so the watch counts it down and moves on by itself without alerting.
- A cued segment is a *time* step with ``target_type`` cadence and ``custom_target_cadence_low/high``: the
  watch alerts when the runner's cadence leaves the band.
- A later rest is a *silent* step: its duration, no target, so no alert (the faded feedback on the watch).
- ``COUNT x (...)`` is a FIT repeat step after its body: ``duration_type`` repeat_until_steps_cmplt,
  ``duration_value`` the message index of the body's first step, ``target_value`` the count (the times the
  body runs in all). A ``1x(...)`` is written as its body.
- An open-ended last segment (a bare BPM) is an *open* step (``duration_type`` open: until the lap key) with
  the cadence target.

Every step with a length is a FIT time step; "open" in the issue's sense is the open *target* (no alert),
because an open *duration* waits for the lap key and would stall a repeat of cued and silent blocks.

Units
-----
The FIT profile gives ``custom_target_cadence_low/high`` the unit "rpm", the unit of ``record.cadence``,
which running watches record in strides per minute (one foot). So by default the step-rate band is written as
the whole strides per minute that contain it (169-175 spm -> 84.5-87.5 -> 84-88), widened, never narrowed;
:attr:`CadenceUnit.STEPS` writes whole steps per minute instead.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..audio.program import Repeat, Segment, expand_blocks, parse_program_blocks
from ..errors import ParameterError
from .band import SINGLE_TARGET_TOLERANCE_SPM, TargetBand

if TYPE_CHECKING:
    from .plan import PlanSession

__all__ = [
    "CadenceUnit",
    "StepKind",
    "Workout",
    "WorkoutStep",
    "cadence_target",
    "expand_workout_steps",
    "session_file_stem",
    "session_title",
    "workout_fit_bytes",
    "workout_from_program",
    "workout_from_session",
]

#: longest step name written (FIT strings are free length; watches show about 15-20 characters)
MAX_STEP_NAME = 20
#: longest workout name written
MAX_WORKOUT_NAME = 40


class CadenceUnit(enum.Enum):
    """The unit of a workout's cadence targets."""

    STRIDES = "strides"  # strides/min: the unit running watches record cadence in (FIT "rpm")
    STEPS = "steps"  # steps/min, for tools that expect the runner's step rate

    @property
    def per_step(self) -> float:
        """Target units per step per minute (0.5 for strides)."""
        return 0.5 if self is CadenceUnit.STRIDES else 1.0

    @property
    def label(self) -> str:
        """``"strides/min"`` or ``"steps/min"``."""
        return f"{self.value}/min"


class StepKind(enum.Enum):
    """What a workout step is for."""

    WARMUP = "warmup"
    CUED = "cued"
    SILENT = "silent"
    REPEAT = "repeat"


@dataclass(frozen=True)
class WorkoutStep:
    """One FIT workout step.

    Attributes
    ----------
    kind : StepKind
        Warm-up, cued (cadence target), silent (no target) or repeat.
    name : str
        Short step name for the watch.
    duration_s : float or None
        Length in seconds (FIT keeps milliseconds); ``None`` for an open step (until the lap key) and for a
        repeat.
    target_low, target_high : int or None
        Cadence target of a cued step in the workout's :class:`CadenceUnit`; ``None`` otherwise.
    band_spm : tuple of float or None
        The step-rate band ``(low, high)`` the target contains (cued steps), or holds (silent steps).
    repeat_from : int or None
        For a repeat: the index of the first step it repeats.
    repeat_count : int or None
        For a repeat: how many times the steps from ``repeat_from`` to it run in all.
    notes : str
        A longer description (FIT ``notes``).
    """

    kind: StepKind
    name: str
    duration_s: float | None = None
    target_low: int | None = None
    target_high: int | None = None
    band_spm: tuple[float, float] | None = None
    repeat_from: int | None = None
    repeat_count: int | None = None
    notes: str = ""


@dataclass(frozen=True)
class Workout:
    """A structured workout: a name, its steps in FIT order and the unit of its cadence targets."""

    name: str
    steps: tuple[WorkoutStep, ...]
    cadence_unit: CadenceUnit = CadenceUnit.STRIDES
    program: str = ""

    def __post_init__(self) -> None:
        if not self.steps:
            raise ParameterError("a workout needs at least one step")

    @property
    def num_valid_steps(self) -> int:
        """Number of workout_step messages, repeat steps included (the FIT ``num_valid_steps``)."""
        return len(self.steps)

    @property
    def duration_s(self) -> float | None:
        """Nominal length in seconds (repeats counted), ``None`` with an open step."""
        total = 0.0
        for step in expand_workout_steps(self.steps):
            if step.duration_s is None:
                return None
            total += step.duration_s
        return total


def cadence_target(low_spm: float, high_spm: float, unit: CadenceUnit) -> tuple[int, int]:
    """Return the whole-unit cadence target that contains a step-rate band (widened, never narrowed).

    Parameters
    ----------
    low_spm, high_spm : float
        The band, steps per minute, ``low_spm <= high_spm``.
    unit : CadenceUnit
        Strides/min (half the step rate) or steps/min.

    Returns
    -------
    tuple of int
        ``(floor(low), ceil(high))`` in ``unit``: 169-175 spm -> (84, 88) strides/min, (169, 175) steps/min.

    Raises
    ------
    ParameterError
        When the band is not finite, positive and ordered.
    """
    if not (math.isfinite(low_spm) and math.isfinite(high_spm) and 0 < low_spm <= high_spm):
        raise ParameterError(f"cadence band must be 0 < low <= high, got {low_spm=}, {high_spm=}")
    k = unit.per_step
    return math.floor(low_spm * k), math.ceil(high_spm * k)


def _spm(value: float) -> str:
    return f"{value:g}"


def _block_band(seg: Segment, band: TargetBand | None) -> tuple[float, float]:
    """Return a cued segment's band: ``band`` if its tempo lies in it, else the band moved onto it."""
    assert seg.start_bpm is not None and seg.end_bpm is not None
    lo_t, hi_t = min(seg.start_bpm, seg.end_bpm), max(seg.start_bpm, seg.end_bpm)
    if band is None:
        half = SINGLE_TARGET_TOLERANCE_SPM
    else:
        if band.low_spm <= lo_t and hi_t <= band.high_spm:
            return band.low_spm, band.high_spm
        half = 0.5 * (band.high_spm - band.low_spm)
    return lo_t - half, hi_t + half


class _Builder:
    """Walks the blocks in order, appending FIT steps (repeats after their bodies)."""

    def __init__(
        self, band: TargetBand | None, unit: CadenceUnit, first_band: tuple[float, float] | None
    ) -> None:
        self.band = band
        self.unit = unit
        self.steps: list[WorkoutStep] = []
        self.first = True
        self.last_band: tuple[float, float] | None = None
        self.first_band = first_band  # what a silent step before any cued one holds

    def blocks(self, blocks: tuple[Segment | Repeat, ...]) -> None:
        for block in blocks:
            if isinstance(block, Repeat):
                self.first = False  # a rest that repeats is not a warm-up
                start = len(self.steps)
                self.blocks(block.body)
                if block.count > 1:
                    n = len(self.steps) - start
                    self.steps.append(
                        WorkoutStep(
                            StepKind.REPEAT,
                            f"Repeat {block.count}x",
                            repeat_from=start,
                            repeat_count=block.count,
                            notes=f"{block.count} times the {n} step(s) before",
                        )
                    )
            else:
                self.segment(block)

    def segment(self, seg: Segment) -> None:
        first, self.first = self.first, False
        if seg.is_rest:
            if first:
                self.steps.append(
                    WorkoutStep(
                        StepKind.WARMUP,
                        "Warm-up",
                        seg.duration_s,
                        notes="Warm up at your own pace, no cadence target",
                    )
                )
                return
            held = self.last_band or self.first_band
            what = f"hold {_spm(0.5 * (held[0] + held[1]))} spm" if held else "hold your cadence"
            self.steps.append(
                WorkoutStep(
                    StepKind.SILENT,
                    "No cue",
                    seg.duration_s,
                    band_spm=held,
                    notes=f"No alert: {what} by feel",
                )
            )
            return
        low_spm, high_spm = _block_band(seg, self.band)
        low, high = cadence_target(low_spm, high_spm, self.unit)
        self.last_band = (low_spm, high_spm)
        tempo = (
            _spm(seg.start_bpm or 0.0)
            if seg.start_bpm == seg.end_bpm
            else f"{_spm(seg.start_bpm or 0.0)}->{_spm(seg.end_bpm or 0.0)}"
        )
        self.steps.append(
            WorkoutStep(
                StepKind.CUED,
                f"Cadence {tempo}"[:MAX_STEP_NAME],
                seg.duration_s,
                low,
                high,
                (low_spm, high_spm),
                notes=(
                    f"Metronome {tempo} spm; target {_spm(low_spm)}-{_spm(high_spm)} spm "
                    f"= {low}-{high} {self.unit.label}"
                ),
            )
        )


def workout_from_program(
    program: str,
    band: TargetBand | None = None,
    *,
    name: str | None = None,
    unit: CadenceUnit = CadenceUnit.STRIDES,
) -> Workout:
    """Convert a metronome program and a target band into workout steps.

    Parameters
    ----------
    program : str
        The program in the metronome's notation (``"5m@silent, 5x(3m@172, 2m@silent)"``).
    band : TargetBand, optional
        The step rates counted as on target. A cued segment whose tempo (both ends of a ramp) lies in the band
        gets the band; one outside it gets a band of the same width centred on its tempo (spanning a ramp).
        Without a band each cued segment gets its tempo +/- 3 spm.
    name : str, optional
        Workout name (default ``"Cadence 172 spm"`` from the band's centre or the cued tempo).
    unit : CadenceUnit
        Unit of the cadence targets (default strides/min, the unit running watches record cadence in).

    Returns
    -------
    Workout

    Raises
    ------
    ParameterError
        A malformed program, or one with no cued segment (a watch workout without a target is just a timer).
    """
    blocks = parse_program_blocks(str(program))
    cued = [s for s in expand_blocks(blocks) if not s.is_rest]  # only the first and last are read
    if not cued and band is None:
        raise ParameterError(
            f"program {program!r} has only rests: give the cadence to hold (--target) for a silent workout"
        )
    if cued:
        first_band = _block_band(cued[0], band)
    else:
        assert band is not None
        first_band = (band.low_spm, band.high_spm)
    builder = _Builder(band, unit, first_band)
    builder.blocks(blocks)
    if name is None:
        centre = band.center_spm if band is not None else cued[-1].end_bpm or 0.0
        name = f"Cadence {round(centre):d} spm"
    name = " ".join(name.split())[:MAX_WORKOUT_NAME] or "Cadence"
    return Workout(name, tuple(builder.steps), unit, str(program))


def workout_from_session(
    session: PlanSession, tolerance_spm: float, *, n_sessions: int, unit: CadenceUnit = CadenceUnit.STRIDES
) -> Workout:
    """Build the watch workout of one plan session: its program, with the band ``target +/- tolerance_spm``.

    Parameters
    ----------
    session : PlanSession
        From :func:`cadence.coach.plan.make_plan`.
    tolerance_spm : float
        The plan's band half-width (``PlanOptions.tolerance_spm``).
    n_sessions : int
        Sessions in the plan, for the zero-padded number at the front of the name (so lists sort in order).
    unit : CadenceUnit
        Unit of the cadence targets.

    Returns
    -------
    Workout
        Named ``"03 Cadence 172 spm (+5 %)"`` (``"... check"`` for the retention check).
    """
    band = TargetBand(session.target_spm - tolerance_spm, session.target_spm + tolerance_spm)
    return workout_from_program(session.program, band, name=session_title(session, n_sessions), unit=unit)


def session_title(session: PlanSession, n_sessions: int) -> str:
    """Name of a plan session's workout or track, sorting in order: ``"03 Cadence 172 spm (+5 %)"``."""
    width = max(2, len(str(n_sessions)))
    what = "check" if session.kind == "retention_check" else f"(+{session.pct:g} %)"
    return f"{session.index:0{width}d} Cadence {session.target_spm} spm {what}"


def session_file_stem(session: PlanSession, n_sessions: int) -> str:
    """File name stem of a plan session's files, sorting in session order: ``"03_2026-01-09_172spm"``."""
    width = max(2, len(str(n_sessions)))
    kind = "_check" if session.kind == "retention_check" else ""
    return f"{session.index:0{width}d}_{session.date.isoformat()}_{session.target_spm}spm{kind}"


def expand_workout_steps(steps: tuple[WorkoutStep, ...]) -> tuple[WorkoutStep, ...]:
    """Run the steps as a watch would: repeats unrolled, repeat steps dropped.

    Raises
    ------
    ParameterError
        A repeat that points forward or at itself.
    """
    played: list[list[WorkoutStep]] = []  # what each step index played (a repeat: its extra rounds)
    for i, step in enumerate(steps):
        if step.kind is StepKind.REPEAT:
            start, count = step.repeat_from, step.repeat_count
            if start is None or count is None or not 0 <= start < i or count < 1:
                raise ParameterError(f"workout step {i}: a repeat must point back to an earlier step")
            body = [s for part in played[start:i] for s in part]
            played.append(body * (count - 1))
        else:
            played.append([step])
    return tuple(s for part in played for s in part)


def _step_message(index: int, step: WorkoutStep, unit: CadenceUnit) -> dict[str, object]:
    # The SDK's Encoder writes main fields only (a sub-field name such as duration_time or
    # custom_target_cadence_low is silently dropped), so the raw values go in the main fields, scaled by hand:
    # duration_value is milliseconds for a time step.
    mesg: dict[str, object] = {"message_index": index, "wkt_step_name": step.name}
    if step.kind is StepKind.REPEAT:
        mesg.update(
            duration_type="repeat_until_steps_cmplt",
            duration_value=step.repeat_from,
            target_type="open",
            target_value=step.repeat_count,
            intensity="active",
        )
        return mesg
    if step.duration_s is None:
        mesg["duration_type"] = "open"
    else:
        mesg.update(duration_type="time", duration_value=int(round(step.duration_s * 1000.0)))
    if step.kind is StepKind.CUED:
        mesg.update(
            target_type="cadence",
            target_value=0,  # 0: a custom range, not a zone
            custom_target_value_low=step.target_low,
            custom_target_value_high=step.target_high,
        )
    else:
        mesg["target_type"] = "open"
    mesg["intensity"] = "warmup" if step.kind is StepKind.WARMUP else "active"
    if step.notes:
        mesg["notes"] = step.notes
    return mesg


def workout_fit_bytes(
    workout: Workout, *, time_created: dt.datetime | None = None, serial_number: int | None = None
) -> bytes:
    """Encode ``workout`` as a FIT workout file with Garmin's FIT SDK Encoder.

    Parameters
    ----------
    workout : Workout
        From :func:`workout_from_program`.
    time_created : datetime, optional
        The file_id ``time_created`` (default now, UTC).
    serial_number : int, optional
        The file_id ``serial_number``; a device tells workout files apart by type, manufacturer, product and
        serial number, so the default is a CRC-32 of the workout's name and program.

    Returns
    -------
    bytes
        A complete FIT file (header and file CRC).
    """
    from garmin_fit_sdk import Encoder, Profile

    created = time_created or dt.datetime.now(dt.UTC)
    if serial_number is None:
        serial_number = zlib.crc32(f"{workout.name}|{workout.program}|{workout.cadence_unit.value}".encode())
        serial_number = serial_number or 1  # uint32z: 0 is invalid
    mesg_num = Profile["mesg_num"]
    encoder = Encoder()
    encoder.on_mesg(
        mesg_num["FILE_ID"],
        {
            "type": "workout",
            "manufacturer": "development",
            "product": 0,
            "serial_number": serial_number,
            "time_created": created,
        },
    )
    encoder.on_mesg(
        mesg_num["WORKOUT"],
        {
            "wkt_name": workout.name,
            "sport": "running",
            "sub_sport": "generic",
            "num_valid_steps": workout.num_valid_steps,
        },
    )
    for index, step in enumerate(workout.steps):
        encoder.on_mesg(mesg_num["WORKOUT_STEP"], _step_message(index, step, workout.cadence_unit))
    return bytes(encoder.close())
