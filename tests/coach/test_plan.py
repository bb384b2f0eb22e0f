"""Progression plans, the metronome program notation and the iCalendar export (pure functions)."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cadence.coach.plan import (
    Feedback,
    PlanOptions,
    format_program,
    make_plan,
    parse_program,
    plan_ics,
    silent_segments,
)
from cadence.coach.target import target_range
from cadence.errors import ParameterError

START = dt.date(2026, 1, 5)  # a Monday


def test_default_plan_for_160() -> None:
    plan = make_plan(160, start_date=START)
    assert [s.pct for s in plan.steps] == [2.5, 5.0, 7.5]
    assert [s.target_spm for s in plan.steps] == [164, 168, 172]
    training = [s for s in plan.sessions if s.kind == "training"]
    assert len(training) == 3 + 3 + 6  # one week per step, the last step two weeks, 3 sessions a week
    assert training[0].date == START and training[0].feedback is Feedback.FULL
    assert training[-1].feedback is Feedback.SILENT
    (retention,) = [s for s in plan.sessions if s.kind == "retention_check"]
    assert retention.date == training[-1].date + dt.timedelta(weeks=4)
    assert retention.feedback is Feedback.SILENT and retention.target_spm == 172


opts = st.builds(
    PlanOptions,
    increase_pct=st.sampled_from([2.5, 5.0, 7.5, 10.0, 6.0, 12.0]),
    step_pct=st.sampled_from([2.0, 2.5, 3.0]),
    sessions_per_week=st.integers(1, 7),
    weeks_per_step=st.integers(1, 2),
    session_min=st.sampled_from([20, 30, 45, 60]),
    warmup_min=st.sampled_from([0, 5, 10]),
    retention_check=st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(st.floats(140, 184), opts)
def test_plan_properties(baseline: float, options: PlanOptions) -> None:
    plan = make_plan(baseline, options, start_date=START)
    sessions = plan.sessions
    # reaches exactly the final target of target_range at the chosen increase, in non-decreasing steps
    assert plan.final_target_spm == target_range(baseline, options.increase_pct).low_spm
    tempos = [s.target_spm for s in sessions]
    assert tempos == sorted(tempos) and tempos[-1] == plan.final_target_spm
    pcts = [0.0] + [s.pct for s in plan.steps]
    assert all(0 < b - a <= options.step_pct + 1e-9 for a, b in zip(pcts, pcts[1:], strict=False))
    # dates strictly increase; sessions_per_week sessions in every week of training
    dates = [s.date for s in sessions]
    assert dates == sorted(set(dates))
    training = [s for s in sessions if s.kind == "training"]
    weeks = sum(step.weeks for step in plan.steps)
    assert len(training) == weeks * options.sessions_per_week
    # every step starts with the cue on throughout; the cue never comes back within a step
    for step in plan.steps:
        mine = [s for s in training if s.step == step.index]
        assert mine[0].feedback is Feedback.FULL
        cued = [s.feedback.cued_min_per_block for s in mine]
        assert cued == sorted(cued, reverse=True)
    assert training[-1].feedback is Feedback.SILENT
    assert len([s for s in training if s.step == len(plan.steps)]) >= 4
    # programs parse back to the session length and the stated cued/silent time
    for s in sessions:
        segs = parse_program(s.program)
        assert segs[-1].end_s == pytest.approx(60 * options.session_min)
        cued_s = sum(g.end_s - g.start_s for g in segs if g.role == "cued")
        assert cued_s == pytest.approx(s.cued_s)
        assert {g.tempo_bpm for g in segs if g.role == "cued"} <= {s.target_spm}


@pytest.mark.parametrize("feedback", list(Feedback))
def test_format_program_round_trip(feedback: Feedback) -> None:
    text = format_program(300, 1500, 170, feedback)
    segs = parse_program(text)
    assert segs[0].role == "warmup" and segs[0].end_s == 300
    cued = sum(g.end_s - g.start_s for g in segs if g.role == "cued")
    assert cued == pytest.approx(1500 * feedback.cued_min_per_block / 5)
    assert segs[-1].end_s == 1800


def test_parse_program_example_from_the_metronome_notation() -> None:
    segs = parse_program("5m@160, 3x(4m@172, 1m@silent)")
    assert [(g.start_s, g.end_s, g.tempo_bpm, g.role) for g in segs] == [
        (0, 300, 160, "cued"),
        (300, 540, 172, "cued"),
        (540, 600, None, "silent"),
        (600, 840, 172, "cued"),
        (840, 900, None, "silent"),
        (900, 1140, 172, "cued"),
        (1140, 1200, None, "silent"),
    ]
    assert silent_segments(segs) == ((540, 600), (840, 900), (1140, 1200))


@given(
    st.lists(
        st.tuples(st.integers(1, 600), st.one_of(st.none(), st.integers(60, 260))), min_size=1, max_size=8
    ),
    st.integers(1, 5),
)
def test_parse_program_total_duration(blocks: list[tuple[int, int | None]], reps: int) -> None:
    inner = ", ".join(f"{d}s@{'silent' if t is None else t}" for d, t in blocks)
    segs = parse_program(f"1m@silent, {reps}x({inner})")
    assert segs[-1].end_s == pytest.approx(60 + reps * sum(d for d, _ in blocks))
    assert all(a.end_s == b.start_s for a, b in zip(segs, segs[1:], strict=False))


def test_durations() -> None:
    assert parse_program("4m30s@170")[0].end_s == 270
    assert parse_program("1.5m@170")[0].end_s == 90
    assert parse_program("45s@silent")[0].role == "warmup"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "5m",
        "5m@fast",
        "5@170",
        "5m@500",
        "3x(4m@172",
        "0m@170",
        "5m@170,,1m@silent",
    ],
)
def test_parse_program_rejects(bad: str) -> None:
    with pytest.raises(ParameterError):
        parse_program(bad)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"increase_pct": 0},
        {"increase_pct": 40},
        {"sessions_per_week": 0},
        {"sessions_per_week": 8},
        {"weeks_per_step": 3},
        {"session_min": 32},
        {"session_min": 10},
        {"warmup_min": 25, "session_min": 30},
        {"warmup_min": 3},
        {"tolerance_spm": -1},
        {"step_pct": 0},
    ],
)
def test_bad_options(kwargs: dict) -> None:
    with pytest.raises(ParameterError):
        PlanOptions(**kwargs)


def test_plan_carries_guard_rails() -> None:
    plan = make_plan(160, PlanOptions(increase_pct=12.5), start_date=START)
    assert "large_increase" in {w.code for w in plan.warnings}
    assert make_plan(160, start_date=START, max_sustained_spm=168).warnings[0].code == "above_max_sustained"


def test_ics_parses_back_with_one_event_per_session() -> None:
    plan = make_plan(160, start_date=START)
    cal = icalendar.Calendar.from_ical(plan_ics(plan))
    events = cal.walk("VEVENT")
    assert len(events) == len(plan.sessions)
    assert len({str(e["UID"]) for e in events}) == len(events)
    for ev, s in zip(events, plan.sessions, strict=True):
        assert ev.decoded("DTSTART") == s.date
        assert ev.decoded("DTEND") == s.date + dt.timedelta(days=1)
        assert str(s.target_spm) in str(ev["SUMMARY"])
        assert s.program in str(ev["DESCRIPTION"])
    assert str(cal["VERSION"]) == "2.0" and "cadence" in str(cal["PRODID"])


def test_ics_with_a_time_of_day() -> None:
    plan = make_plan(160, PlanOptions(session_min=45), start_date=START)
    cal = icalendar.Calendar.from_ical(plan_ics(plan, start_time=dt.time(7, 30)))
    for ev, s in zip(cal.walk("VEVENT"), plan.sessions, strict=True):
        begin, end = ev.decoded("DTSTART"), ev.decoded("DTEND")
        assert begin == dt.datetime.combine(s.date, dt.time(7, 30)) and begin.tzinfo is None
        assert end - begin == dt.timedelta(minutes=45)
