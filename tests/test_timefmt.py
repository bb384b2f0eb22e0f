"""Time zones: --tz parsing and the local clock of an activity (the file's offset first)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cadence._timefmt import format_local, format_utc_offset, local_time, parse_tz
from cadence.errors import ParameterError


@pytest.mark.parametrize(
    ("text", "offset_h"),
    [("UTC", 0), ("+13:00", 13), ("-0800", -8), ("UTC-5", -5), ("+05:30", 5.5), ("z", 0)],
)
def test_parse_tz_offsets(text: str, offset_h: float) -> None:
    tz = parse_tz(text)
    assert tz.utcoffset(dt.datetime(2026, 1, 1)) == dt.timedelta(hours=offset_h)


def test_parse_tz_names_follow_daylight_saving() -> None:
    tz = parse_tz("Pacific/Auckland")
    assert dt.datetime(2020, 1, 7, tzinfo=tz).utcoffset() == dt.timedelta(hours=13)  # NZDT
    assert dt.datetime(2020, 7, 7, tzinfo=tz).utcoffset() == dt.timedelta(hours=12)  # NZST


@pytest.mark.parametrize("text", ["Mars/Olympus", "+15:00", "+3:75", "", "../etc/passwd"])
def test_parse_tz_refuses(text: str) -> None:
    with pytest.raises(ParameterError, match="time zone"):
        parse_tz(text)


@given(
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    st.integers(-48, 56).map(lambda q: q * 900.0),
)
def test_local_time_keeps_the_instant(naive: dt.datetime, offset_s: float) -> None:
    start = naive.replace(tzinfo=dt.UTC)
    local, source = local_time(start, offset_s, parse_tz("Europe/Paris"))
    assert source == "file"  # the file's own offset wins over --tz
    assert local == start and local.utcoffset() == dt.timedelta(seconds=offset_s)


def test_local_time_without_offset_uses_tz_then_machine() -> None:
    start = dt.datetime(2018, 2, 18, 17, 29, 41, tzinfo=dt.UTC)
    local, source = local_time(start, None, parse_tz("America/Los_Angeles"))
    assert (source, local.hour, format_utc_offset(local)) == ("--tz", 9, "UTC-08:00")
    _, source = local_time(start, None)
    assert source == "machine zone"


def test_format_local() -> None:
    local, _ = local_time(dt.datetime(2020, 1, 6, 22, 33, tzinfo=dt.UTC), 13 * 3600.0)
    assert format_local(local) == "Tue 07 Jan 2020 11:33 UTC+13:00"
