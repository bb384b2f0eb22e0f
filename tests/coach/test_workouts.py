"""FIT workouts with cadence targets.

Every file is read back by fitdecode (strict) and garmin-fit-sdk's Decoder and compared step by step with the
program (or plan session) it came from.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from pathlib import Path
from typing import Any

import fitdecode
import pytest
from garmin_fit_sdk import Decoder, Stream
from hypothesis import given, settings
from hypothesis import strategies as st

from cadence.audio.program import Segment, parse_program, parse_program_blocks
from cadence.cli import cli
from cadence.cli._common import run_cli
from cadence.coach.band import TargetBand
from cadence.coach.plan import make_plan
from cadence.coach.workouts import (
    CadenceUnit,
    StepKind,
    cadence_target,
    expand_workout_steps,
    workout_fit_bytes,
    workout_from_program,
)
from cadence.errors import ParameterError

DATA = Path(__file__).resolve().parents[1] / "data"
STEP_FIELDS = (
    "message_index",
    "wkt_step_name",
    "duration_type",
    "duration_time",
    "duration_step",
    "target_type",
    "custom_target_cadence_low",
    "custom_target_cadence_high",
    "repeat_steps",
    "intensity",
)


# ----------------------------------------------------------------------------------------------------------
# Two independent decoders
# ----------------------------------------------------------------------------------------------------------


def decode_fitdecode(data: bytes) -> dict[str, list[dict[str, Any]]]:
    """Strict fitdecode: header and file CRCs checked, any error raises."""
    out: dict[str, list[dict[str, Any]]] = {}
    with fitdecode.FitReader(
        io.BytesIO(data),
        check_crc=fitdecode.CrcCheck.ENABLED,
        error_handling=fitdecode.ErrorHandling.RAISE,
    ) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage):
                fields = {f.name: f.value for f in frame.fields if f.value is not None}
                out.setdefault(frame.name, []).append(fields)
    return out


def decode_sdk(data: bytes) -> dict[str, list[dict[str, Any]]]:
    """Garmin's own Decoder: integrity (CRC) checked, no errors allowed."""
    assert Decoder(Stream.from_byte_array(bytearray(data))).check_integrity()
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    assert errors == []
    return {
        "file_id": messages["file_id_mesgs"],
        "workout": messages["workout_mesgs"],
        "workout_step": messages["workout_step_mesgs"],
    }


def read_steps(data: bytes) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Decode with both decoders, check they agree, return the workout message and its steps."""
    a, b = decode_fitdecode(data), decode_sdk(data)
    assert a["file_id"][0]["type"] == b["file_id"][0]["type"] == "workout"
    assert len(a["workout"]) == len(b["workout"]) == 1
    steps_a = [{k: s[k] for k in STEP_FIELDS if k in s} for s in a["workout_step"]]
    steps_b = [{k: s[k] for k in STEP_FIELDS if k in s} for s in b["workout_step"]]
    assert steps_a == steps_b
    workout = a["workout"][0]
    assert workout["sport"] == b["workout"][0]["sport"] == "running"
    assert workout["num_valid_steps"] == b["workout"][0]["num_valid_steps"] == len(steps_a)
    assert [s["message_index"] for s in steps_a] == list(range(len(steps_a)))
    return workout, steps_a


def unroll(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a watch runs: follow each repeat step back to its duration_step, repeat_steps times in all."""
    played: list[list[dict[str, Any]]] = []
    for i, s in enumerate(steps):
        if s["duration_type"] == "repeat_until_steps_cmplt":
            start = s["duration_step"]
            assert 0 <= start < i and s["target_type"] == "open"
            body = [x for part in played[start:i] for x in part]
            played.append(body * (s["repeat_steps"] - 1))
        else:
            played.append([s])
    return [x for part in played for x in part]


def assert_matches_program(
    steps: list[dict[str, Any]], program: str, band: TargetBand | None, unit: CadenceUnit
) -> None:
    """Each played step against the program's segments: order, duration, warm-up/cued/silent, target band."""
    segments = parse_program(program).segments
    leads_with_rest = isinstance(parse_program_blocks(program)[0], Segment) and segments[0].is_rest
    played = unroll(steps)
    assert len(played) == len(segments)
    for i, (seg, step) in enumerate(zip(segments, played, strict=True)):
        if seg.duration_s is None:
            assert step["duration_type"] == "open"
        else:
            assert step["duration_type"] == "time"
            assert step["duration_time"] == pytest.approx(seg.duration_s, abs=5e-4)
        if seg.is_rest:
            assert step["target_type"] == "open"
            assert step["intensity"] == ("warmup" if i == 0 and leads_with_rest else "active")
            continue
        assert step["target_type"] == "cadence" and step["intensity"] == "active"
        low, high = step["custom_target_cadence_low"], step["custom_target_cadence_high"]
        assert isinstance(low, int) and isinstance(high, int)
        lo_t, hi_t = sorted((seg.start_bpm, seg.end_bpm))  # type: ignore[type-var]
        if band is not None and band.low_spm <= lo_t and hi_t <= band.high_spm:
            lo_spm, hi_spm = band.low_spm, band.high_spm
        else:
            half = 3.0 if band is None else (band.high_spm - band.low_spm) / 2
            lo_spm, hi_spm = lo_t - half, hi_t + half
        k = unit.per_step
        # the whole-unit target contains the band and is no wider than needed (less than one unit each side)
        assert low <= lo_spm * k < low + 1 and high - 1 < hi_spm * k <= high


# ----------------------------------------------------------------------------------------------------------
# Units
# ----------------------------------------------------------------------------------------------------------


def test_cadence_target_examples() -> None:
    assert cadence_target(169, 175, CadenceUnit.STRIDES) == (84, 88)
    assert cadence_target(170, 174, CadenceUnit.STRIDES) == (85, 87)
    assert cadence_target(169, 175, CadenceUnit.STEPS) == (169, 175)
    assert cadence_target(168.5, 175.5, CadenceUnit.STEPS) == (168, 176)


@given(
    st.floats(60, 250, allow_nan=False),
    st.floats(0, 20, allow_nan=False),
    st.sampled_from(list(CadenceUnit)),
)
def test_cadence_target_widens_never_narrows(low_spm: float, width_spm: float, unit: CadenceUnit) -> None:
    high_spm = low_spm + width_spm
    low, high = cadence_target(low_spm, high_spm, unit)
    k = unit.per_step
    assert low / k <= low_spm and high_spm <= high / k  # contains the band
    assert low_spm * k - low < 1 and high - high_spm * k < 1  # by less than one whole unit each side


@pytest.mark.parametrize("band", [(math.nan, 170.0), (175.0, 170.0), (0.0, 10.0)])
def test_cadence_target_rejects_bad_bands(band: tuple[float, float]) -> None:
    with pytest.raises(ParameterError, match="cadence band"):
        cadence_target(*band, CadenceUnit.STRIDES)


# ----------------------------------------------------------------------------------------------------------
# Program -> workout -> FIT -> both decoders
# ----------------------------------------------------------------------------------------------------------


def test_plan_session_program_round_trips() -> None:
    program = "5m@silent, 5x(3m@172, 2m@silent)"
    band = TargetBand.parse("172")
    wkt = workout_from_program(program, band, name="Cadence 172 spm (+5 %)")
    data = workout_fit_bytes(wkt, time_created=dt.datetime(2026, 1, 5, 7, tzinfo=dt.UTC))
    workout, steps = read_steps(data)
    assert workout["wkt_name"] == "Cadence 172 spm (+5 %)"
    assert workout["num_valid_steps"] == 4  # warm-up, cued, silent, repeat
    assert [s["duration_type"] for s in steps] == ["time", "time", "time", "repeat_until_steps_cmplt"]
    assert (steps[1]["custom_target_cadence_low"], steps[1]["custom_target_cadence_high"]) == (84, 88)
    assert steps[3]["duration_step"] == 1 and steps[3]["repeat_steps"] == 5
    assert_matches_program(steps, program, band, CadenceUnit.STRIDES)
    assert wkt.duration_s == 30 * 60


def test_steps_unit_and_open_end() -> None:
    program = "2m@rest, 10m@160->170, 3x(1m@175, 30s@rest), 172"
    band = TargetBand.parse("165-175")
    wkt = workout_from_program(program, band, unit=CadenceUnit.STEPS)
    _, steps = read_steps(workout_fit_bytes(wkt))
    assert steps[-1]["duration_type"] == "open" and steps[-1]["target_type"] == "cadence"
    # the ramp starts below the band: the band (10 spm wide) is moved to span it, 160-5 .. 170+5
    assert (steps[1]["custom_target_cadence_low"], steps[1]["custom_target_cadence_high"]) == (155, 175)
    assert (steps[2]["custom_target_cadence_low"], steps[2]["custom_target_cadence_high"]) == (165, 175)
    assert_matches_program(steps, program, band, CadenceUnit.STEPS)
    assert wkt.duration_s is None


def test_nested_repeats_round_trip() -> None:
    program = "1m@rest, 2x(3x(20s@170, 10s@rest), 1m@165), 1x(30s@172)"
    wkt = workout_from_program(program, None)
    _, steps = read_steps(workout_fit_bytes(wkt))
    kinds = [s["duration_type"] for s in steps]
    assert kinds.count("repeat_until_steps_cmplt") == 2  # 1x(...) is written as its body
    assert_matches_program(steps, program, None, CadenceUnit.STRIDES)
    assert [s.name for s in expand_workout_steps(wkt.steps)] == [s["wkt_step_name"] for s in unroll(steps)]


def test_silent_only_program_needs_a_band() -> None:
    with pytest.raises(ParameterError, match="only rests"):
        workout_from_program("5m@silent, 25m@silent", None)
    wkt = workout_from_program("5m@silent, 25m@silent", TargetBand.parse("172"))
    assert [s.kind for s in wkt.steps] == [StepKind.WARMUP, StepKind.SILENT]
    assert wkt.steps[1].band_spm == (169.0, 175.0)
    _, steps = read_steps(workout_fit_bytes(wkt))
    assert all(s["target_type"] == "open" for s in steps)


DURATIONS = st.sampled_from(["30s", "45s", "1m", "90s", "2m", "2.5m", "1:15", "3m", "5m"])
TEMPOS = st.one_of(
    st.integers(120, 200).map(str),
    st.tuples(st.integers(120, 200), st.integers(120, 200)).map(lambda t: f"{t[0]}->{t[1]}"),
    st.just("rest"),
)
SEGMENTS = st.tuples(DURATIONS, TEMPOS).map(lambda t: f"{t[0]}@{t[1]}")


def _programs() -> st.SearchStrategy[str]:
    items = st.recursive(
        SEGMENTS,
        lambda inner: st.tuples(st.integers(1, 4), st.lists(inner, min_size=1, max_size=3)).map(
            lambda t: f"{t[0]}x({', '.join(t[1])})"
        ),
        max_leaves=6,
    )
    return st.lists(items, min_size=1, max_size=4).map(", ".join)


@settings(max_examples=40, deadline=None)
@given(
    _programs(),
    st.one_of(st.none(), st.integers(140, 190).map(str), st.just("165-178")),
    st.sampled_from(list(CadenceUnit)),
)
def test_any_program_round_trips(program: str, target: str | None, unit: CadenceUnit) -> None:
    band = TargetBand.parse(target) if target else None
    try:
        wkt = workout_from_program(program, band, unit=unit)
    except ParameterError as exc:
        assert "only rests" in str(exc)
        return
    _, steps = read_steps(workout_fit_bytes(wkt))
    assert_matches_program(steps, program, band, unit)


# ----------------------------------------------------------------------------------------------------------
# Against real workout files: the same encoding of repeats and custom targets
# ----------------------------------------------------------------------------------------------------------


def test_repeat_encoded_like_the_fit_sdk_example() -> None:
    """Garmin's SDK example WorkoutRepeatSteps.fit: repeat after its body, duration_step -> first repeated
    step, repeat_steps = times in all, target_type open. Ours must decode to the same fields."""
    example = decode_fitdecode((DATA / "fdec__WorkoutRepeatSteps.fit").read_bytes())
    rep = next(s for s in example["workout_step"] if s["duration_type"] == "repeat_until_steps_cmplt")
    assert (rep["duration_step"], rep["repeat_steps"], rep["target_type"]) == (1, 3, "open")
    ours = read_steps(workout_fit_bytes(workout_from_program("1m@rest, 3x(1m@170, 1m@rest)", None)))[1]
    mine = next(s for s in ours if s["duration_type"] == "repeat_until_steps_cmplt")
    assert (mine["duration_step"], mine["repeat_steps"], mine["target_type"]) == (1, 3, "open")


@pytest.mark.shared
def test_custom_target_encoded_like_real_workouts(shared_dir: Path) -> None:
    """Real files with a custom range write target_value 0 (no zone) and the raw low/high (Garmin's SDK
    example); Stages Link's cadence range (pedal rpm, developer fields) is plain rpm, no offset."""
    sdk = decode_fitdecode((shared_dir / "data/fit/fdec__WorkoutCustomTargetValues.fit").read_bytes())
    hr = sdk["workout_step"][0]
    assert hr["target_type"] == "heart_rate" and hr["target_hr_zone"] == 0
    assert hr["custom_target_heart_rate_low"] < hr["custom_target_heart_rate_high"]
    stages = decode_fitdecode((shared_dir / "data/workouts/fittool__stagesLink_25622166.fit").read_bytes())
    for step in stages["workout_step"]:
        assert step["tertiary_target_type"] == 3  # cadence
        assert 60 <= step["tertiary_custom_target_low"] < step["tertiary_custom_target_high"] <= 120
    ours = read_steps(workout_fit_bytes(workout_from_program("5m@172", TargetBand.parse("172"))))[1][0]
    assert ours["target_type"] == "cadence"
    raw = Decoder(Stream.from_byte_array(bytearray(workout_fit_bytes(workout_from_program("5m@172")))))
    step = raw.read()[0]["workout_step_mesgs"][0]
    assert step["target_value"] == 0
    assert (step["custom_target_value_low"], step["custom_target_value_high"]) == (84, 88)


# ----------------------------------------------------------------------------------------------------------
# The commands
# ----------------------------------------------------------------------------------------------------------


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the command line through its one error-to-exit-code mapping; (exit code, stdout, stderr)."""
    code = run_cli(cli, args)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_workout_writes_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "w.fit"
    program = "5m@silent, 5x(3m@172, 2m@silent)"
    code, stdout, _ = run(["workout", program, "--target", "172", "-o", str(out)], capsys)
    assert code == 0
    assert "84-88 strides/min" in stdout
    workout, steps = read_steps(out.read_bytes())
    assert workout["wkt_name"] == "Cadence 172 spm"
    assert_matches_program(steps, program, TargetBand.parse("172"), CadenceUnit.STRIDES)
    code, _, stderr = run(["workout", program, "-o", str(out)], capsys)
    assert code == 1 and "exists already" in stderr
    args = ["workout", program, "--target", "172", "-o", str(out), "--force"]
    args += ["--workout-cadence-unit", "steps"]
    assert run(args, capsys)[0] == 0
    assert read_steps(out.read_bytes())[1][1]["custom_target_cadence_low"] == 169


def test_cli_workout_bad_program_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, stderr = run(["workout", "5m@fast", "-o", str(tmp_path / "w.fit")], capsys)
    assert code == 2
    assert stderr.count("\n") == 1 and "column" in stderr
    assert not (tmp_path / "w.fit").exists()


def test_plan_workouts_one_file_per_session(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "watch"
    args = ["plan", "160", "--start-date", "2026-01-05", "--workouts", str(folder)]
    code, stdout, stderr = run(args, capsys)
    assert code == 0 and "wrote 13 FIT workouts" in stderr
    plan = make_plan(160, start_date=dt.date(2026, 1, 5))
    files = sorted(folder.iterdir())
    assert len(files) == len(plan.sessions) == 13
    for path, session in zip(files, plan.sessions, strict=True):  # the names sort in session order
        assert path.name.startswith(f"{session.index:02d}_{session.date.isoformat()}_{session.target_spm}spm")
        workout, steps = read_steps(path.read_bytes())
        what = "check" if session.kind == "retention_check" else f"(+{session.pct:g} %)"
        assert workout["wkt_name"] == f"{session.index:02d} Cadence {session.target_spm} spm {what}"
        band = TargetBand(session.target_spm - 3.0, session.target_spm + 3.0)
        assert_matches_program(steps, session.program, band, CadenceUnit.STRIDES)
        played = unroll(steps)
        cued = sum(s["duration_time"] for s in played if s["target_type"] == "cadence")
        silent = sum(s["duration_time"] for s in played[1:] if s["target_type"] == "open")
        assert (cued, silent) == pytest.approx((session.cued_s, session.silent_s))
    code, stdout, stderr = run(args, capsys)
    assert code == 1 and "exists already" in stderr and not stdout  # refused before the plan is printed
    assert run([*args, "--force"], capsys)[0] == 0


def test_workout_of_a_plan_session_matches_plan_workouts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_json = tmp_path / "plan.json"
    plan_args = ["plan", "160", "--start-date", "2026-01-05"]
    code, stdout, _ = run([*plan_args, "--json"], capsys)
    assert code == 0
    plan_json.write_text(stdout, encoding="utf-8")
    assert run([*plan_args, "--workouts", str(tmp_path / "w")], capsys)[0] == 0
    from_plan = sorted((tmp_path / "w").iterdir())[4]  # session 5
    single = tmp_path / "s5.fit"
    assert run(["workout", "--plan", str(plan_json), "--session", "5", "-o", str(single)], capsys)[0] == 0
    assert read_steps(single.read_bytes()) == read_steps(from_plan.read_bytes())
    both = ["workout", "5m@172", "--plan", str(plan_json), "--session", "5", "-o", str(tmp_path / "x.fit")]
    code, _, err = run(both, capsys)
    assert code == 2 and "not both" in err
